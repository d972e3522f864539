#!/bin/sh
# README's second command: installs what is missing, builds everything and
# runs the whole test suite (unit, conformance, models, Cortex-M under QEMU),
# then the sanitized job in build-asan/ (clang, -DEMLC_FUZZ=ON, which implies
# -DEMLC_SANITIZE=ON): the compiler and the generated code built with
# AddressSanitizer and UndefinedBehaviorSanitizer (ctest label `sanitize`:
# conformance, recurrent/function/pattern cases, model and int8 tests) and a
# 60-second fuzzing run of the compile path (label `fuzz`).
# EMLC_NO_SANITIZE=1 skips the second part.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2
ctest --test-dir build --output-on-failure -j2 "$@"
# The conformance count line, for the log.
grep -h "^conformance:" build/Testing/Temporary/LastTest.log | tail -1 || true
if [ "${EMLC_NO_SANITIZE:-0}" != 1 ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMLC_FUZZ=ON \
    -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang
  cmake --build build-asan -j2 --target emlc_conformance emlc_model_test emlc_int8_test emlc_fuzz_compile
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j2 -L 'sanitize|fuzz'
  grep -h "^conformance:" build-asan/Testing/Temporary/LastTest.log | tail -2 || true
fi
