#!/bin/sh
# Dense vs pruned builds of the benchmark models: weight bytes, flash (text +
# rodata of the generated objects for Cortex-M4, arm-none-eabi-size), arena,
# host time per inference (median of 7 batches, each a loop of runs, in one
# process per build: compare ratios, the machine is shared) and Cortex-M4
# guest instructions per inference (QEMU mps2-an386 with the counting plugin
# in /work/shared/tools/qemu-insn-count: exact and repeatable).
#   sh benchmarks/prune.sh [MODELS_DIR] [PLUGIN.so]
# MODELS_DIR defaults to tests/models (calib.npy, test_x.npy, test_y.npy
# are used where present; /work/shared/models has them for every model).
set -eu
cd "$(dirname "$0")/.."
models=${1:-tests/models}
plugin=${2:-/work/shared/tools/qemu-insn-count/insn_window.so}
# Build the plugin with /work/shared/tools/qemu-insn-count/build.sh, or:
#   cc -shared -fPIC -O2 -o build/tools/insn_window.so /work/shared/tools/qemu-insn-count/insn_window.c
[ -f "$plugin" ] || plugin=build/tools/insn_window.so
work=build/bench-prune
rm -rf "$work" && mkdir -p "$work"
emlc=build/bin/emlc
arm="-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb"
aflags="-std=c++17 -O2 -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections"

# variant LABEL MODEL NAME FLAGS...: compiles, measures, prints one row.
variant() {
  label=$1 model=$2 name=$3
  shift 3
  d=$work/$name
  $emlc compile "$models/$model/model.onnx" -o "$d" --name "$name" "$@" > "$d.log" 2>&1 || {
    echo "$label: compile failed (see $d.log)"; return; }
  wbytes=$(sed -n 's/.*weights \([0-9]*\) B.*/\1/p' "$d.log" | head -1)
  arena=$(sed -n 's/.*arena \([0-9]*\) B.*/\1/p' "$d.log" | head -1)
  cat > "$d/bench_host.cpp" <<SRC
#include "$name.h"
#include <chrono>
#include <cstdio>
#include <algorithm>
static float in[${name}_INPUT0_SIZE], out[${name}_OUTPUT0_SIZE];
int main() {
  for (int i = 0; i < ${name}_INPUT0_SIZE; ++i) in[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
  const float* fi[1] = {in};
  float* fo[1] = {out};
  double best[7];
  int reps = 1;
  for (;;) {  /* about 20 ms per batch */
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) ${name}_run_f32(fi, fo);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (s > 0.02) break;
    reps *= 2;
  }
  for (int b = 0; b < 7; ++b) {
    auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; ++r) ${name}_run_f32(fi, fo);
    best[b] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / reps;
  }
  std::sort(best, best + 7);
  std::printf("%.2f\n", best[3] * 1e6);
  return 0;
}
SRC
  g++ -std=c++17 -O2 -I"$d" "$d/bench_host.cpp" "$d/$name.cpp" "$d/${name}_weights.cpp" -o "$d/bench_host"
  host=$("$d/bench_host")
  # Cortex-M4: flash of the model's objects and instructions of one run.
  arm-none-eabi-g++ $arm $aflags -I"$d" -c "$d/$name.cpp" -o "$d/m.o"
  arm-none-eabi-g++ $arm $aflags -I"$d" -c "$d/${name}_weights.cpp" -o "$d/w.o"
  flash=$(arm-none-eabi-size "$d/m.o" "$d/w.o" | awk 'NR > 1 { s += $1 + $2 } END { print s }')
  insns=-
  if [ -f "$plugin" ]; then
    cat > "$d/bench_m4.cpp" <<SRC
#include "$name.h"
#define EMLC_BENCH_BEGIN() __asm__ volatile("mov r11, r11" ::: "memory")
#define EMLC_BENCH_END() __asm__ volatile("mov r10, r10" ::: "memory")
static float in[${name}_INPUT0_SIZE], out[${name}_OUTPUT0_SIZE];
int main() {
  for (int i = 0; i < ${name}_INPUT0_SIZE; ++i) in[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
  const float* fi[1] = {in};
  float* fo[1] = {out};
  EMLC_BENCH_BEGIN(); ${name}_run_f32(fi, fo); EMLC_BENCH_END();
  return 0;
}
SRC
    arm-none-eabi-g++ $arm $aflags -I"$d" -c "$d/bench_m4.cpp" -o "$d/b.o"
    arm-none-eabi-gcc $arm -O2 -c tests/cortex_m/startup.c -o "$d/startup.o"
    arm-none-eabi-g++ $arm -T tests/cortex_m/mps2_an386.ld -nostartfiles --specs=nano.specs --specs=nosys.specs \
      -Wl,--gc-sections "$d/startup.o" "$d/b.o" "$d/m.o" "$d/w.o" -lm -o "$d/app.elf"
    timeout 600 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
      -semihosting-config enable=on,target=native -kernel "$d/app.elf" -plugin "$plugin,out=$d/counts.txt" \
      > /dev/null 2>&1 || true
    insns=$(sed -n 's/.*window 0: insns=\([0-9]*\).*/\1/p' "$d/counts.txt" 2>/dev/null | head -1)
    [ -n "$insns" ] || insns=-
  fi
  acc=$(sed -n 's/.*pruning accuracy.*unpruned \([0-9.]*%*\) -> pruned \([0-9.]*%*\) (\([-+0-9.]*\)).*/\1 -> \2 (\3)/p' "$d.log" | head -1)
  int8acc=$(sed -n 's/.*top-1.*float \([0-9.]*%\).*int8 \([0-9.]*%\).*/\1 -> \2/p' "$d.log" | head -1)
  printf "%-40s %9s %9s %8s %11s %14s  %s %s\n" "$label" "$wbytes" "$flash" "$arena" "$host" "$insns" "$acc" \
    "${int8acc:+int8 $int8acc}"
}

data() {  # --test-data/--test-labels when the model dir has them
  if [ -f "$models/$1/test_x.npy" ]; then echo "--test-data $models/$1/test_x.npy --test-labels $models/$1/test_y.npy"; fi
}

printf "%-40s %9s %9s %8s %11s %14s  %s\n" "build" "weights B" "flash B" "arena B" "host us/inf" "M4 insns/inf" \
  "accuracy (float unpruned -> pruned)"
m=digits_cnn
calib="--calibration $models/$m/calib.npy"
# shellcheck disable=SC2046
variant "digits int8 dense" $m dg_dense --quantize int8 $calib $(data $m)
# shellcheck disable=SC2046
variant "digits int8 magnitude:0.5, dense kernels" $m dg_zero --quantize int8 $calib --prune magnitude:0.5 \
  --disable-pass sparse-weights $(data $m)
# shellcheck disable=SC2046
variant "digits int8 magnitude:0.5, sparse" $m dg_sparse --quantize int8 $calib --prune magnitude:0.5 $(data $m)
# shellcheck disable=SC2046
variant "digits int8 magnitude:0.7, sparse" $m dg_sparse7 --quantize int8 $calib --prune magnitude:0.7 $(data $m)
# shellcheck disable=SC2046
variant "digits int8 auto:1 (rates from test data)" $m dg_auto --quantize int8 $calib --prune auto:1 $(data $m)
# shellcheck disable=SC2046
variant "digits float size dense" $m dg_fdense --optimize size
# shellcheck disable=SC2046
variant "digits float size magnitude:0.5, sparse" $m dg_fsparse --optimize size --prune magnitude:0.5 $(data $m)
m=ic_resnet8
# shellcheck disable=SC2046
variant "ic_resnet8 float dense" $m rn_dense
# shellcheck disable=SC2046
variant "ic_resnet8 float structured:0.25" $m rn_s25 --prune structured:0.25 $(data $m)
# shellcheck disable=SC2046
variant "ic_resnet8 float structured:0.5" $m rn_s50 --prune structured:0.5 $(data $m)
if [ -f "$models/$m/calib.npy" ]; then
  # shellcheck disable=SC2046
  variant "ic_resnet8 int8 dense" $m rn_qdense --quantize int8 --calibration $models/$m/calib.npy $(data $m)
  # shellcheck disable=SC2046
  variant "ic_resnet8 int8 structured:0.25" $m rn_qs25 --quantize int8 --calibration $models/$m/calib.npy \
    --prune structured:0.25 $(data $m)
fi
