#!/usr/bin/env bash
# `make bench`: every stage's Google Benchmark, JSON out, then one report with a chart.
#   BENCH_REPS=5 make bench       repetitions per benchmark (medians are reported)
#   BENCH_FILTER=stage03 make bench    only benchmarks whose name matches (a regex)
# Results: build/bench/<stage>.json, build/bench/results.json (this machine's results file),
# build/bench/report.md and *.svg (every table and chart for this machine), and
# build/bench/tables.md (each table beside the reference machine's, from results/).
# Compare two runs:  python3 scripts/bench_compare.py OLD_DIR NEW_DIR
set -euo pipefail
build=${1:-build}
out="$build/bench"
mkdir -p "$out"
reps=${BENCH_REPS:-3}
filter=${BENCH_FILTER:-.}
found=0
for b in $(find "$build/stages" -maxdepth 2 -type f -name 'stage*_bench' -perm -u+x | sort); do
  name=$(basename "$b" _bench)
  found=1
  echo "=== $name ==="
  "$b" --benchmark_filter="$filter" --benchmark_repetitions="$reps" \
       --benchmark_report_aggregates_only=true --benchmark_out="$out/$name.json" \
       --benchmark_out_format=json
done
[ "$found" = 1 ] || { echo "no benchmarks built: run make all" >&2; exit 1; }
# Binaries that time themselves (stage 00's per-iteration percentiles) are listed in their
# stage's bench.runs; their --json records join the results file.
source scripts/stage_lines.sh
while IFS=$'\t' read -r dir line; do
  [[ $line == gpu:* ]] && { have_gpu || continue; line=${line#gpu:}; }
  read -r -a words <<< "$line"
  exe="$build/stages/$dir/${words[0]}"
  [ -x "$exe" ] || continue
  echo "=== ${words[0]} (its own timing) ==="
  "$exe" "${words[@]:1}" --json "$out/run.${words[0]}.json" < /dev/null | tail -n 2
done < <(stage_lines bench.runs)
if [ -n "${TORCH_BENCH:-}" ] || /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "=== PyTorch (same model, same machine) ==="
  /usr/bin/python3 reference/pytorch_mnist.py train --epochs "${TORCH_EPOCHS:-2}" \
    --json "$out/torch.json" || echo "(PyTorch side-by-side failed; report goes on without it)"
else
  echo "(PyTorch not installed: the report has no PyTorch row; apt-get install python3-torch)"
fi
python3 scripts/bench_report.py "$out"
python3 scripts/results_pages.py compare "$out/results.json" -o "$out"
