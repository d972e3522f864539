#!/bin/sh
# Bounded fuzzing run: FUZZER CORPUS_DIR TESTS_DIR SECONDS
# Seeds: the benchmark models, ONNX's backend test models and every kept
# regression input (tests/fuzz/regressions/). The regressions are first run
# once each as plain tests; then the fuzzer runs for SECONDS.
set -eu
fuzzer=$1 corpus=$2 tests=$3 secs=$4
mkdir -p "$corpus/seeds" "$corpus/work"
i=0
for m in "$tests"/models/*/model.onnx /usr/share/libonnx-testdata/data/node/*/model.onnx \
         /usr/share/libonnx-testdata/data/pytorch-*/*/model.onnx; do
  [ -f "$m" ] || continue
  size=$(stat -c %s "$m")
  [ "$size" -le 2000000 ] || continue
  cp "$m" "$corpus/seeds/seed_$i.onnx"
  i=$((i + 1))
done
regressions=$(find "$tests/fuzz/regressions" -type f ! -name '.*' | sort)
if [ -n "$regressions" ]; then
  # shellcheck disable=SC2086
  "$fuzzer" -runs=0 $regressions
fi
exec "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=2000000 \
  -print_final_stats=1 "$corpus/work" "$corpus/seeds"
