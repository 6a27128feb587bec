# Sourced by sanitize.sh and fuzz.sh: clang++ with its sanitizer runtimes and LLVM's OpenMP.
#
#   ensure_clang WHO PROBE_SOURCE FLAGS...
# Succeeds when clang++ compiles and links PROBE_SOURCE with FLAGS. Otherwise installs
# Debian's packages when run as root, or prints the command and fails; WHO prefixes the
# messages. Debian 12 ships the runtimes (ThreadSanitizer, libFuzzer) in libclang-rt-14-dev
# and libomp in libomp-14-dev, apart from the compiler itself.
ensure_clang() {
  local who=$1 probe=$2
  shift 2
  local pkgs="clang libclang-rt-14-dev libomp-14-dev"
  if command -v clang++ >/dev/null && echo "$probe" | clang++ -x c++ "$@" - -o /dev/null 2>/dev/null; then
    return 0
  fi
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
    echo "$who: installing $pkgs"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null
  else
    echo "$who: needs clang++ with its runtimes: sudo apt-get install -y $pkgs" >&2
    return 1
  fi
}
