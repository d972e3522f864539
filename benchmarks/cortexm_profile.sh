#!/bin/sh
# Per-kernel cost of one inference on Cortex-M4F under QEMU (mps2-an386):
# every kernel call of NAME_run in the generated code is wrapped in the
# qemu-insn-count plugin's marker window, so each call's guest instructions
# are counted exactly (the instruction counts are repeatable; a kernel's
# window includes its call overhead). Prints a table, largest first.
#   sh benchmarks/cortexm_profile.sh MODEL.onnx [emlc compile flags...]
# e.g. sh benchmarks/cortexm_profile.sh tests/models/mlperf_tiny/kws_dscnn/model_qdq.onnx --target cortex-m4
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 MODEL.onnx [compile flags...]" >&2; exit 2; }
onnx=$1
shift
work=build/bench-cortexm-profile
rm -rf "$work" && mkdir -p "$work"
plugin=build/bench-cortexm-int8/insn_window.so
src=${EMLC_QEMU_PLUGIN_SRC:-/work/shared/tools/qemu-insn-count/insn_window.c}
mkdir -p build/bench-cortexm-int8
[ -f "$plugin" ] || cc -shared -fPIC -O2 -o "$plugin" "$src"
name=m
build/bin/emlc compile "$onnx" -o $work/gen --name $name "$@" > $work/compile.log
# Wrap each kernel call inside the run function (lines "  emlc::rt::...;") in markers.
awk '
  /^int invoke\(/ { inrun = 1 }
  inrun && /^}/ { inrun = 0 }
  inrun && /^  emlc::rt::[A-Za-z0-9_:<>, ]*\(/ {
    k = $0; sub(/^  emlc::rt::/, "", k); sub(/\(.*/, "", k); gsub(/ /, "", k)
    print "  __asm__ volatile(\"mov r11, r11\" ::: \"memory\");  // @prof " k
    print
    print "  __asm__ volatile(\"mov r10, r10\\n\\tnop\" ::: \"memory\");"
    next
  }
  { print }
' $work/gen/$name.cpp > $work/gen/$name.prof.cpp
sed -n 's#.*// @prof ##p' $work/gen/$name.prof.cpp > $work/kernels.txt
arm="-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb"
flags="-std=c++17 -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections -O2"
link="-T tests/cortex_m/mps2_an386.ld -nostartfiles --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections"
cat > $work/main.cpp <<'SRC'
#include <stdint.h>
#include "m.h"
static uint32_t in[(m_INPUT0_BYTES + 3) / 4], out[(m_OUTPUT0_BYTES + 3) / 4];
int main() {
  int8_t* x = reinterpret_cast<int8_t*>(in);
  for (uint32_t i = 0; i < m_INPUT0_BYTES; ++i) x[i] = static_cast<int8_t>((i * 37u) % 251u - 125);
  if (m_INPUT0_DTYPE == EMLC_DTYPE_FLOAT32) {
    float* f = reinterpret_cast<float*>(in);
    for (uint32_t i = 0; i < m_INPUT0_SIZE; ++i) f[i] = static_cast<float>(x[i]) / 128.0f;
  }
  const void* ins[1] = {in};
  void* outs[1] = {out};
  return m_run(ins, outs);
}
SRC
arm-none-eabi-gcc $arm -O2 -c tests/cortex_m/startup.c -o $work/startup.o
arm-none-eabi-g++ $arm $flags -I$work/gen -c $work/main.cpp -o $work/main.o
arm-none-eabi-g++ $arm $flags -c $work/gen/$name.prof.cpp -o $work/m.o
arm-none-eabi-g++ $arm $flags -c $work/gen/${name}_weights.cpp -o $work/w.o
arm-none-eabi-g++ $arm $link $work/startup.o $work/main.o $work/m.o $work/w.o -lm -o $work/app.elf
timeout 600 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
  -semihosting-config enable=on,target=native -kernel $work/app.elf \
  -plugin "$plugin,out=$work/counts.txt" > $work/run.txt 2>&1 || { cat $work/run.txt >&2; exit 1; }
sed -n 's/.*window \([0-9]*\): insns=\([0-9]*\).*/\2/p' $work/counts.txt > $work/insns.txt
# Every call must have its window (a NOP keeps an end marker and the next
# begin marker apart: adjacent, QEMU once dropped a window).
[ "$(wc -l < $work/kernels.txt)" -eq "$(wc -l < $work/insns.txt)" ] ||
  { echo "$0: $(wc -l < $work/insns.txt) windows for $(wc -l < $work/kernels.txt) kernel calls" >&2; exit 1; }
paste -d' ' $work/kernels.txt $work/insns.txt | awk '
  { n[NR] = $1; c[NR] = $2; t += $2 }
  END {
    printf "| # | kernel | instructions | share |\n|---:|---|---:|---:|\n"
    for (i = 1; i <= NR; ++i) printf "| %d | %s | %d | %.1f%% |\n", i - 1, n[i], c[i], 100 * c[i] / t
    printf "| | total | %d | |\n", t
  }'
