#!/usr/bin/env bash
# Whole training epochs on this CPU: a stage 04 rung beside PyTorch and the cores' FMA peak,
# in interleaved rounds. A shared or virtual machine drifts by a tenth or more over minutes,
# so only numbers measured side by side, within a round, are divided by each other.
#   bash scripts/cpu_epochs.sh              ROUNDS=3 RUNG=5 BUILD=build by default
# Each round: stage 03's FMA peak on every core (its roofline benchmark), two epochs of
# `stage04 --rung RUNG`, two epochs of reference/pytorch_mnist.py (Debian's python3-torch,
# on every core). Prints each round and the medians: the rung's second epoch as a share of
# the peak, and PyTorch's first and second epochs over the rung's second.
set -euo pipefail
rounds=${ROUNDS:-3} rung=${RUNG:-5} build=${BUILD:-build}
out=$build/cpu_epochs
mkdir -p "$out"
threads=$(nproc)
/usr/bin/python3 -c 'import torch' 2>/dev/null ||
  { echo "cpu_epochs: PyTorch is missing (apt-get install python3-torch)" >&2; exit 1; }
for i in $(seq "$rounds"); do
  echo "round $i of $rounds: peak, stage 04 rung $rung, PyTorch ($(date +%T))"
  "$build/stages/03_blocked_simd/stage03_bench" --benchmark_min_time=1 \
    --benchmark_filter="roofline/peak_fma/threads:$threads/" --benchmark_format=json \
    > "$out/peak$i.json" 2> /dev/null
  "$build/stages/04_backprop/stage04" --rung "$rung" --epochs 2 --out "$out/weights.safetensors" \
    --force --json "$out/rung$i.json" > /dev/null
  /usr/bin/python3 reference/pytorch_mnist.py train --epochs 2 --json "$out/torch$i.json" > /dev/null
done
python3 - "$out" "$rounds" "$rung" <<'PY'
import json, statistics, sys
out, rounds, rung = sys.argv[1], int(sys.argv[2]), sys.argv[3]
read = lambda name: json.load(open(f"{out}/{name}"))
rows = []
for i in range(1, rounds + 1):
    benches = read(f"peak{i}.json")["benchmarks"]
    if not benches:
        sys.exit("cpu_epochs: stage03_bench has no peak_fma benchmark for this many threads")
    peak = benches[0]["GFLOP/s"]
    r = read(f"rung{i}.json")
    flops_per_epoch = r["gflops"] * r["seconds"] / r["epochs"]  # GFLOP
    ours = r["epoch2_seconds"]
    torch_epochs = [e["seconds"] for e in read(f"torch{i}.json")["epochs"]]
    rows.append((peak, ours, 100 * flops_per_epoch / ours / peak,
                 torch_epochs[0] / ours, torch_epochs[1] / ours))
    print(f"  peak {peak:6.1f} GFLOP/s  rung {rung} epoch {ours:5.2f} s = {rows[-1][2]:4.1f}% of it"
          f"  PyTorch epochs {torch_epochs[0]:5.1f} s, {torch_epochs[1]:5.1f} s"
          f"  -> {rows[-1][3]:.2f}x, {rows[-1][4]:.2f}x")
med = lambda k: statistics.median(row[k] for row in rows)
print(f"median of {rounds}: rung {rung} at {med(2):.0f}% of the FMA peak, "
      f"{med(4):.2f}x PyTorch's second epoch, {med(3):.2f}x its first")
PY
