# Toolchain file: arm-none-eabi-gcc for the Cortex-M33 with FPU (STM32U5/L5, nRF5340, LPC55S).
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=<emlc prefix>/share/emlc/cmake/arm-none-eabi-cortex-m33.cmake
set(EMLC_ARM_CPU_FLAGS "-mcpu=cortex-m33 -mthumb -mfpu=fpv5-sp-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
