#!/usr/bin/env bash
# `make run`: walk through the stages in order, then print one table.
#
# The stages are found, not named: every folder stages/NN_*/ in order, and in it the
# binaries that its `tour.args` lists, one line each:
#     [gpu:] BINARY ARGS...          ({out} stands for the tour's output folder)
# `gpu:` runs the line only where an NVIDIA GPU answers; a binary that exits with 77
# (the usual "skipped" status) is reported as skipped. A stage without tour.args runs each
# of its binaries with no arguments. Every binary gets `--json {out}/BINARY.json`.
# Results: build/tour/summary.md and summary.json, and the pictures beside them.
set -euo pipefail
# NCCL (stage 06) never uses NVLink multicast: on a shared host it can take GPUs out of service.
export NCCL_NVLS_ENABLE=0
build=${1:-build}
out="$build/tour"
mkdir -p "$out"
rm -f "$out"/*.json
source scripts/stage_lines.sh
banner() { printf '\n=== %s ===\n' "$*"; }

run_line() {  # stage-folder, one tour.args line
  local dir=$1 line=$2 needs_gpu=0
  if [[ $line == gpu:* ]]; then needs_gpu=1; line=${line#gpu:}; fi
  read -r -a words <<< "${line//\{out\}/$out}"
  local name=${words[0]} exe="$build/stages/$dir/${words[0]}"
  if [ ! -x "$exe" ]; then echo "($name not built: skipped)"; return; fi
  if [ $needs_gpu = 1 ] && ! have_gpu; then echo; echo "($name skipped: no NVIDIA GPU here)"; return; fi
  banner "$name ($dir)"
  local status=0
  "$exe" "${words[@]:1}" --json "$out/$name.json" || status=$?
  if [ $status = 77 ]; then echo "($name skipped itself)"; elif [ $status != 0 ]; then exit $status; fi
}

# Each stage's tour.args lines; a stage without one runs each of its binaries, no arguments.
tour_lines() {
  local stage
  for stage in stages/[0-9][0-9]_*/; do
    if [ -f "$stage/tour.args" ]; then
      stage_lines tour.args | grep "^$(basename "$stage")"$'\t' || true
    else
      find "$build/stages/$(basename "$stage")" -maxdepth 1 -type f -perm -u+x -name 'stage*' \
        ! -name '*_bench' -printf "$(basename "$stage")\t%f\n" 2>/dev/null | sort
    fi
  done
}
while IFS=$'\t' read -r dir line; do
  run_line "$dir" "$line" < /dev/null
done < <(tour_lines)

# The pictures need one forward stage's logits and, for the curves, one training run's log.
if [ -f "$out/logits.idx" ]; then
  banner "pictures"
  train_json=()
  train=$(grep -l '"final_loss"' "$out"/*.json 2>/dev/null | head -n1 || true)
  [ -n "$train" ] && train_json=(--train-json "$train")
  python3 scripts/pictures.py --logits "$out/logits.idx" --data data/mnist "${train_json[@]}" --out "$out"
fi

banner "summary"
python3 scripts/tour_table.py "$out"
