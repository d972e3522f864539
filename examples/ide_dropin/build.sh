#!/bin/sh
# Builds this example the way a vendor IDE does: emlc writes the model's
# folder, then ONE arm-none-eabi-g++ command compiles and links it with the
# application and the board's startup code (no CMake, no make).
#
# usage: sh build.sh EMLC OUT_DIR      (then run OUT_DIR/app.elf under QEMU)
set -eu
EMLC=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
BOARD=$HERE/../cortex_m/board
"$EMLC" compile "$HERE/../digits/digits_cnn.onnx" -o "$OUT/digits" --name digits
set -x
arm-none-eabi-g++ -std=c++17 -O2 -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard \
  -fno-exceptions -fno-rtti -ffunction-sections -fdata-sections -Wall -Wextra -Werror \
  -I"$OUT/digits" -I"$BOARD" -I"$HERE/../digits" \
  "$HERE/main.cpp" "$OUT/digits/digits.cpp" "$OUT/digits/digits_weights.cpp" "$BOARD/startup.c" \
  -nostartfiles -T "$BOARD/mps2_an386.ld" --specs=nano.specs --specs=nosys.specs -Wl,--gc-sections \
  -o "$OUT/app.elf"
