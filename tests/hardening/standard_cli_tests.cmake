# mnist_standard_cli_tests(<binary target> LABELS label... [FLAGS flag...] [NO_CONTROL])
#
# Registers the bad-input cases every binary of the project must survive: a wrong command line exits 2 and a missing or malformed file exits 1, each with
# one `error:` line naming the flag or the file, and nothing written. One line per binary:
#
#   mnist_standard_cli_tests(stage02 LABELS stage02)
#   mnist_standard_cli_tests(stage04 LABELS stage04
#                            FLAGS data weights out epochs batch seed threads limit lr json)
#
# FLAGS: the shared flags (common/cli.h) the binary accepts, and `logits` for a forward
# stage's --logits; the default is a forward stage's: data weights batch seed threads limit
# json logits. Cases are added only for flags listed. `out` is a training binary's --out
# (with --force): an existing file, an input, or a missing directory there is refused
# before any training. Outputs aimed at an input (--json at the weights or a data file,
# --out at the shipped weights) must be refused with every input left as it was.
# NO_CONTROL: leave out the control case (the binary runs cleanly on the tiny valid data),
# for a binary that cannot run here at all (one that needs a GPU, say).
#
# The files come from tests/hardening/make_bad_files.cpp (the CTest fixture
# mnist_bad_files): a 3-image MNIST, each defect in its own directory, and weights files
# with one defect each. Every case runs in an empty scratch directory, with `--json
# out.json` where the binary takes --json, and fails if anything appears there.
# Tests are named <target>.bad_input.<case> and labelled cli, hardening and LABELS.
# Cases about permissions run as the user nobody when CTest runs as root.

set(MNIST_BAD_FILES "${PROJECT_BINARY_DIR}/tests/hardening/bad_files")

# One case: _mnist_cli_case(target case status expect labels arg...). Before calling it,
# `keep` may list files that must be left exactly as they were, and `as_nobody` may be ON.
function(_mnist_cli_case target case status expect labels)
  set(name "${target}.bad_input.${case}")
  add_test(NAME ${name}
           COMMAND "${CMAKE_COMMAND}" -DSTATUS=${status} "-DEXPECT=${expect}"
                   "-DSCRATCH=${CMAKE_CURRENT_BINARY_DIR}/scratch/${name}"
                   "-DKEEP=$<JOIN:${keep},;>" "-DAS_NOBODY=${as_nobody}"
                   "-DCOMMAND=$<TARGET_FILE:${target}>;$<JOIN:${ARGN},;>"
                   -P "${PROJECT_SOURCE_DIR}/tests/hardening/run_cli_case.cmake")
  set_tests_properties(${name} PROPERTIES LABELS "cli;hardening;${labels}"
                       FIXTURES_REQUIRED mnist_bad_files TIMEOUT 150)
endfunction()

function(mnist_standard_cli_tests target)
  cmake_parse_arguments(T "NO_CONTROL" "" "LABELS;FLAGS" ${ARGN})
  if(NOT T_FLAGS)
    set(T_FLAGS data weights batch seed threads limit json logits)
  endif()
  set(keep "")
  set(as_nobody OFF)
  set(files "${MNIST_BAD_FILES}")
  set(L "${T_LABELS}")

  # What every case passes: outputs go to the scratch directory; data, when the binary
  # reads any, is the valid tiny set unless the case is about the data.
  set(out "")
  if("json" IN_LIST T_FLAGS)
    set(out --json out.json)
  endif()
  set(good "")
  if("data" IN_LIST T_FLAGS)
    set(good --data "${files}/good")
  endif()

  # Command line.
  _mnist_cli_case(${target} unknown_flag 2 "unknown flag '--bogus'" "${L}" ${out} --bogus)
  _mnist_cli_case(${target} stray_argument 2 "unexpected argument 'stray'" "${L}" ${out} stray)
  # A bound is printed as it would be written (the float one was 0.000000 to 10.000000).
  if("lr" IN_LIST T_FLAGS)
    _mnist_cli_case(${target} lr.below_the_range 2 "--lr: 1e-10 is out of range \\(1e-09 to 10\\)"
                    "${L}" ${out} --lr 1e-10)
  endif()
  _mnist_cli_case(${target} help 0 "usage: " "${L}" --help)
  # Out-of-range values, per flag: the value, and what the error must say.
  set(range_batch 0 "--batch: 0 is out of range")
  set(range_epochs -1 "--epochs: -1 is out of range")
  set(range_threads 0 "--threads: 0 is out of range")
  set(range_limit 0 "--limit: 0 is out of range")
  set(range_seed -1 "--seed: '-1' is not a number")
  set(range_lr nan "--lr: nan is out of range")
  foreach(flag batch epochs threads limit seed lr)
    if(flag IN_LIST T_FLAGS)
      _mnist_cli_case(${target} ${flag}.missing_value 2 "--${flag} needs a value" "${L}" ${out} --${flag})
      _mnist_cli_case(${target} ${flag}.not_a_number 2 "--${flag}: 'many' is not a number" "${L}"
                      ${out} --${flag} many)
      list(GET range_${flag} 0 value)
      list(GET range_${flag} 1 message)
      _mnist_cli_case(${target} ${flag}.out_of_range 2 "${message}" "${L}" ${out} --${flag} ${value})
    endif()
  endforeach()
  if("batch" IN_LIST T_FLAGS)
    _mnist_cli_case(${target} batch.too_large 2 "--batch: 60001 is out of range" "${L}" ${out} --batch 60001)
  endif()
  if("lr" IN_LIST T_FLAGS)
    _mnist_cli_case(${target} lr.infinite 2 "--lr: inf is out of range" "${L}" ${out} --lr inf)
  endif()

  # Data.
  if("data" IN_LIST T_FLAGS)
    _mnist_cli_case(${target} data.missing_value 2 "--data needs a value" "${L}" ${out} --data)
    _mnist_cli_case(${target} data.empty_value 2 "--data needs a non-empty value" "${L}" ${out} --data=)
    _mnist_cli_case(${target} data.missing_dir 1 "no_such_dir: MNIST data directory not found" "${L}"
                    ${out} --data "${files}/no_such_dir")
    _mnist_cli_case(${target} data.empty_dir 1 "empty/(train|t10k)-(images|labels)-idx[13]-ubyte: not found" "${L}"
                    ${out} --data "${files}/empty")
    _mnist_cli_case(${target} data.swapped 1 "swapped/(train|t10k)-images-idx3-ubyte: not an MNIST image file"
                    "${L}" ${out} --data "${files}/swapped")
    _mnist_cli_case(${target} data.count_mismatch 1 "count_mismatch/(train|t10k)-labels-idx1-ubyte: holds 4 labels but"
                    "${L}" ${out} --data "${files}/count_mismatch")
    _mnist_cli_case(${target} data.truncated 1 "truncated/(train|t10k)-images-idx3-ubyte: truncated data"
                    "${L}" ${out} --data "${files}/truncated")
    _mnist_cli_case(${target} data.no_images 1 "no_images/(train|t10k)-images-idx3-ubyte: holds no images"
                    "${L}" ${out} --data "${files}/no_images")
    _mnist_cli_case(${target} data.label_out_of_range 1 "label 10 at index 0 is not a digit"
                    "${L}" ${out} --data "${files}/label_out_of_range")
    _mnist_cli_case(${target} data.symlink_loop 1
                    "symlink_loop/(train|t10k)-images-idx3-ubyte: .*Too many levels of symbolic links"
                    "${L}" ${out} --data "${files}/symlink_loop")
    _mnist_cli_case(${target} data.gz_no_trailer 1
                    "gz_no_trailer/(train|t10k)-images-idx3-ubyte.gz: truncated gzip stream" "${L}"
                    ${out} --data "${files}/gz_no_trailer")
    _mnist_cli_case(${target} data.gz_trailing 1
                    "gz_trailing/(train|t10k)-images-idx3-ubyte.gz: trailing data after the end of the gzip stream"
                    "${L}" ${out} --data "${files}/gz_trailing")
    if("limit" IN_LIST T_FLAGS)  # a usage mistake, though found only once the data is read
      _mnist_cli_case(${target} limit.above_the_set 2 "--limit 4 is above the 3 images" "${L}"
                      ${out} ${good} --limit 4)
    endif()
  endif()

  # Weights.
  if("weights" IN_LIST T_FLAGS)
    set(w "${files}/weights")
    _mnist_cli_case(${target} weights.missing_value 2 "--weights needs a value" "${L}" ${out} --weights)
    _mnist_cli_case(${target} weights.empty_value 2 "--weights needs a non-empty value" "${L}" ${out} --weights=)
    _mnist_cli_case(${target} weights.missing_file 1 "missing.safetensors: weights file not found" "${L}"
                    ${out} ${good} --weights "${w}/missing.safetensors")
    _mnist_cli_case(${target} weights.directory 1 "directory.safetensors: is a directory, not a regular file"
                    "${L}" ${out} ${good} --weights "${w}/directory.safetensors")
    _mnist_cli_case(${target} weights.symlink_loop 1
                    "loop.safetensors: cannot open weights file: Too many levels of symbolic links" "${L}"
                    ${out} ${good} --weights "${w}/loop.safetensors")
    _mnist_cli_case(${target} weights.nan 1 "nan.safetensors: tensor 'conv2.weight' holds a non-finite value"
                    "${L}" ${out} ${good} --weights "${w}/nan.safetensors")
    _mnist_cli_case(${target} weights.inf 1 "inf.safetensors: tensor 'fc.weight' holds a non-finite value"
                    "${L}" ${out} ${good} --weights "${w}/inf.safetensors")
    _mnist_cli_case(${target} weights.wrong_shape 1 "wrong_shape.safetensors: tensor 'fc.bias' has shape \\[11\\]"
                    "${L}" ${out} ${good} --weights "${w}/wrong_shape.safetensors")
    _mnist_cli_case(${target} weights.wrong_names 1 "wrong_names.safetensors: missing tensor 'conv1.weight'"
                    "${L}" ${out} ${good} --weights "${w}/wrong_names.safetensors")
    _mnist_cli_case(${target} weights.wrong_dtype 1 "wrong_dtype.safetensors: tensor 'fc.bias' has dtype F16"
                    "${L}" ${out} ${good} --weights "${w}/wrong_dtype.safetensors")
    _mnist_cli_case(${target} weights.lying_offsets 1 "lying_offsets.safetensors: tensor 'fc.bias' has data_offsets outside"
                    "${L}" ${out} ${good} --weights "${w}/lying_offsets.safetensors")
    _mnist_cli_case(${target} weights.truncated 1 "truncated.safetensors: .*cut short" "${L}"
                    ${out} ${good} --weights "${w}/truncated.safetensors")
    _mnist_cli_case(${target} weights.not_safetensors 1 "idx_file.safetensors: header length [0-9]+ is implausible"
                    "${L}" ${out} ${good} --weights "${w}/idx_file.safetensors")
  endif()

  # Outputs: never an input, never another output, never a special file, and checked
  # before any work.
  set(g "${w}/good.safetensors")
  set(data_file "${files}/good/t10k-images-idx3-ubyte")
  if("json" IN_LIST T_FLAGS)
    _mnist_cli_case(${target} json.missing_dir 1 "no_such_dir/out.json: cannot open for writing: No such file or directory \\(--json\\)"
                    "${L}" ${good} --json "${files}/no_such_dir/out.json")
    _mnist_cli_case(${target} json.directory 1 "empty: is a directory, not a regular file"
                    "${L}" ${good} --json "${files}/empty")
    set(keep "${files}/fifo")
    _mnist_cli_case(${target} json.fifo 1 "fifo: is a FIFO, not a regular file; refusing to replace it"
                    "${L}" ${good} --json "${files}/fifo")
    set(keep "${files}/read_only")
    set(as_nobody ON)  # the scratch directory is not theirs: every output goes to read_only
    set(locked_out "")
    if("out" IN_LIST T_FLAGS)
      set(locked_out --out "${files}/read_only/w.safetensors")
    endif()
    _mnist_cli_case(${target} output.permission_denied 1
                    "read_only/[a-z.]+: cannot open for writing: Permission denied"
                    "${L}" ${good} --json "${files}/read_only/out.json" ${locked_out})
    set(as_nobody OFF)
    if("data" IN_LIST T_FLAGS)
      set(keep "${data_file}")
      _mnist_cli_case(${target} json.is_data 2 "--json .* is the same file as --data .*: an output must not overwrite an input"
                      "${L}" ${good} --json "${data_file}")
    endif()
    if("weights" IN_LIST T_FLAGS)
      set(keep "${g}")
      _mnist_cli_case(${target} json.is_weights 2 "--json .* is the same file as --weights"
                      "${L}" ${good} --weights "${g}" --json "${g}")
    endif()
    set(keep "")
  endif()
  if("logits" IN_LIST T_FLAGS)
    set(keep "${g}")
    _mnist_cli_case(${target} logits.is_weights 2 "--logits .* is the same file as --weights"
                    "${L}" ${good} --weights "${g}" --logits "${g}" ${out})
    set(keep "")
    _mnist_cli_case(${target} logits.is_json 2 "is the same file as .*: two outputs cannot share one file"
                    "${L}" ${good} --json out.json --logits ./out.json)
  endif()
  if("weights" IN_LIST T_FLAGS AND NOT "out" IN_LIST T_FLAGS)
    # Finite weights whose products overflow: an error naming the weights, no result.
    _mnist_cli_case(${target} weights.overflow 1 "huge.safetensors overflow float32: image 0: logit [0-9] is (inf|-inf|nan|-nan)"
                    "${L}" ${out} ${good} --weights "${w}/huge.safetensors")
  endif()
  if("out" IN_LIST T_FLAGS)
    _mnist_cli_case(${target} out.missing_dir 1 "no_such_dir/w.safetensors: cannot open for writing: No such file or directory \\(--out\\)"
                    "${L}" ${out} ${good} --out "${files}/no_such_dir/w.safetensors")
    set(keep "${g}")
    _mnist_cli_case(${target} out.exists 2 "--out .*good.safetensors already exists; pass --force"
                    "${L}" ${out} ${good} --out "${g}")
    _mnist_cli_case(${target} out.is_weights 2 "--out .* is the same file as --weights"
                    "${L}" ${out} ${good} --weights "${g}" --out "${g}" --force)
    set(keep "${data_file}")
    _mnist_cli_case(${target} out.is_data 2 "--out .* is the same file as --data"
                    "${L}" ${out} ${good} --out "${data_file}" --force)
    set(keep "")
    _mnist_cli_case(${target} out.is_json 2 "--json out.json is the same file as --out"
                    "${L}" ${good} --out out.json --json out.json)
  endif()

  # Control: the same binary on the valid files runs cleanly, so each case above fails for
  # its one defect and not for something the fixture got wrong.
  if(NOT T_NO_CONTROL)
    set(args ${out} ${good})
    if("weights" IN_LIST T_FLAGS)
      list(APPEND args --weights "${files}/weights/good.safetensors")
    endif()
    if("out" IN_LIST T_FLAGS)
      list(APPEND args --out w.safetensors)  # into the scratch directory
    endif()
    if("epochs" IN_LIST T_FLAGS)
      list(APPEND args --epochs 1)
    endif()
    if("limit" IN_LIST T_FLAGS)
      list(APPEND args --limit 3)
    endif()
    _mnist_cli_case(${target} control 0 "" "${L}" ${args})
  endif()
endfunction()
