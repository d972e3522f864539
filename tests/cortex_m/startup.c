/* Minimal Cortex-M4F startup for QEMU's mps2-an386: vector table, FPU
 * enable, .data/.bss initialisation, semihosting output and exit status.
 * Faults end the program with exit status 99 instead of hanging. */
#include <stdint.h>

extern uint32_t _estack, _sidata, _sdata, _edata, _sbss, _ebss;
extern void __libc_init_array(void);
extern int main(void);

static int semihost(int op, const void* arg) {
  register int r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

void emlc_semihost_write(const char* s) { semihost(0x04, s); /* SYS_WRITE0 */ }

void emlc_semihost_exit(int status) {
  /* SYS_EXIT_EXTENDED carries the real status (plain SYS_EXIT only 0/1). */
  uint32_t block[2] = {0x20026u /* ADP_Stopped_ApplicationExit */, (uint32_t)status};
  semihost(0x20, block);
  for (;;) {
  }
}

static void fault_handler(void) { emlc_semihost_exit(99); }

void start_c(void) {
  uint32_t* src = &_sidata;
  for (uint32_t* dst = &_sdata; dst < &_edata;) *dst++ = *src++;
  for (uint32_t* dst = &_sbss; dst < &_ebss;) *dst++ = 0;
  __libc_init_array();
  emlc_semihost_exit(main());
}

/* The FPU must be on before any C code that might touch it. */
__attribute__((naked)) void Reset_Handler(void) {
  __asm__ volatile(
      "ldr r0, =0xE000ED88\n"  /* CPACR */
      "ldr r1, [r0]\n"
      "orr r1, r1, #(0xF << 20)\n" /* CP10, CP11 full access */
      "str r1, [r0]\n"
      "dsb\n"
      "isb\n"
      "b start_c\n");
}

__attribute__((section(".isr_vector"), used)) void (*const vector_table[16])(void) = {
    (void (*)(void))(&_estack), Reset_Handler, fault_handler, fault_handler, fault_handler, fault_handler,
    fault_handler, 0, 0, 0, 0, fault_handler, fault_handler, 0, fault_handler, fault_handler,
};

/* newlib hooks the C++ runtime may reference; the generated code needs none. */
void _init(void) {}
void _fini(void) {}
