#!/bin/sh
# README's first command: installs what is missing, builds emlc, compiles the
# bundled digits model, builds the generated code with the host compiler and
# runs it on four sample digits, printing the predictions and the memory plan.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release
cmake --build build -j2 --target emlc
rm -rf build/digits_out
./build/bin/emlc compile examples/digits/digits_cnn.onnx -o build/digits_out --name digits --print-plan
g++ -std=c++17 -O2 -Wall -Wextra -Ibuild/digits_out -Iexamples/digits examples/digits/main.cpp \
    build/digits_out/digits.cpp build/digits_out/digits_weights.cpp -o build/digits_demo
./build/digits_demo
