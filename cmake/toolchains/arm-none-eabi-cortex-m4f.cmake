# Toolchain file: arm-none-eabi-gcc for the Cortex-M4F (STM32F4, nRF52, ...).
#   cmake -S . -B build -DCMAKE_TOOLCHAIN_FILE=<emlc prefix>/share/emlc/cmake/arm-none-eabi-cortex-m4f.cmake
set(EMLC_ARM_CPU_FLAGS "-mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard")
include(${CMAKE_CURRENT_LIST_DIR}/arm-none-eabi-common.cmake)
