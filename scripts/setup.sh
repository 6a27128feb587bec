#!/usr/bin/env bash
# Checks that the Debian packages the project needs are installed; installs them when run
# as root, otherwise prints the one command to run. Other Linux machines: see README.md.
set -euo pipefail

# Libraries (and doxygen + MathJax, which the docs test needs) are checked by Debian
# package; tools by command, since they may come from elsewhere (Node's npm, a newer CMake).
libs=(zlib1g-dev libgtest-dev libbenchmark-dev libopenblas-dev doxygen libjs-mathjax)
declare -A tools=([cmake]=cmake [g++]=g++ [make]=make [npm]=npm [python3]=python3 [sha256sum]=coreutils)
missing=()
for p in "${libs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
for t in "${!tools[@]}"; do
  command -v "$t" >/dev/null || missing+=("${tools[$t]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  echo "setup: missing ${missing[*]}, and this is not a Debian-like system: see README.md" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing packages. Install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "setup: installing ${missing[*]}"
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
