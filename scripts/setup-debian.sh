#!/usr/bin/env bash
# Installs the Debian 12 packages cimmc builds and runs with, if any are missing.
# Runs apt-get as root, or through sudo for a user that has it.
set -euo pipefail

packages=(build-essential cmake pkg-config libyaml-cpp-dev libcxxopts-dev libhdf5-dev hdf5-tools
          libgtest-dev libbenchmark-dev python3-h5py python3-matplotlib python3-numpy python3-pandas zlib1g-dev libxxhash-dev
          libopenmpi-dev openmpi-bin  # the MPI backend (mpirun -np N cimmc run), tests/test_mpi.cpp
          coinor-libcbc-dev  # the MIP mapper (--mapper mip), optional at build time
          slurm-wlm  # tests/test_slurm.cpp: a real single-node Slurm, started in a temp dir (skipped without it)
          qemu-user  # tests run the binary on emulated CPUs without AVX / AVX-512
          dataset-fashion-mnist)  # real images for distribution kind patches (Expat, ~30 MB)

# Optional, only for scripts/train_fashion.py (retraining data/models/) and
# tests/data/onnx/make_onnx.py, make_torch_onnx.py; neither the build nor `make test` needs them:
#   scripts/setup-debian.sh --train   also installs python3-torch python3-onnx
if [ "${1:-}" = "--train" ]; then
  packages+=(python3-torch python3-onnx)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "cimmc setup: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "cimmc setup: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
