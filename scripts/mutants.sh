#!/usr/bin/env bash
# Proof that the shared tests have teeth: each known breakage below is applied, one at a
# time, to a scratch copy of the tree, which is rebuilt and run through the SHARED suite
# only: the agreement tests (every stage against stage 01), the whole-step gradient checks
# against finite differences, and stage 04 against PyTorch step by step. Never a stage's
# own unit tests. Each mutant must build and make that suite fail ("caught"); the script
# exits 1 if one survives (or does not build), or if the unbroken copy fails to begin with.
#
#   bash scripts/mutants.sh              every mutant
#   bash scripts/mutants.sh adam tie     only those whose names contain one of the words
#
# Environment: MUTANTS_DIR (scratch folder, default build-mutants: the copy in src/, one
# build in build/ reused by every mutant, so each rebuilds only what its change touches),
# JOBS (default: all cores). ccache is used where installed. Without PyTorch the training
# comparison skips, and the mutants only it sees survive: install python3-torch first.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
scratch=${MUTANTS_DIR:-build-mutants}
mkdir -p "$scratch" && scratch=$(cd "$scratch" && pwd)
JOBS=${JOBS:-$(nproc)}
filters=("$@")

# name | file | sed expression (GNU sed): one realistic slip each.
mutants=(
  "drop-bias|stages/02_im2col/layers.cpp|s/+= bias\[o\];/+= 0.0f;/"
  "swap-kx-ky|stages/02_im2col/im2col.cpp|s/height + y + ky) \* width + kx/height + y + kx) * width + ky/"
  "overwrite-gradient-chunk|stages/04_backprop/layers_backward.cpp|s/n0 == 0 ? 0.0f : 1.0f/0.0f/"
  "maxpool-tie-to-every-max|stages/04_backprop/layers_backward.cpp|/^ *g -= to_\(tl\|tr\|bl\);\$/d; s/dbottom\[2 \* x + 1\] = g;/dbottom[2 * x + 1] = br == max ? g : 0.0f;/"
  "adam-without-bias-correction|stages/04_backprop/adam.cpp|s/static_cast<float>(lr \* std::sqrt(correction2) \/ correction1)/lr/"
  "last-batch-one-short|stages/04_backprop/trainer.cpp|s/std::min(config.batch, n - begin)/std::min(config.batch, n - begin - 1)/"
)

# The shared suite: test names as gtest_discover_tests gives them.
shared='^(Agreement\.|TrainingAgreement\.|LossAndGradients\.MatchFiniteDifferences)'
targets=(agreement_tests stage04_tests stage04_chunk_gradient_tests pytorch_training_tests)

data=$(cd data/mnist 2>/dev/null && pwd -P) || { echo "error: data/mnist: not found (make data)" >&2; exit 1; }
if ! /usr/bin/python3 -c 'import torch' 2>/dev/null; then
  echo "mutants: warning: PyTorch is not installed, so the training comparison skips"
fi

echo "mutants: copying the tree to $scratch/src"
rm -rf "$scratch/src" && mkdir -p "$scratch/src"
git ls-files -co --exclude-standard -z | tar --null -T - -cf - | tar -xf - -C "$scratch/src"

launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
if ! cmake -S "$scratch/src" -B "$scratch/build" -DCMAKE_BUILD_TYPE=Release -DMNIST_CUDA=OFF \
       -DMNIST_WERROR=OFF -DMNIST_DATA_DIR="$data" "${launcher[@]}" > "$scratch/configure.log" 2>&1; then
  tail -n 20 "$scratch/configure.log"; exit 1
fi

# Builds the shared suite and runs it; the status says whether it passed.
run_shared_suite() {
  local log=$1
  cmake --build "$scratch/build" -j "$JOBS" --target "${targets[@]}" > "$log" 2>&1 || return 2
  ctest --test-dir "$scratch/build" -R "$shared" -j "$JOBS" --stop-on-failure \
    --output-on-failure --timeout 600 >> "$log" 2>&1
}

start=$SECONDS
if ! run_shared_suite "$scratch/unbroken.log"; then
  echo "mutants: the unbroken tree fails the shared suite: see $scratch/unbroken.log"
  exit 1
fi
echo "mutants: the unbroken tree passes the shared suite ($((SECONDS - start)) s)"

survived=0
for entry in "${mutants[@]}"; do
  IFS='|' read -r name file expression <<< "$entry"
  if [ ${#filters[@]} -gt 0 ]; then
    wanted=0
    for f in "${filters[@]}"; do [[ $name == *"$f"* ]] && wanted=1; done
    [ $wanted -eq 1 ] || continue
  fi
  target="$scratch/src/$file"
  sed "$expression" "$repo/$file" > "$target"
  if cmp -s "$repo/$file" "$target"; then
    echo "mutants: $name: the change no longer applies to $file (update scripts/mutants.sh)"
    survived=$((survived + 1))
    continue
  fi
  start=$SECONDS
  log="$scratch/$name.log"
  run_shared_suite "$log"
  status=$?
  cp "$repo/$file" "$target"  # the next mutant starts from the unbroken file
  if [ $status -eq 2 ]; then
    verdict="DOES NOT BUILD: a mutant must compile to prove anything"
    survived=$((survived + 1))
  elif [ $status -ne 0 ]; then
    # The summary lines "  NN - Suite.Test (Failed)": every shared test that failed before
    # --stop-on-failure ended the run.
    failing=$(grep -E '^\s+[0-9]+ - \S+ \((Failed|Timeout)' "$log" | sed -E 's/^\s+[0-9]+ - //; s/ \(.*//' |
              paste -sd, - | sed 's/,/, /g')
    verdict="caught by ${failing:-the shared suite}"
  else
    verdict="SURVIVED"
    survived=$((survived + 1))
  fi
  printf 'mutants: %-30s %-8s %s (%d s, log %s)\n' "$name" "$(basename "$file")" "$verdict" \
    $((SECONDS - start)) "$log"
done

# Leave the build unbroken for the next run.
cmake --build "$scratch/build" -j "$JOBS" --target "${targets[@]}" > /dev/null 2>&1
if [ $survived -gt 0 ]; then
  echo "mutants: $survived mutant(s) survived the shared suite"
  exit 1
fi
echo "mutants: every mutant was caught by the shared suite"
