#!/usr/bin/env bash
# `make run`: walk through the stages in order on the same data, then print one table.
#   00 the stoplight toy network (CPU, then CUDA when a GPU is present)
#   04 trains the CNN for 5 epochs on the CPU (falls back to the shipped weights if stage 04
#      is not built), then 01, 02, 03 classify the test set with those weights
#   05 trains on the GPU when one is present
# Results: build/tour/summary.md and summary.json (from each stage's --json output).
set -euo pipefail
build=${1:-build}
out="$build/tour"
mkdir -p "$out"
rm -f "$out"/*.json
bin() { find "$build/stages" -maxdepth 2 -type f -name "$1" -perm -u+x 2>/dev/null | head -n1; }
have_gpu() { command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; }
banner() { printf '\n=== %s ===\n' "$*"; }

# Stage 01 is the slow reference: a subset keeps the tour short (the table says so).
STAGE01_LIMIT=${STAGE01_LIMIT:-1000}
weights="$out/trained.safetensors"

if s=$(bin stage00); [ -n "$s" ]; then
  banner "stage 00: the stoplight warm-up (CPU)"
  "$s" --json "$out/00.json"
  if c=$(bin stage00_cuda); [ -n "$c" ] && have_gpu; then
    banner "stage 00: the stoplight warm-up (CUDA)"
    "$c" --json "$out/00_cuda.json"
  else
    echo "(stage 00 CUDA skipped: no GPU here)"
  fi
fi

if s=$(bin stage04); [ -n "$s" ]; then
  banner "stage 04: training on the CPU (5 epochs, batch 128)"
  "$s" --out "$weights" --force --json "$out/04.json"
elif [ -f weights/mnist_cnn.safetensors ]; then
  echo "(stage 04 not built: using the shipped weights/mnist_cnn.safetensors)"
  cp weights/mnist_cnn.safetensors "$weights"
else
  echo "(no stage 04 and no shipped weights: the forward stages run on random weights)"
  weights=""
fi
wflag=()
[ -n "$weights" ] && wflag=(--weights "$weights")

for id in 01 02 03; do
  s=$(bin "stage$id")
  [ -n "$s" ] || continue
  limit=()
  [ "$id" = 01 ] && limit=(--limit "$STAGE01_LIMIT")
  banner "stage $id"
  logits=()
  [ "$id" = 03 ] && logits=(--logits "$out/logits.idx")
  "$s" "${wflag[@]}" "${limit[@]}" "${logits[@]}" --json "$out/$id.json"
done

if s=$(bin stage05); [ -n "$s" ]; then
  if have_gpu; then
    banner "stage 05: training on the GPU"
    "$s" --out "$out/05.safetensors" --force --json "$out/05.json"
  else
    echo; echo "(stage 05 skipped: no GPU here; it runs on a machine with an NVIDIA GPU)"
  fi
fi

if [ -f "$out/logits.idx" ]; then
  banner "pictures"
  train_json=()
  [ -f "$out/04.json" ] && train_json=(--train-json "$out/04.json")
  python3 scripts/pictures.py --logits "$out/logits.idx" --data data/mnist "${train_json[@]}" --out "$out"
fi

banner "summary"
python3 scripts/tour_table.py "$out"
