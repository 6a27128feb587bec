#!/usr/bin/env bash
# Builds the Doxygen site into <build-dir>/docs/html and fails on any Doxygen warning or
# any broken link.   Usage: bash scripts/docs.sh [build-dir]     (make docs calls it)
#
# Needs doxygen, Debian's MathJax (libjs-mathjax: formulas render offline, no page needs the
# internet) and python3 (the link check). Missing ones are installed with apt-get when run
# as root; otherwise the script prints the command and stops. With DOCS_NO_INSTALL=1 it never
# installs and exits 77 when something is missing (the ctest uses this to report a skip).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
mathjax_src=/usr/share/javascript/mathjax

# --- set-up -------------------------------------------------------------------------------
missing=()
command -v doxygen >/dev/null || missing+=(doxygen)
[ -f "$mathjax_src/MathJax.js" ] || missing+=(libjs-mathjax)
command -v python3 >/dev/null || missing+=(python3)
if [ ${#missing[@]} -gt 0 ]; then
  if [ "${DOCS_NO_INSTALL:-0}" = 1 ]; then
    echo "docs: skipped, ${missing[*]} not installed (install: apt-get install -y ${missing[*]})" >&2
    exit 77
  elif command -v apt-get >/dev/null && [ "$(id -u)" -eq 0 ]; then
    echo "docs: installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "docs: missing ${missing[*]}. Install with:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

# --- build --------------------------------------------------------------------------------
mkdir -p "$build"
out=$(cd "$build" && pwd)/docs
rm -rf "$out/html"   # no stale page may hide a broken link
mkdir -p "$out"

# Pages written alongside the code appear, and are linked from the lessons, as soon as they
# exist; until then the lessons name the file instead of holding a broken reference. The
# pages test for them with \if readme_NN / testing_page ... \else ... \endif.
readmes=()
sections=()
for readme in stages/[0-9][0-9]_*/README.md; do
  [ -f "$readme" ] || continue
  readmes+=("$readme")
  stage=$(basename "$(dirname "$readme")")
  sections+=("readme_${stage%%_*}")
done
# docs/tooling/testing.md is written by the testing lesson's author; its page label is its
# first heading's {#label}, or Doxygen's default name for the file.
testing_label=md_docs_tooling_testing
if [ -f docs/tooling/testing.md ]; then
  sections+=(testing_page)
  label=$(grep -m1 -o '{#[A-Za-z0-9_]*}' docs/tooling/testing.md | tr -d '{#}' || true)
  [ -n "$label" ] && testing_label=$label
fi

log="$out/doxygen-warnings.log"
status=0
{ cat docs/Doxyfile
  echo "ENABLED_SECTIONS = ${sections[*]}"
  echo "ALIASES += testing_page_label=$testing_label"
} |
  DOCS_OUTPUT="$out" DOCS_MATHJAX=mathjax DOCS_STAGE_READMES="${readmes[*]}" doxygen - 2>"$log" >/dev/null || status=$?
doxygen_ok=1
if [ -s "$log" ] || [ $status -ne 0 ]; then
  cat "$log" >&2
  doxygen_ok=0
fi

# MathJax 2 next to the pages: what the TeX input and the HTML-CSS output load, with the
# TeX web fonts only (docs/mathjax-config.js tells MathJax to use those): about 3 MB of the
# package's 54 MB.
mj="$out/html/mathjax"
out_jax="$mj/jax/output/HTML-CSS"
mkdir -p "$mj/jax/input" "$out_jax/fonts" "$mj/fonts/HTML-CSS/TeX"
cp "$mathjax_src/MathJax.js" "$mj/"
cp -r "$mathjax_src/extensions" "$mj/"
mkdir -p "$mj/localization" && cp -r "$mathjax_src/localization/en" "$mj/localization/"
cp -r "$mathjax_src/jax/element" "$mj/jax/"
cp -r "$mathjax_src/jax/input/TeX" "$mj/jax/input/"
cp -r "$mathjax_src/jax/output/HTML-CSS/"*.js "$mathjax_src/jax/output/HTML-CSS/autoload" "$out_jax/"
cp -r "$mathjax_src/jax/output/HTML-CSS/fonts/TeX" "$out_jax/fonts/"
cp -r "$mathjax_src/fonts/HTML-CSS/TeX/woff" "$mathjax_src/fonts/HTML-CSS/TeX/otf" \
  "$mj/fonts/HTML-CSS/TeX/"

links_ok=1
python3 docs/check_links.py "$out/html" || links_ok=0

if [ $doxygen_ok = 0 ]; then
  echo "docs: FAILED, doxygen reported $(grep -c . "$log") warning line(s) (exit status $status;" \
       "list in $log)" >&2
fi
[ $links_ok = 1 ] || echo "docs: FAILED, broken links (listed above)" >&2
[ $doxygen_ok = 1 ] && [ $links_ok = 1 ] || exit 1
echo "docs: $out/html/index.html"
