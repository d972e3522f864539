# Toolchain file: arm-none-eabi-gcc for the Cortex-M7 with the double-precision FPU (STM32F7/H7, i.MX RT).
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=<emlc prefix>/share/emlc/cmake/arm-none-eabi-cortex-m7.cmake
set(EMLC_ARM_CPU_FLAGS "-mcpu=cortex-m7 -mthumb -mfpu=fpv5-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
