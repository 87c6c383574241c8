#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has CUDA but none
# of cimmc's libraries and no package registry (the workplace's device
# machines): the built cimmc, cimmc_tests and cimmc_bench (stripped), every
# shared library they load except glibc's, and Debian's Fashion-MNIST files,
# which the inference check and some tests read.
# Run it on the build machine after `make`; it writes .gpu/ (ignored by git:
# add `/.gpu/` to .git/info/exclude) and prints the paths to carry.
# Usage: scripts/gpu-pack.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
grep -q "CIMMC_HAVE_CUDA=1" "$BUILD/CMakeFiles/cimmc_core.dir/flags.make" 2>/dev/null ||
  { echo "gpu-pack: $BUILD was not built with the CUDA backend" >&2; exit 1; }
rm -rf .gpu/stage && mkdir -p .gpu/stage/bin .gpu/stage/lib .gpu/data
for b in cimmc cimmc_tests cimmc_bench; do cp "$BUILD/$b" .gpu/stage/bin/; done
strip .gpu/stage/bin/*
ldd .gpu/stage/bin/* | awk '/=>/ {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libdl|libpthread|librt|ld-linux[^/]*)\.so' | xargs -I{} cp -L {} .gpu/stage/lib/
# The tests find configs and the binary by the build machine's absolute paths.
sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt" > .gpu/stage/source_dir
echo "$(cd "$BUILD" && pwd)" > .gpu/stage/build_dir
tar -C .gpu/stage -cJf .gpu/pkg.tar.xz bin lib source_dir build_dir
D=/usr/share/datasets/fashion-mnist
[ -d "$D" ] && cp "$D"/*.gz .gpu/data/  # 31 MB: the carried tree stays under 64 MiB
du -sh .gpu/pkg.tar.xz .gpu/data
echo "carry: .gpu/pkg.tar.xz .gpu/data; then run scripts/gpu-check.sh there"
