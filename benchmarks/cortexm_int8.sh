#!/bin/sh
# Cost of one inference of the benchmark models on Cortex-M4F under QEMU
# (mps2-an386): the int8 QDQ models of tests/models/mlperf_tiny (digits and
# HAR, which have none: the float model quantized by emlc with its
# calibration set) compiled with each --target given, `float`: the float
# models of tests/models with the generic float kernels, and `float-TARGET`
# (e.g. float-cortex-m4): the float models compiled with --target TARGET
# (the single-precision FPU kernels of runtime/emlc/float_fpu.h) (default:
# generic cortex-m4 float float-cortex-m4; EMLC_BENCH_MODELS picks models):
#   instructions   guest instructions inside a marker window around NAME_run,
#                  counted by the QEMU plugin of /work/shared/tools/qemu-insn-count
#                  (exact and repeatable; instructions, not cycles)
#   insn/MAC       instructions / the model's multiply-accumulates
#   code, weights  flash: the program's text+rodata minus the same program
#                  without the model (code: kernels, run function, parameter
#                  tables; weights: NAME_weights.o), built at -Os
#   arena, other   RAM: the arena, and the model's other .data/.bss
#   stack          stack the run used, measured by painting (bytes)
#   / TFLM+CMSIS-NN  instructions over TFLM + CMSIS-NN's on the same model and
#                  machine (issue 8's table; the goal is at most 0.70)
# Counts come from the -O2 build, flash from an -Os build of the same code.
#   sh benchmarks/cortexm_int8.sh [TARGET...]
set -eu
cd "$(dirname "$0")/.."
targets=${*:-generic cortex-m4 float float-cortex-m4}
work=build/bench-cortexm-int8
mkdir -p "$work"
plugin=$work/insn_window.so
src=${EMLC_QEMU_PLUGIN_SRC:-/work/shared/tools/qemu-insn-count/insn_window.c}
[ -f "$plugin" ] || cc -shared -fPIC -O2 -o "$plugin" "$src"
arm="-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb"
flags="-std=c++17 -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections"
link="-T tests/cortex_m/mps2_an386.ld -nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections"
arm-none-eabi-gcc $arm -O2 -c tests/cortex_m/startup.c -o $work/startup.o

cat > $work/main.cpp <<'SRC'
// One NAME_run inside a marker window; the stack below main's frame is
// painted first and scanned after to find how deep the run went.
#include <stdint.h>
#include MODEL_HEADER
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define M(s) CAT(MODEL, s)
#define EMLC_BENCH_BEGIN() __asm__ volatile("mov r11, r11" ::: "memory")
#define EMLC_BENCH_END() __asm__ volatile("mov r10, r10" ::: "memory")
extern "C" void emlc_semihost_write(const char* s);
static uint32_t in[(M(_INPUT0_BYTES) + 3) / 4], out[(M(_OUTPUT0_BYTES) + 3) / 4];
static void put(const char* key, uint32_t v) {
  char b[32];
  int i = 31;
  b[i] = 0;
  b[--i] = '\n';
  do { b[--i] = static_cast<char>('0' + v % 10); v /= 10; } while (v);
  emlc_semihost_write(key);
  emlc_semihost_write(b + i);
}
int main() {
  int8_t* x = reinterpret_cast<int8_t*>(in);
  for (uint32_t i = 0; i < M(_INPUT0_BYTES); ++i) x[i] = static_cast<int8_t>((i * 37u) % 251u - 125);
  if (M(_INPUT0_DTYPE) == EMLC_DTYPE_FLOAT32) {
    float* f = reinterpret_cast<float*>(in);
    for (uint32_t i = 0; i < M(_INPUT0_SIZE); ++i) f[i] = static_cast<float>(x[i]) / 128.0f;
  }
  const void* ins[1] = {in};
  void* outs[1] = {out};
  int rc = 0;
#ifndef NO_MODEL
  enum : uint32_t { kPaint = 32768 / 4, kMark = 0xC0FFEE11u };
  uint32_t* sp;
  __asm__ volatile("mov %0, sp" : "=r"(sp));
  volatile uint32_t* lo = sp - kPaint;
  for (volatile uint32_t* p = lo; p < sp - 32; ++p) *p = kMark;
  EMLC_BENCH_BEGIN();
  rc = M(_run)(ins, outs);
  EMLC_BENCH_END();
  volatile uint32_t* p = lo;
  while (p < sp - 32 && *p == kMark) ++p;
  put("stack ", static_cast<uint32_t>(reinterpret_cast<uintptr_t>(sp) - reinterpret_cast<uintptr_t>(p)));
#endif
  put("rc ", static_cast<uint32_t>(rc));
  return rc;
}
SRC

# size FIELD of an ELF/object: text (text+rodata) or ram (data+bss)
sz() { arm-none-eabi-size "$1" | awk -v f="$2" 'NR == 2 { print (f == "text" ? $1 + $2 : $2 + $3) }'; }

results=$work/results.txt
: > $results
for model in ${EMLC_BENCH_MODELS:-kws_dscnn vww_mobilenetv1_025 ic_resnet8 ad_autoencoder digits_cnn har_cnn1d}; do
  for t in $targets; do
    d=$work/$model-$t
    rm -rf "$d" && mkdir -p "$d"
    name=m_$(echo "$model" | cut -d_ -f1)
    if [ "$t" = float ]; then
      onnx=tests/models/$model/model.onnx
      build/bin/emlc compile $onnx -o $d/gen --name $name > $d/compile.log
    elif [ "${t#float-}" != "$t" ]; then
      onnx=tests/models/$model/model.onnx
      build/bin/emlc compile $onnx -o $d/gen --name $name --target "${t#float-}" > $d/compile.log
    elif [ -f tests/models/mlperf_tiny/$model/model_qdq.onnx ]; then
      onnx=tests/models/mlperf_tiny/$model/model_qdq.onnx
      build/bin/emlc compile $onnx -o $d/gen --name $name --target $t > $d/compile.log
    else  # no QDQ model: emlc's own quantization with the model's calibration set
      onnx=tests/models/$model/model.onnx
      build/bin/emlc compile $onnx -o $d/gen --name $name --target $t --quantize int8 \
        --calibration tests/models/$model/calib.npy > $d/compile.log
    fi
    macs=$(build/bin/emlc inspect $onnx --disable-pass sparse-weights | sed -n 's/.*MACs[^0-9]*\([0-9,]*\).*/\1/p' | head -1 | tr -d ,)
    arena=$(sed -n "s/#define ${name}_ARENA_SIZE \([0-9]*\).*/\1/p" $d/gen/$name.h)
    bound=$(sed -n 's/.*lower bound \([0-9]*\) B.*/\1/p' $d/compile.log | head -1)
    defs="-DMODEL=$name -DMODEL_HEADER=\"$name.h\" -I$d/gen"
    for opt in O2 Os; do
      for f in $name ${name}_weights; do
        arm-none-eabi-g++ $arm $flags -$opt -c $d/gen/$f.cpp -o $d/$f.$opt.o
      done
      arm-none-eabi-g++ $arm $flags -$opt $defs -c $work/main.cpp -o $d/main.$opt.o
      arm-none-eabi-g++ $arm $flags -$opt $defs -DNO_MODEL -c $work/main.cpp -o $d/empty.$opt.o
      arm-none-eabi-g++ $arm $link $work/startup.o $d/main.$opt.o $d/$name.$opt.o $d/${name}_weights.$opt.o -lm -o $d/app.$opt.elf
      arm-none-eabi-g++ $arm $link $work/startup.o $d/empty.$opt.o -lm -o $d/empty.$opt.elf
    done
    timeout 600 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
      -semihosting-config enable=on,target=native -kernel $d/app.O2.elf \
      -plugin "$plugin,out=$d/counts.txt" > $d/run.txt 2>&1
    grep -q "^rc 0" $d/run.txt || { echo "$model $t: run failed" >&2; cat $d/run.txt >&2; exit 1; }
    insns=$(sed -n 's/.*window 0: insns=\([0-9]*\).*/\1/p' $d/counts.txt)
    stack=$(sed -n 's/^stack \([0-9]*\)/\1/p' $d/run.txt)
    weights=$(sz $d/${name}_weights.Os.o text)
    code=$(( $(sz $d/app.Os.elf text) - $(sz $d/empty.Os.elf text) - weights ))
    other=$(( $(sz $d/app.Os.elf ram) - $(sz $d/empty.Os.elf ram) - arena ))
    echo "$model $t $macs $insns $code $weights $arena $other $stack $bound" >> $results
  done
done

# TFLM + CMSIS-NN on the same models and QEMU machine (issue 8's measurement).
awk '
  BEGIN {
    cmsis["kws_dscnn"] = 7698804; cmsis["vww_mobilenetv1_025"] = 24101896
    cmsis["ic_resnet8"] = 29865195; cmsis["ad_autoencoder"] = 582909
    printf "Cortex-M4F (QEMU mps2-an386), one inference (int8: QDQ models, digits and har quantized by emlc; float: the float models); instructions at -O2, flash at -Os\n"
    printf "| model | target | MACs | instructions | insn/MAC | / TFLM+CMSIS-NN | code B | weights B | arena B | other RAM B | stack B | RAM total B | arena lower bound B |\n"
    printf "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
  }
  {
    ratio = ($2 ~ /^float/ || !($1 in cmsis)) ? "-" : sprintf("%.2f", $4 / cmsis[$1])
    printf "| %s | %s | %d | %d | %.2f | %s | %d | %d | %d | %d | %d | %d | %d |\n", $1, $2, $3, $4, $4 / $3, ratio, $5, $6, $7, $8, $9, $7 + $8 + $9, $10
  }
' $results
