#!/usr/bin/env bash
# Stage 06 on a machine with NVIDIA GPUs, in one batch: build, test, then train with 1, 2,
# 4, ... GPUs (as many as the machine has) in strong and weak scaling, each run printing
# its step split and NCCL's all-reduce of the same bytes beside it.
#
#   OUT=some/dir DATA=mnist/dir [DEPS=prefix] [GPUS="1 2 4 8"] [EPOCHS=5] \
#     bash stages/06_multi_gpu/gpu_check.sh [step ...]      steps: build tests train
#
# DEPS, optional, is a prefix holding GoogleTest and Google Benchmark where the system has
# none (as in stages/05_cuda/gpu_check.sh). NCCL comes from the CUDA toolkit, NCCL_ROOT or
# PyTorch's nvidia-nccl wheel. NVLink multicast stays off: NCCL_NVLS_ENABLE=0 for every
# process this script starts. Everything goes to $OUT/check.log and $OUT/*.json; OUT defaults
# to stage 05's check folder's s06/, where stage 05's `results` step finds the runs and puts
# them in the machine's results file (scripts/results_store.py).
set -uo pipefail
export NCCL_NVLS_ENABLE=0
OUT=${OUT:-build-gpu/check/s06}
DATA=${DATA:-data/mnist}
mkdir -p "$OUT"
B=build-gpu
steps=" ${*:-build tests train} "
exec > >(tee -a "$OUT/check.log") 2>&1
source scripts/gpu_check_lib.sh
S06=$B/stages/06_multi_gpu/stage06
count=$(nvidia-smi -L | wc -l)

section machine
nvidia-smi --query-gpu=index,name,memory.total --format=csv
nvidia-smi topo -m 2>/dev/null | head -12
nvcc --version | tail -1; nproc

if has build; then
  section build
  gpu_build stage05 stage06 stage06_sharding_tests stage06_emulation_tests stage06_nccl_tests \
    stage05_tests stage05_training_steps_tests
fi

if has tests; then
  # Stage 06's tests, and stage 05's that cover what stage 06 changed there (the mask's row
  # offset, the gradient sums over a range of parameters).
  for t in tests/stage06/stage06_sharding_tests tests/stage06/stage06_emulation_tests \
           tests/stage06/stage06_nccl_tests tests/stage05/stage05_tests \
           tests/stage05/stage05_training_steps_tests; do
    section "$t"
    timeout 200 $B/$t 2>&1 | grep -vE "^\[ (RUN|       OK) |^    step " | tail -150
    note "$(basename $t)" "exit ${PIPESTATUS[0]}"
  done
fi

if has train; then
  for g in ${GPUS:-1 2 4 8}; do
    [ "$g" -gt "$count" ] && continue
    for mode in strong weak; do
      [ "$g" = 1 ] && [ "$mode" = weak ] && continue  # one GPU: the same run
      section "train: $g GPU(s), $mode scaling"
      timeout 200 $S06 --gpus $g --scaling $mode --epochs ${EPOCHS:-5} --data $DATA \
        --out $B/stage06.safetensors --force --json $OUT/g$g-$mode.json
      note "train $g $mode" "exit $?"
    done
  done
  section "one GPU, the step split at the batch each of G GPUs gets in strong scaling"
  for b in 16 32 64 128 256; do
    echo "batch $b: $($S06 --batch $b --epochs 2 --timed-steps 200 --data $DATA \
      --out $B/stage06.safetensors --force --json $OUT/g1-batch$b.json | grep -E '^  (speed|rank)' | tr -s ' ' | tr '\n' ' ')"
  done
  section "one GPU, steps launched one by one (no CUDA graph)"
  timeout 100 $S06 --no-graph --epochs 2 --data $DATA --out $B/stage06.safetensors --force \
    --json $OUT/g1-nograph.json
  note "train no graph" "exit $?"
  section "stage 05 rung 3 beside it (the same GPU, one process)"
  timeout 100 $B/stages/05_cuda/stage05 --epochs ${EPOCHS:-5} --data $DATA \
    --out $B/stage05.safetensors --force --json $OUT/stage05.json | grep -E "epoch|speed|accuracy  "
fi
printf '%s\n' "${status[@]}"
