#!/bin/sh
# Cost of the GRU keyword spotter (tests/rnn/kws_gru) on Cortex-M4 (QEMU
# mps2-an386): guest instructions of one full 49-frame run and of each run
# of the streaming form (--stateful, one frame per call), counted by the
# QEMU plugin in /work/shared/tools/qemu-insn-count (exact and repeatable;
# instructions, not time). Also prints both arenas.
#   sh benchmarks/kws_gru_stream.sh [PLUGIN.so]
set -eu
cd "$(dirname "$0")/.."
work=build/bench-kws-gru
rm -rf "$work" && mkdir -p "$work"
# The plugin, built from the shared source unless one is given (the shared
# folder is read-only).
plugin=${1:-$work/insn_window.so}
src=${EMLC_QEMU_PLUGIN_SRC:-/work/shared/tools/qemu-insn-count/insn_window.c}
[ -f "$plugin" ] || cc -shared -fPIC -O2 -o "$plugin" "$src"
model=tests/rnn/kws_gru/model.onnx
build/bin/emlc compile $model -o $work/s --name kws_s --input-shape mfcc=1,1,10 --stateful > $work/s.log
build/bin/emlc compile $model -o $work/f --name kws_f --input-shape mfcc=1,49,10 > $work/f.log
cat > $work/main.cpp <<'SRC'
#include "kws_s.h"
#include "kws_f.h"
#define EMLC_BENCH_BEGIN() __asm__ volatile("mov r11, r11" ::: "memory")
#define EMLC_BENCH_END() __asm__ volatile("mov r10, r10" ::: "memory")
static float in[49 * 10], out[49 * 12];
int main() {
  for (int i = 0; i < 490; ++i) in[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
  const float* fi[1] = {in};
  float* fo[1] = {out};
  EMLC_BENCH_BEGIN(); kws_f_run_f32(fi, fo); EMLC_BENCH_END();  /* window 0: the full sequence */
  kws_s_reset_state();
  for (int t = 0; t < 49; ++t) {
    const float* si[1] = {in + t * 10};
    float* so[1] = {out + t * 12};
    EMLC_BENCH_BEGIN(); kws_s_run_f32(si, so); EMLC_BENCH_END();  /* windows 1..49: one frame each */
  }
  return 0;
}
SRC
arm="-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb"
flags="-std=c++17 -O2 -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections"
objs=""
for src in main.cpp s/kws_s.cpp s/kws_s_weights.cpp f/kws_f.cpp f/kws_f_weights.cpp; do
  o=$work/$(basename $src .cpp).o
  # shellcheck disable=SC2086
  arm-none-eabi-g++ $arm $flags -I$work/s -I$work/f -c $work/$src -o $o
  objs="$objs $o"
done
# shellcheck disable=SC2086
arm-none-eabi-gcc $arm -O2 -c tests/cortex_m/startup.c -o $work/startup.o
# shellcheck disable=SC2086
arm-none-eabi-g++ $arm -T tests/cortex_m/mps2_an386.ld -nostartfiles --specs=nano.specs --specs=nosys.specs \
  -Wl,--gc-sections $work/startup.o $objs -lm -o $work/app.elf
timeout 300 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
  -semihosting-config enable=on,target=native -kernel $work/app.elf -plugin "$plugin,out=$work/counts.txt"
arena_s=$(sed -n 's/.*arena \([0-9]*\) B.*/\1/p' $work/s.log | head -1)
arena_f=$(sed -n 's/.*arena \([0-9]*\) B.*/\1/p' $work/f.log | head -1)
awk -v as="$arena_s" -v af="$arena_f" '
  /window 0:/ { split($4, a, "="); full = a[2] }
  /window [0-9]+:/ && !/window 0:/ { split($4, a, "="); s += a[2]; n++; if (a[2] > mx) mx = a[2]; if (mn == "" || a[2] < mn) mn = a[2] }
  END {
    printf "%-34s %14s %10s\n", "GRU keyword spotter, Cortex-M4", "instructions", "arena (B)"
    printf "%-34s %14d %10d\n", "full sequence (49 frames, 1 run)", full, af
    printf "%-34s %14.0f %10d\n", "streaming, per frame (mean)", s / n, as
    printf "%-34s %14d\n", "streaming, per frame (min)", mn
    printf "%-34s %14d\n", "streaming, per frame (max)", mx
    printf "%-34s %14d  (%.3f x the full run)\n", "streaming, 49 frames", s, s / full
  }' $work/counts.txt
