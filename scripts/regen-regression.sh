#!/usr/bin/env bash
# Rewrites the stored regression results tests/regression/*.h5 from their
# configs. Run it only when a change is meant to change results (new random
# streams, a model fix), and say so in the commit; tests/test_regression.cpp
# otherwise requires every new build to reproduce them bit for bit.
# Usage: scripts/regen-regression.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
for name in run study; do
  "$build/cimmc" run "tests/regression/$name.yaml" -o "tests/regression/$name.h5" --backend cpu --threads 2 > /dev/null
  echo "wrote tests/regression/$name.h5"
done
