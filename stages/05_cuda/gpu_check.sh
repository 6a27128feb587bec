#!/usr/bin/env bash
# Stage 05 on a machine with an NVIDIA GPU, in one batch: build, test, train the rungs,
# check the weights on the CPU stages, compute-sanitizer, benchmarks, Nsight Compute,
# PyTorch side by side, and the machine's results file.
#
#   OUT=some/dir [TRAIN_RUNGS="3 4 1 2"] [SEEDS_RUNG=4 SEEDS="1 2 3 4 5"] [SANITIZE_RUNGS="4"] \
#     [DATA=dir] [DEPS=prefix] [RESULTS_NAME=gpu-h200] [RESULTS_COMMIT=hash] \
#     bash stages/05_cuda/gpu_check.sh [step ...]
#   steps: build tests train seeds sanitize bench torch ncu results
#          (default: all but seeds, ncu; results, the results file, comes with bench)
#
# DATA is the MNIST folder (default $DATA; raw or .gz files). DEPS, optional, is a
# prefix (like /usr) holding GoogleTest, Google Benchmark and zlib where the system has
# none. It builds in place, in build-gpu/. Everything goes to $OUT (default
# build-gpu/check): check.log (all output), results.json (the runs' JSON merged),
# bench.json, ncu.txt, trained.safetensors (the first trained rung's weights), and
# results-gpu.json, the machine-stamped results file (scripts/results_store.py) that
# results/ keeps for the reference GPU (RESULTS_COMMIT names the commit measured where the
# copy of the tree has no git history of its own).
set -uo pipefail
OUT=${OUT:-build-gpu/check}
DATA=${DATA:-$DATA}
mkdir -p "$OUT"
B=build-gpu
steps=" ${*:-build tests train sanitize bench torch} "
exec > >(tee -a "$OUT/check.log") 2>&1
source scripts/gpu_check_lib.sh
S05=$B/stages/05_cuda/stage05
W=$OUT/trained.safetensors

section machine
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.sm --format=csv
nvcc --version | tail -1; cmake --version | head -1; g++ --version | head -1; nproc

if has build; then
  section build
  gpu_build stage05 stage05_tests stage05_training_tests stage05_bench \
    stage05_training_steps_tests agreement_gpu_tests stage00 stage00_cuda stage01 stage02 stage03
  grep -iE "warning" $B.build.log | grep "05_cuda" | head
fi

if has tests; then
  section "tests (stage 05, with the measured errors)"
  $B/tests/stage05/stage05_tests 2>&1 | grep -vE "^\[ (RUN|       OK) " ; note unit-tests "exit ${PIPESTATUS[0]}"
  ctest --test-dir $B -L stage05 --output-on-failure 2>&1 | tail -15
  note ctest "exit ${PIPESTATUS[0]}"
fi

if has train; then
  first=
  for r in ${TRAIN_RUNGS:-3 4 1 2}; do
    section "train rung $r"
    w=$B/rung$r.safetensors; [ -z "$first" ] && w=$W && first=$r
    timeout 300 $S05 --rung $r --data $DATA --out "$w" --force --json $OUT/rung$r.json
    note "train rung $r" "exit $?"
  done
  section "rung $first again (start-up run to run)"
  for i in 1 2; do $S05 --rung $first --data $DATA --out $B/again.safetensors --force | grep -E "speed|total|accuracy  "; done
  section "rung $first's weights on the CPU stages and in PyTorch"
  $B/stages/03_blocked_simd/stage03 --data $DATA --weights $W | grep -E "accuracy|speed"
  $B/stages/02_im2col/stage02 --data $DATA --weights $W | grep -E "accuracy|speed"
  $B/stages/01_naive_loops/stage01 --data $DATA --weights $W --limit 2000 | grep -E "accuracy|speed"
  timeout 120 python3 reference/pytorch_mnist.py eval --data $DATA --weights $W
fi

if has seeds; then
  sr=${SEEDS_RUNG:-3}
  section "rung $sr: test accuracy after 5 epochs for seeds ${SEEDS:-1..10}, and over 10 epochs (seed 1)"
  for seed in ${SEEDS:-1 2 3 4 5 6 7 8 9 10}; do
    echo "seed $seed: $($S05 --rung $sr --seed $seed --data $DATA --out $B/seed.safetensors --force | grep -E '^  (accuracy|speed)' | tr -s ' ' | tr '\n' ' ')"
  done
  $S05 --rung $sr --epochs 10 --data $DATA --out $B/ten.safetensors --force | grep -E "epoch|speed"
fi

if has sanitize; then
  for tool in memcheck racecheck synccheck initcheck; do
    for r in ${SANITIZE_RUNGS:-1 2 3 4}; do
      [ $tool = initcheck ] && [ $r -lt 3 ] && continue
      section "compute-sanitizer $tool, rung $r"
      timeout 300 compute-sanitizer --tool $tool --error-exitcode 9 $S05 --rung $r --epochs 1 \
        --limit 300 --data $DATA --out $B/sanitize.safetensors --force 2>&1 | tail -4
      note "$tool rung $r" "exit ${PIPESTATUS[0]}"
    done
  done
fi

if has bench; then
  section benchmarks
  # min_time counts GPU time (manual timing), and each timed iteration also waits on the
  # host for its events: 0.03 s of a microsecond kernel is still thousands of launches.
  timeout 400 $B/stages/05_cuda/stage05_bench --benchmark_min_time=0.03 \
    --benchmark_out=$OUT/bench.json --benchmark_out_format=json 2>&1 | grep -vE "^-+$"
  note bench "exit ${PIPESTATUS[0]}"
fi

if has ncu; then
  section "Nsight Compute: rung 3's kernels, one step after warm-up"
  timeout 400 ncu --clock-control none --set basic --section Occupancy --section MemoryWorkloadAnalysis \
    --launch-skip 60 --launch-count 9 $S05 --epochs 1 --limit 6400 --data $DATA \
    --out $B/ncu.safetensors --force > $OUT/ncu.txt 2>&1
  note ncu "exit $?"
  grep -E "^  [a-z_].*\(|Duration|Achieved Occupancy|Theoretical Occupancy|Memory Throughput|DRAM Throughput|Compute \(SM\) Throughput|Registers Per|Block Size|Grid Size" $OUT/ncu.txt | head -120
fi

if has torch; then
  section "PyTorch side by side (same GPU, model, batch, optimiser; data on the GPU)"
  PYTHONUNBUFFERED=1 timeout 300 python3 stages/05_cuda/torch_side_by_side.py --data $DATA \
    --json $OUT/torch.json
  note torch "exit $?"
fi

section summary
python3 - "$OUT" <<'PY'
import json, pathlib, sys
out = pathlib.Path(sys.argv[1])
merged = {}
for f in sorted(out.glob("rung*.json")) + sorted(out.glob("torch.json")):
    merged[f.stem] = json.loads(f.read_text())
    f.unlink()
old = out / "results.json"
if old.exists():
    merged = {**json.loads(old.read_text()), **merged}
old.write_text(json.dumps(merged, indent=1))
torch = {r["mode"]: r for r in merged.get("torch", {}).get("runs", []) if "error" not in r}
print(f"{'run':24s} {'epoch s':>9s} {'5 epochs+start s':>17s} {'accuracy':>9s} {'x eager':>8s} {'x compiled':>10s}")
for r in (1, 2, 3, 4):
    j = merged.get(f"rung{r}")
    if not j:
        continue
    e = j["seconds_per_epoch"]
    # Rung 4 (TF32) against PyTorch with TF32 allowed; the others against strict float32.
    modes = ("eager-tf32", "compiled-tf32") if r == 4 else ("eager", "compiled")
    ratios = [f"{torch[m]['steady_epoch_seconds'] / e:.1f}" if m in torch else "-" for m in modes]
    print(f"stage05 rung {r} ({j['rung_name']:6s})   {e:9.4f} {j['total_seconds']:17.2f} {100*j['accuracy']:8.2f}% {ratios[0]:>8s} {ratios[1]:>10s}")
for m, t in torch.items():
    print(f"torch {m:18s} {t['steady_epoch_seconds']:9.4f} {t['total_seconds']:17.2f} {100*t['accuracy']:8.2f}%")
PY
if has bench || has results; then
  section "the results file"
  # The stoplight's own percentiles, CPU and GPU, join it (as make bench does on a CPU).
  for s in stage00 stage00_cuda; do
    [ -x $B/stages/00_stoplight/$s ] && $B/stages/00_stoplight/$s --json "$OUT/run.$s.json" | tail -n 2
  done
  # Stage 06's runs join it where its own check ran first (stages/06_multi_gpu/gpu_check.sh
  # with OUT=$OUT/s06, or STAGE06_OUT).
  python3 scripts/results_store.py collect --gpu "$OUT" --stage06 "${STAGE06_OUT:-$OUT/s06}" \
    --build $B --name "${RESULTS_NAME:-gpu}" -o "$OUT/results-gpu.json"
fi
printf '%s\n' "${status[@]}"
