# Shared part of emlc's arm-none-eabi-gcc toolchain files (Debian's
# gcc-arm-none-eabi and libnewlib-arm-none-eabi). Not a toolchain file by
# itself: arm-none-eabi-cortex-*.cmake set EMLC_ARM_CPU_FLAGS and include it.
#
# Bare metal: no operating system, newlib-nano, sections per function and
# object so that --gc-sections drops what is unused, C++ without exceptions
# and RTTI. Executables still need a startup file and a linker script for the
# board (see examples/cortex_m/board for QEMU's mps2-an386).
set(CMAKE_SYSTEM_NAME Generic)
set(CMAKE_SYSTEM_PROCESSOR arm)
# Compiler checks build a static library: linking needs the board's startup.
set(CMAKE_TRY_COMPILE_TARGET_TYPE STATIC_LIBRARY)

set(EMLC_ARM_PREFIX "arm-none-eabi-" CACHE STRING "Prefix of the cross tools (e.g. /opt/gcc-arm/bin/arm-none-eabi-)")
set(CMAKE_C_COMPILER ${EMLC_ARM_PREFIX}gcc)
set(CMAKE_CXX_COMPILER ${EMLC_ARM_PREFIX}g++)
set(CMAKE_ASM_COMPILER ${EMLC_ARM_PREFIX}gcc)
set(CMAKE_AR ${EMLC_ARM_PREFIX}ar CACHE FILEPATH "")
set(CMAKE_RANLIB ${EMLC_ARM_PREFIX}ranlib CACHE FILEPATH "")
set(CMAKE_OBJCOPY ${EMLC_ARM_PREFIX}objcopy CACHE FILEPATH "")
set(CMAKE_SIZE ${EMLC_ARM_PREFIX}size CACHE FILEPATH "")

set(CMAKE_C_FLAGS_INIT "${EMLC_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections")
set(CMAKE_CXX_FLAGS_INIT "${EMLC_ARM_CPU_FLAGS} -ffunction-sections -fdata-sections -fno-exceptions -fno-rtti")
set(CMAKE_ASM_FLAGS_INIT "${EMLC_ARM_CPU_FLAGS}")
set(CMAKE_EXE_LINKER_FLAGS_INIT "${EMLC_ARM_CPU_FLAGS} -Wl,--gc-sections --specs=nano.specs --specs=nosys.specs")

# Libraries and headers from the target's sysroot only; programs (emlc!) and
# CMake packages (find_package(emlc)) from the host too.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
