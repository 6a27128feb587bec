#!/usr/bin/env bash
# Proof that this project's layouts and math are PyTorch's: the shipped weights (trained by
# stage 04) are loaded into the PyTorch model of reference/pytorch_mnist.py, which must give
# the same predicted class for every test image and logits within 1e-4 (relative) of
# stage 03's. Exit 77 (CTest: skipped) where PyTorch is not installed.
#   pytorch_compare.sh STAGE03_BINARY REPO_DIR DATA_DIR WORK_DIR
set -euo pipefail
stage03=$1 repo=$2 data=$3 work=$4
python=/usr/bin/python3  # Debian's python3-torch installs for the system interpreter
if ! "$python" -c 'import torch, numpy' 2>/dev/null; then
  echo "skipped: PyTorch is not installed (apt-get install python3-torch)"
  exit 77
fi
if ! compgen -G "$data/t10k-images*" >/dev/null; then
  echo "skipped: no MNIST test set in $data (make data)"
  exit 77
fi
mkdir -p "$work"
logits="$work/stage03_logits.idx"
"$stage03" --weights "$repo/weights/mnist_cnn.safetensors" --data "$data" --threads 1 \
  --logits "$logits"
"$python" "$repo/reference/pytorch_mnist.py" compare --data "$data" \
  --weights "$repo/weights/mnist_cnn.safetensors" --logits "$logits"
