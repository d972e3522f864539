#!/bin/sh
# README's second command: installs what is missing, builds everything and
# runs the whole test suite (unit, conformance, models, Cortex-M under QEMU).
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2
ctest --test-dir build --output-on-failure -j2 "$@"
# The conformance count line, for the log.
grep -h "^conformance:" build/Testing/Temporary/LastTest.log | tail -1 || true
