// Console output for the examples: stdout on the host; semihosting on the
// QEMU board (examples/cortex_m/board, which defines EMLC_BOARD_SEMIHOSTING).
// Integers only, so newlib-nano's printf (no %f) is enough.
#pragma once

#include <stdarg.h>
#include <stdio.h>

#ifdef EMLC_BOARD_SEMIHOSTING
#include "board.h"
#endif

inline void console_printf(const char* fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
#ifdef EMLC_BOARD_SEMIHOSTING
  board_write(buf);
#else
  fputs(buf, stdout);
#endif
}
