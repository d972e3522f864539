#!/bin/sh
# Cortex-M4 instructions (QEMU mps2-an386, counting plugin) of the dense and
# sparse kernels on one conv (16 -> 32 channels, 3x3, pad 1, 8x8) and one
# fully connected layer (512 -> 64) at weight densities 0.75, 0.5, 0.25:
# per dense MAC for the dense kernels, per nonzero weight for the sparse ones.
# These are the figures behind the sparse-weights cost model (prune/sparse.h).
#   sh benchmarks/sparse_kernels_m4.sh [PLUGIN.so]
set -eu
cd "$(dirname "$0")/.."
plugin=${1:-/work/shared/tools/qemu-insn-count/insn_window.so}
[ -f "$plugin" ] || plugin=build/tools/insn_window.so
[ -f "$plugin" ] || { echo "build the plugin: /work/shared/tools/qemu-insn-count/build.sh" >&2; exit 1; }
work=build/bench-sparse-m4
rm -rf "$work" && mkdir -p "$work"
arm="-mcpu=cortex-m4 -mfpu=fpv4-sp-d16 -mfloat-abi=hard -mthumb"
arm-none-eabi-g++ $arm -std=c++17 -O2 -fno-exceptions -fno-rtti -Iruntime -c benchmarks/sparse_kernels_m4.cpp -o $work/b.o
arm-none-eabi-gcc $arm -O2 -c tests/cortex_m/startup.c -o $work/startup.o
arm-none-eabi-g++ $arm -T tests/cortex_m/mps2_an386.ld -nostartfiles --specs=nano.specs --specs=nosys.specs \
  -Wl,--gc-sections $work/startup.o $work/b.o -lm -o $work/app.elf
timeout 600 qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
  -semihosting-config enable=on,target=native -kernel $work/app.elf -plugin "$plugin,out=$work/counts.txt" >/dev/null
awk '
  /window [0-9]+:/ { split($4, a, "="); c[n++] = a[2] }
  END {
    split("0.75 0.5 0.25", dens, " ")
    cm = 32 * 64 * 144; gm = 64 * 512
    printf "%-8s %-10s %12s %12s %8s %14s %14s\n", "density", "layer", "dense insns", "sparse insns", "ratio", "dense/MAC", "sparse/nonzero"
    for (i = 0; i < 3; i++) {
      d = dens[i + 1]
      split("int8-conv f32-conv int8-fc f32-fc", names, " ")
      for (j = 0; j < 4; j++) {
        dn = c[i * 8 + 2 * j]; sp = c[i * 8 + 2 * j + 1]; macs = j < 2 ? cm : gm
        printf "%-8s %-10s %12d %12d %8.3f %14.2f %14.2f\n", d, names[j + 1], dn, sp, sp / dn, dn / macs, sp / (macs * d)
      }
    }
  }' $work/counts.txt
