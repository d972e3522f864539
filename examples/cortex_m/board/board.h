/* Board support for QEMU's mps2-an386 (Cortex-M4F): console output and exit
 * status through semihosting. Valid C and C++.
 *
 * Run a program with
 *   qemu-system-arm -M mps2-an386 -nographic -monitor none -serial null \
 *     -semihosting-config enable=on,target=native -kernel app.elf
 * QEMU prints what board_write() writes and exits with main()'s return value.
 */
#ifndef EMLC_EXAMPLE_BOARD_H
#define EMLC_EXAMPLE_BOARD_H

#ifdef __cplusplus
extern "C" {
#endif

/* Writes a NUL-terminated string to the host's console. */
void board_write(const char* s);

/* Ends the program with `status` as QEMU's exit status (never returns). */
void board_exit(int status);

#ifdef __cplusplus
}
#endif

#endif
