# Sourced by tour.sh and bench.sh: the stages are found, not named.
#
#   stage_lines FILE_NAME    prints "DIR<TAB>LINE" for every line of stages/NN_*/FILE_NAME,
#                            the stages in order, comments and blank lines left out
#   have_gpu                 true where an NVIDIA GPU answers
#
# A line is `[gpu:] BINARY ARGS...`; `gpu:` marks a binary that needs a GPU.
stage_lines() {
  local stage line
  for stage in stages/[0-9][0-9]_*/; do
    [ -f "$stage/$1" ] || continue
    while IFS= read -r line; do
      [[ -z $line || $line == \#* ]] || printf '%s\t%s\n' "$(basename "$stage")" "$line"
    done < "$stage/$1"
  done
}
have_gpu() { command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; }
