#!/bin/sh
# Installs every Debian package emlc needs to build, test and cross-compile.
# Idempotent: only missing packages are installed. Run as root (or with sudo).
set -eu
PKGS="cmake ninja-build g++ make
libonnx-dev libprotobuf-dev protobuf-compiler libfmt-dev libcli11-dev libgtest-dev
libonnx-testdata gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib
qemu-system-arm binutils nlohmann-json3-dev
clang libclang-rt-14-dev cppcheck locales python3"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "emlc: installing:$missing"
  $SUDO apt-get update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y --no-install-recommends $missing
else
  echo "emlc: all build dependencies present"
fi
