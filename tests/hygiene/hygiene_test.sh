#!/bin/sh
# Generated code hygiene: every benchmark model's generated folder (float
# and int8, --optimize speed and size), a sensor-pipeline model and a
# stateful (streaming GRU) model must
#   - build with -Wall -Wextra -Wconversion -Wshadow -Wvla -Werror on g++,
#     clang++ and arm-none-eabi-g++ (Cortex-M4F);
#   - be cppcheck clean (warning, portability and performance checks);
#   - have no recursion and no dynamically sized stack frames, with NAME_run's
#     stack use measured on the Cortex-M4F build and stated in NAME.h:
#     emlc compile --measure-stack fails on a call cycle or a dynamic frame.
#
# usage: hygiene_test.sh EMLC TESTS_DIR WORK_DIR [FILTER]
#   FILTER: only variants whose label contains it (e.g. "digits").
set -eu
emlc=$1 tests=$2 work=$3 filter=${4:-}
models=$tests/models
rm -rf "$work"
mkdir -p "$work"
WARN="-std=c++17 -O2 -Wall -Wextra -Wconversion -Wshadow -Wvla -Werror -fno-exceptions -fno-rtti"
ARM="arm-none-eabi-g++ -mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"
failures=0 checked=0

fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}

# check LABEL DIR NAME: builds and checks one generated folder.
check() {
  label=$1 dir=$2 name=$3
  srcs="$name.cpp ${name}_weights.cpp"
  code="$name.cpp"
  if [ -f "$dir/${name}_pipeline.cpp" ]; then
    srcs="$srcs ${name}_pipeline.cpp"
    code="$code ${name}_pipeline.cpp"
  fi
  for cxx in g++ clang++ "$ARM"; do
    for s in $srcs; do
      if ! (cd "$dir" && $cxx $WARN -c "$s" -o /dev/null) > "$work/$label.log" 2>&1; then
        fail "$label: $s does not build cleanly with ${cxx%% *}"
        sed -n 1,20p "$work/$label.log"
      fi
    done
  done
  # cppcheck: warning, portability and performance findings (style is a
  # matter of taste); the runtime headers are checked through the sources
  # that include them; one preprocessor configuration (the one built). The
  # weights source (constant arrays only) is left out: it holds no code.
  # invalidPointerCast is suppressed: it flags the typed views of the arena
  # (reinterpret_cast<float*>(arena + offset)); the arena is an
  # `alignas(16) uint8_t` (unsigned char) array, whose storage may hold objects of
  # implicit-lifetime types such as float and int8_t (C++20 [intro.object],
  # P0593, applied to earlier standards as a defect report), and every offset
  # is aligned for its type by the planner.
  # shellcheck disable=SC2086
  if ! (cd "$dir" && cppcheck --quiet --std=c++17 --language=c++ --enable=warning,portability,performance \
          --max-configs=1 --suppress=invalidPointerCast --error-exitcode=1 $code) > "$work/$label.cppcheck" 2>&1; then
    fail "$label: cppcheck findings"
    sed -n 1,20p "$work/$label.cppcheck"
  fi
  if ! grep -q "#define ${name}_RUN_STACK_BYTES [0-9]" "$dir/$name.h"; then
    fail "$label: $name.h states no measured stack use"
  fi
  checked=$((checked + 1))
  echo "ok   $label: $(grep -o "#define ${name}_RUN_STACK_BYTES [0-9]*" "$dir/$name.h" | cut -d' ' -f3) B stack"
}

# compile LABEL NAME ARGS...: emlc compile with --measure-stack, then check.
compile() {
  label=$1 name=$2
  shift 2
  case "$label" in *"$filter"*) ;; *) return 0 ;; esac
  if ! "$emlc" compile "$@" -o "$work/$label" --name "$name" --measure-stack > "$work/$label.emlc" 2>&1; then
    fail "$label: emlc compile failed"
    cat "$work/$label.emlc"
    return 0
  fi
  check "$label" "$work/$label" "$name"
}

for m in ad_autoencoder digits_cnn har_cnn1d ic_resnet8 kws_dscnn vww_mobilenetv1_025; do
  calib=$models/$m/input_0.npy
  [ -f "$models/$m/calib.npy" ] && calib=$models/$m/calib.npy
  for opt in speed size; do
    compile "${m}_float_$opt" "$m" "$models/$m/model.onnx" --optimize "$opt"
    compile "${m}_int8_$opt" "$m" "$models/$m/model.onnx" --optimize "$opt" --quantize int8 --calibration "$calib"
  done
  # The single-precision FPU float kernels (runtime/emlc/float_fpu.h).
  compile "${m}_float_cortex_m4" "$m" "$models/$m/model.onnx" --target cortex-m4
done
# A sensor pipeline (window, FFT features, post-processing) around the HAR model.
compile har_pipeline har "$tests/../examples/har_pipeline/har_cnn1d.onnx" --pipeline "$tests/../examples/har_pipeline/pipeline.json"
# A streaming model: the GRU keyword spotter with its state kept across runs.
compile kws_gru_stateful kws_gru "$tests/rnn/kws_gru/model.onnx" --stateful --input-shape mfcc=1,1,10

echo "hygiene: $checked folders checked, $failures failures"
[ "$failures" -eq 0 ] && [ "$checked" -gt 0 ]
