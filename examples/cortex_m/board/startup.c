/* Startup for QEMU's mps2-an386 (Cortex-M4F): vector table, FPU on,
 * .data/.bss initialisation, C/C++ constructors, main(), and semihosting for
 * output and the exit status. A fault ends the program with status 99
 * instead of hanging. Compiles as C and as C++ (an IDE may build it either way). */
#include <stdint.h>

#include "board.h"

#ifdef __cplusplus
extern "C" {
#endif

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss;
/* The initial stack pointer (a linker script symbol), declared as a function
 * so that its address is a constant in C and C++ alike. */
void _estack(void);
void __libc_init_array(void);
int main(void);
void Reset_Handler(void);
void start_c(void);
void _init(void);
void _fini(void);

static int semihost(int op, const void* arg) {
  /* r0 = operation, r1 = argument block; BKPT 0xAB traps to the debugger (QEMU). */
  int result;
  __asm__ volatile("mov r0, %1\n mov r1, %2\n bkpt 0xAB\n mov %0, r0"
                   : "=r"(result)
                   : "r"(op), "r"(arg)
                   : "r0", "r1", "memory");
  return result;
}

void board_write(const char* s) { (void)semihost(0x04 /* SYS_WRITE0 */, s); }

void board_exit(int status) {
  /* SYS_EXIT_EXTENDED carries the real status (plain SYS_EXIT only 0/1). */
  uint32_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)status};
  (void)semihost(0x20, block);
  for (;;) {
  }
}

static void fault_handler(void) { board_exit(99); }

void start_c(void) {
  const uint32_t* src = &_sidata;
  for (uint32_t* dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  __libc_init_array();
  board_exit(main());
}

/* The FPU must be on before any code that might use it. */
__attribute__((naked)) void Reset_Handler(void) {
  __asm__ volatile(
      "ldr r0, =0xE000ED88\n" /* CPACR */
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n" /* CP10, CP11 full access */
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "b start_c\n");
}

typedef void (*vector_t)(void);
__attribute__((section(".isr_vector"), used)) const vector_t vector_table[16] = {
    _estack, Reset_Handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler, fault_handler,
};

/* newlib's __libc_init_array calls these. */
void _init(void) {}
void _fini(void) {}

#ifdef __cplusplus
}
#endif
