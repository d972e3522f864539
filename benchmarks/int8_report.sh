#!/bin/sh
# Prints the int8 report of the benchmark models (accuracy float vs int8,
# weights and arena ratios) and the MLPerf Tiny QDQ models against TFLM.
# usage: sh benchmarks/int8_report.sh [DATA_DIR] [--method M]
# DATA_DIR defaults to ../shared/models (next to the repository).
set -e
cd "$(dirname "$0")/.."
data=${1:-../shared/models}
[ $# -gt 0 ] && shift
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
nice ninja -C build -j1 emlc_int8_report >/dev/null
exec build/bin/emlc_int8_report "$data" "$@"
