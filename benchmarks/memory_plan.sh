#!/bin/sh
# Memory plan of every benchmark model: arena, plain lifetime bound, ratio,
# and what views / in-place ops / elided Concats saved (bytes of the bound).
#   sh benchmarks/memory_plan.sh [--memory dtcm=64K,sram=320K] [MODEL_DIR...]
# Builds the tool if needed (build/ must be configured: see scripts/test.sh).
set -eu
cd "$(dirname "$0")/.."
cmake --build build --target emlc_memory_bench -j1 >/dev/null
args=""
while [ $# -gt 0 ] && [ "${1#--}" != "$1" ]; do args="$args $1 $2"; shift 2; done
if [ $# -eq 0 ]; then set -- $(ls -d tests/models/*/ | grep -v mlperf_tiny); fi
# shellcheck disable=SC2086
exec build/bin/emlc_memory_bench $args "$@"
