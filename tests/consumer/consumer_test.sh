#!/bin/sh
# emlc as its users get it: installed to a prefix, then the examples are
# configured, built and run as separate CMake projects (host, and Cortex-M4F
# under QEMU), plus the IDE-style one-command build.
#
# usage: consumer_test.sh STEP SOURCE_DIR BUILD_DIR WORK_DIR
#   install     cmake --install BUILD_DIR into WORK_DIR/prefix (the other steps use it)
#   cmake_host  examples/cmake_host: digits accuracy; regeneration when the model or the flags change
#   har_host    examples/har_pipeline on the host: decisions == `emlc simulate`, >= 90% agreement,
#               pipeline buffers in the memory report, no heap
#   cortex_m4f  examples/cortex_m with the Cortex-M4F toolchain file, run under QEMU:
#               digits predictions, HAR decisions == `emlc simulate`
#   toolchains  examples/cortex_m builds with the Cortex-M7 and Cortex-M33 toolchain files
#   subdirectory add_subdirectory(<emlc source>) + add_embedded_model (configure only)
#   ide_dropin  examples/ide_dropin/build.sh (one arm-none-eabi-g++ command), run under QEMU
set -eu
STEP=$1
SRC=$(cd "$2" && pwd)
BUILD=$(cd "$3" && pwd)
WORK=$4
PREFIX=$WORK/prefix
EX=$SRC/examples
QEMU="qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null -semihosting-config enable=on,target=native -kernel"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
run() {
  echo "+ $*"
  "$@"
}
# The decision, summary and agreement lines of a transcript.
decisions() { grep -E '^(decision|summary|agreement)' "$1" || true; }
# No heap: no undefined reference to an allocator in the objects of a library.
no_heap() {
  if $1 -C "$2" | grep -E ' U (malloc|calloc|realloc|free|operator new|operator delete)'; then
    fail "$2 references the heap"
  fi
}
configure() {
  run cmake -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$PREFIX" "$@" > "$WORK/configure.log" 2>&1 ||
    { cat "$WORK/configure.log"; fail "configure failed: $*"; }
}

mkdir -p "$WORK"
case $STEP in
install)
  rm -rf "$PREFIX"
  run cmake --install "$BUILD" --prefix "$PREFIX" > "$WORK/install.log" || { cat "$WORK/install.log"; fail "install"; }
  for f in bin/emlc share/emlc/cmake/arm-none-eabi-cortex-m4f.cmake share/emlc/cmake/arm-none-eabi-cortex-m7.cmake \
    share/emlc/cmake/arm-none-eabi-cortex-m33.cmake include/emlc/pipeline.h share/emlc/templates/pipeline.cpp.in; do
    [ -e "$PREFIX/$f" ] || fail "the install has no $f"
  done
  ls "$PREFIX"/lib*/cmake/emlc/emlcConfig.cmake "$PREFIX"/lib*/cmake/emlc/EmlcAddModel.cmake > /dev/null ||
    fail "the install has no CMake package"
  echo "PASS: installed to $PREFIX"
  ;;

cmake_host)
  D=$WORK/cmake_host
  rm -rf "$D" && mkdir -p "$D"
  cp "$EX/digits/digits_cnn.onnx" "$D/model.onnx"  # a copy this test may touch
  configure -S "$EX/cmake_host" -B "$D/build" -DDIGITS_MODEL="$D/model.onnx"
  run cmake --build "$D/build" > "$D/build1.log" 2>&1 || { cat "$D/build1.log"; fail "build"; }
  run "$D/build/digits_accuracy" | tee "$D/run.txt"
  # 358/360 is the float model's accuracy on this test set as measured by its
  # authors (shared/models/digits_cnn/info.json: 0.99444).
  grep -q "test-set accuracy 358/360" "$D/run.txt" || fail "digits accuracy is not 358/360"
  # int8 (QUANTIZE int8 CALIBRATION): within 0.5 points of float, i.e. at
  # most one of the 360 images lost.
  run "$D/build/digits_accuracy_int8" | tee "$D/run_int8.txt"
  grep -q "arena 2560 bytes" "$D/run_int8.txt" || fail "the int8 build's arena is not int8's (2560 bytes)"
  grep -Eq "test-set accuracy 35[78]/360" "$D/run_int8.txt" || fail "int8 digits accuracy below 357/360"
  run cmake --build "$D/build" > "$D/build2.log" 2>&1
  grep -q "no work to do" "$D/build2.log" || { cat "$D/build2.log"; fail "a second build did something"; }
  sleep 1
  touch "$D/model.onnx"
  run cmake --build "$D/build" > "$D/build3.log" 2>&1
  grep -q "emlc: compiling" "$D/build3.log" || { cat "$D/build3.log"; fail "touching the model did not regenerate"; }
  grep -q "Linking CXX executable digits_accuracy" "$D/build3.log" || fail "the program was not relinked"
  configure -S "$EX/cmake_host" -B "$D/build" -DDIGITS_EMLC_OPTIONS="--max-arena;1M"
  run cmake --build "$D/build" > "$D/build4.log" 2>&1
  grep -q "emlc: compiling" "$D/build4.log" || { cat "$D/build4.log"; fail "new flags did not regenerate"; }
  grep -q -- "--max-arena" "$D/build/digits_model_emlc.flags" || fail "the flags file lacks the new flag"
  run "$D/build/digits_accuracy" | grep -q "358/360" || fail "accuracy after regeneration"
  # A new emlc executable (reinstalled) regenerates too.
  sleep 1
  touch "$PREFIX/bin/emlc"
  run cmake --build "$D/build" > "$D/build5.log" 2>&1
  grep -q "emlc: compiling" "$D/build5.log" || { cat "$D/build5.log"; fail "a new emlc did not regenerate"; }

  # PRUNE and QUANTIZE for real: the digits model pruned (magnitude 0.5) and
  # quantized at build time; the generated code must use the sparse kernels.
  P=$D/pruned
  mkdir -p "$P"
  cat > "$P/CMakeLists.txt" << CMAKE
cmake_minimum_required(VERSION 3.20)
project(pruned LANGUAGES CXX)
find_package(emlc REQUIRED)
add_embedded_model(digits_model MODEL $D/model.onnx NAME digits QUANTIZE int8
                   CALIBRATION $SRC/tests/models/digits_cnn/calib.npy PRUNE magnitude:0.5)
add_executable(digits_accuracy $EX/cmake_host/main.cpp)
target_link_libraries(digits_accuracy PRIVATE digits_model)
target_compile_features(digits_accuracy PRIVATE cxx_std_17)
target_compile_definitions(digits_accuracy PRIVATE DIGITS_DATA_DIR="$EX/cmake_host/data")
CMAKE
  configure -S "$P" -B "$P/build"
  run cmake --build "$P/build" > "$P/build.log" 2>&1 || { cat "$P/build.log"; fail "build with PRUNE"; }
  tr '\n' ' ' < "$P/build/digits_model_emlc.flags" | grep -q -- "--prune magnitude:0.5" || fail "PRUNE was not passed on"
  grep -q "qgemm_sparse" "$P/build/digits_model_emlc/digits.cpp" || fail "PRUNE magnitude:0.5 gave no sparse kernels"
  run "$P/build/digits_accuracy" | tee "$P/run.txt"
  grep -q "test-set accuracy" "$P/run.txt" || fail "the pruned digits program did not run"
  pruned_acc=$(sed -n 's/.*test-set accuracy \([0-9]*\/[0-9]*\).*/\1/p' "$P/run.txt")

  # The pass-through arguments: configure only.
  P=$D/args
  mkdir -p "$P"
  cp "$D/model.onnx" "$P/model.onnx"
  : > "$P/calib.npy"
  printf '%s\n' '{"sensor": {"channels": ["x"], "rate_hz": 1}, "window": {"length": 1, "hop": 1}}' > "$P/p.json"
  cat > "$P/CMakeLists.txt" << 'CMAKE'
cmake_minimum_required(VERSION 3.20)
project(args LANGUAGES CXX)
find_package(emlc REQUIRED)
add_embedded_model(qm MODEL model.onnx QUANTIZE int8 CALIBRATION calib.npy PRUNE magnitude:0.5
                   PIPELINE p.json OPTIONS --max-arena 1M)
get_target_property(dir qm EMLC_OUTPUT_DIR)
message(STATUS "EMLC_OUTPUT_DIR=${dir}")
CMAKE
  configure -S "$P" -B "$P/build"
  grep -q "EMLC_OUTPUT_DIR=$P/build/qm_emlc" "$WORK/configure.log" || fail "EMLC_OUTPUT_DIR property"
  tr '\n' ' ' < "$P/build/qm_emlc.flags" > "$P/flags.txt"
  for want in "--name qm" "--quantize int8" "--calibration $P/calib.npy" "--prune magnitude:0.5" \
    "--pipeline $P/p.json" "--max-arena 1M"; do
    grep -q -- "$want" "$P/flags.txt" || fail "add_embedded_model did not pass '$want' (flags: $(cat "$P/flags.txt"))"
  done
  sed -i 's/QUANTIZE int8 //' "$P/CMakeLists.txt"
  if cmake -S "$P" -B "$P/build2" -DCMAKE_PREFIX_PATH="$PREFIX" > "$P/bad.log" 2>&1; then
    fail "CALIBRATION without QUANTIZE was accepted"
  fi
  grep -q "CALIBRATION needs QUANTIZE" "$P/bad.log" || { cat "$P/bad.log"; fail "message for CALIBRATION without QUANTIZE"; }
  echo "PASS: cmake_host (accuracy 358/360, int8 $(grep -o '[0-9]*/360' "$D/run_int8.txt"); regenerated on model touch, new flags and a new emlc; no-op rebuild;" \
    "QUANTIZE/CALIBRATION/PRUNE/PIPELINE/OPTIONS passed on; PRUNE magnitude:0.5 int8 built with sparse kernels," \
    "accuracy $pruned_acc)"
  ;;

har_host)
  D=$WORK/har_host
  rm -rf "$D" && mkdir -p "$D"
  # A copy of the example (this test touches its pipeline file) and the shared console header.
  mkdir -p "$D/examples"
  cp -r "$EX/har_pipeline" "$EX/common" "$D/examples/"
  configure -S "$D/examples/har_pipeline" -B "$D/build"
  run cmake --build "$D/build" > "$D/build.log" 2>&1 || { cat "$D/build.log"; fail "build"; }
  sleep 1
  touch "$D/examples/har_pipeline/pipeline.json"
  run cmake --build "$D/build" > "$D/build2.log" 2>&1
  grep -q "emlc: compiling" "$D/build2.log" || { cat "$D/build2.log"; fail "touching the pipeline did not regenerate"; }
  run "$D/build/har_pipeline" > "$D/host.txt" || fail "the host program failed"
  run "$PREFIX/bin/emlc" simulate "$EX/har_pipeline/har_cnn1d.onnx" --pipeline "$EX/har_pipeline/pipeline.json" \
    --csv "$EX/har_pipeline/stream.csv" > "$D/simulate.txt" || fail "emlc simulate failed"
  cat "$D/simulate.txt"
  decisions "$D/simulate.txt" > "$D/sim.lines"
  decisions "$D/host.txt" > "$D/host.lines"
  [ -s "$D/sim.lines" ] || fail "simulate printed no decisions"
  diff "$D/sim.lines" "$D/host.lines" || fail "generated code (host) and emlc simulate decide differently"
  pct=$(sed -n 's/^agreement: \([0-9]*\)\..*/\1/p' "$D/host.lines")
  [ -n "$pct" ] && [ "$pct" -ge 90 ] || fail "window agreement with the ground truth below 90% ($pct)"
  grep -q '"pipeline": "pipeline: sample ring"' "$D/build/har_model_emlc/har.json" ||
    fail "the memory report (har.json) does not list the pipeline's ring"
  no_heap nm "$D/build/libhar_model.a"
  # int8 (QUANTIZE int8 CALIBRATION): the same checks against `emlc simulate --quantize int8`.
  run "$D/build/har_pipeline_int8" > "$D/host_int8.txt" || fail "the int8 host program failed"
  run "$PREFIX/bin/emlc" simulate "$EX/har_pipeline/har_cnn1d.onnx" --pipeline "$EX/har_pipeline/pipeline.json" \
    --csv "$EX/har_pipeline/stream.csv" --quantize int8 --calibration "$EX/har_pipeline/har_calib.npy" \
    > "$D/simulate_int8.txt" || fail "emlc simulate --quantize int8 failed"
  decisions "$D/simulate_int8.txt" > "$D/sim_int8.lines"
  decisions "$D/host_int8.txt" > "$D/host_int8.lines"
  [ -s "$D/sim_int8.lines" ] || fail "simulate (int8) printed no decisions"
  diff "$D/sim_int8.lines" "$D/host_int8.lines" || fail "int8: generated code (host) and emlc simulate decide differently"
  pct8=$(sed -n 's/^agreement: \([0-9]*\)\..*/\1/p' "$D/host_int8.lines")
  [ -n "$pct8" ] && [ "$pct8" -ge 90 ] || fail "int8 window agreement with the ground truth below 90% ($pct8)"
  grep -q 'har_INPUT0_SCALE' "$D/build/har_model_int8_emlc/har.h" ||
    fail "the int8 build is not quantized"
  no_heap nm "$D/build/libhar_model_int8.a"
  echo "PASS: har_host (decisions identical to emlc simulate; float $(grep '^agreement' "$D/host.lines");" \
    "int8 $(grep '^agreement' "$D/host_int8.lines"))"
  ;;

cortex_m4f)
  D=$WORK/cortex_m4f
  rm -rf "$D" && mkdir -p "$D"
  configure -S "$EX/cortex_m" -B "$D/build" -DCMAKE_TOOLCHAIN_FILE="$PREFIX/share/emlc/cmake/arm-none-eabi-cortex-m4f.cmake"
  run cmake --build "$D/build" > "$D/build.log" 2>&1 || { cat "$D/build.log"; fail "build"; }
  no_heap arm-none-eabi-nm "$D/build/har_pipeline/libhar_model.a"
  no_heap arm-none-eabi-nm "$D/build/libdigits_model.a"
  timeout 300 $QEMU "$D/build/digits_m4f.elf" > "$D/digits.txt" 2>&1 || { cat "$D/digits.txt"; fail "digits_m4f exit status"; }
  cat "$D/digits.txt"
  grep -q "4 of 4 correct" "$D/digits.txt" || fail "digits on Cortex-M4F"
  timeout 600 $QEMU "$D/build/har_pipeline/har_pipeline.elf" > "$D/target.txt" 2>&1 ||
    { cat "$D/target.txt"; fail "har_pipeline.elf exit status"; }
  run "$PREFIX/bin/emlc" simulate "$EX/har_pipeline/har_cnn1d.onnx" --pipeline "$EX/har_pipeline/pipeline.json" \
    --csv "$EX/har_pipeline/stream.csv" > "$D/simulate.txt" || fail "emlc simulate failed"
  decisions "$D/simulate.txt" > "$D/sim.lines"
  decisions "$D/target.txt" > "$D/target.lines"
  cat "$D/target.lines"
  # The target may fuse multiply-adds (FMA), so scores may differ in the last
  # digit; decisions (sample, window, label), the summary and the agreement
  # must be identical.
  sed 's/ score=.*//' "$D/sim.lines" > "$D/sim.nos"
  sed 's/ score=.*//' "$D/target.lines" > "$D/target.nos"
  diff "$D/sim.nos" "$D/target.nos" || fail "Cortex-M4F and emlc simulate decide differently"
  paste -d' ' "$D/sim.lines" "$D/target.lines" | awk '/^decision/ {
      split($5, a, "="); split($10, b, "="); d = a[2] - b[2]; if (d < 0) d = -d;
      if (d > 0.0002) { print "score differs: " $0; bad = 1 } }
    END { exit bad }' || fail "scores differ by more than 0.0002"
  pct=$(sed -n 's/^agreement: \([0-9]*\)\..*/\1/p' "$D/target.lines")
  [ -n "$pct" ] && [ "$pct" -ge 90 ] || fail "window agreement on Cortex-M4F below 90% ($pct)"
  # int8 on the target: decisions identical to `emlc simulate --quantize int8`.
  no_heap arm-none-eabi-nm "$D/build/har_pipeline/libhar_model_int8.a"
  timeout 600 $QEMU "$D/build/har_pipeline/har_pipeline_int8.elf" > "$D/target_int8.txt" 2>&1 ||
    { cat "$D/target_int8.txt"; fail "har_pipeline_int8.elf exit status"; }
  run "$PREFIX/bin/emlc" simulate "$EX/har_pipeline/har_cnn1d.onnx" --pipeline "$EX/har_pipeline/pipeline.json" \
    --csv "$EX/har_pipeline/stream.csv" --quantize int8 --calibration "$EX/har_pipeline/har_calib.npy" \
    > "$D/simulate_int8.txt" || fail "emlc simulate --quantize int8 failed"
  decisions "$D/simulate_int8.txt" | sed 's/ score=.*//' > "$D/sim_int8.nos"
  decisions "$D/target_int8.txt" | sed 's/ score=.*//' > "$D/target_int8.nos"
  [ -s "$D/sim_int8.nos" ] || fail "simulate (int8) printed no decisions"
  diff "$D/sim_int8.nos" "$D/target_int8.nos" || fail "int8: Cortex-M4F and emlc simulate decide differently"
  echo "PASS: cortex_m4f (digits 4/4; HAR decisions identical to emlc simulate; float $(grep '^agreement' "$D/target.lines");" \
    "int8 $(grep '^agreement' "$D/target_int8.nos"))"
  ;;

toolchains)
  for cpu in m7 m33; do
    D=$WORK/toolchain_$cpu
    rm -rf "$D" && mkdir -p "$D"
    configure -S "$EX/cortex_m" -B "$D/build" \
      -DCMAKE_TOOLCHAIN_FILE="$PREFIX/share/emlc/cmake/arm-none-eabi-cortex-$cpu.cmake"
    run cmake --build "$D/build" > "$D/build.log" 2>&1 || { cat "$D/build.log"; fail "build with the $cpu toolchain"; }
    grep -q -- "-mcpu=cortex-$cpu" "$D/build/CMakeCache.txt" || fail "the $cpu toolchain's flags are not used"
  done
  echo "PASS: toolchains (Cortex-M7 and Cortex-M33 builds)"
  ;;

subdirectory)
  # add_subdirectory() of emlc's source tree gives add_embedded_model() too.
  # Configure only (building emlc a second time takes long): the generated
  # sources must depend on the emlc built in that project, and emlc's own
  # tests must stay out of it.
  D=$WORK/subdirectory
  rm -rf "$D" && mkdir -p "$D"
  cat > "$D/CMakeLists.txt" << CMAKE
cmake_minimum_required(VERSION 3.25)
project(sub LANGUAGES C CXX)
add_subdirectory($SRC emlc)
add_embedded_model(digits_model MODEL $EX/digits/digits_cnn.onnx NAME digits)
CMAKE
  run cmake -G Ninja -S "$D" -B "$D/build" > "$D/configure.log" 2>&1 || { cat "$D/configure.log"; fail "configure"; }
  ninja -C "$D/build" -t query digits_model_emlc/digits.cpp > "$D/query.txt" || fail "no rule for the generated source"
  grep -q "emlc/bin/emlc" "$D/query.txt" || { cat "$D/query.txt"; fail "the generated source does not depend on emlc"; }
  if grep -q "emlc_unit_tests" "$D/build/build.ninja"; then fail "emlc's tests are built under add_subdirectory"; fi
  echo "PASS: subdirectory (configure: add_embedded_model depends on the emlc target)"
  ;;

ide_dropin)
  D=$WORK/ide_dropin
  rm -rf "$D" && mkdir -p "$D"
  run sh "$EX/ide_dropin/build.sh" "$PREFIX/bin/emlc" "$D" > "$D/build.log" 2>&1 || { cat "$D/build.log"; fail "build.sh"; }
  [ "$(grep -c '^+ arm-none-eabi-g++' "$D/build.log")" = 1 ] || fail "build.sh did not build with one compiler command"
  timeout 300 $QEMU "$D/app.elf" > "$D/run.txt" 2>&1 || { cat "$D/run.txt"; fail "app.elf exit status"; }
  cat "$D/run.txt"
  grep -q "all correct" "$D/run.txt" || fail "ide_dropin predictions"
  echo "PASS: ide_dropin"
  ;;

*)
  fail "unknown step $STEP"
  ;;
esac
