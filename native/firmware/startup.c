// Cortex-M4F start-up for QEMU's mps2-an386: the vector table, a reset
// handler that prepares what newlib's crt0 cannot (FPU access, the .data
// copy) and a fault handler that turns a crash into a failed test.
//
// Boot: the core loads SP and PC from the table at 0x0 -> Reset_Handler
// -> newlib's _start (rdimon-crt0: stack from semihosting HEAPINFO, then
// _stack_init below, zero .bss, semihosting stdio, constructors) -> main
// -> exit(main's value), which QEMU turns into its own exit status.
#include <stdint.h>

#include "semihost.h"

extern uint32_t __stack;  // top of RAM (mps2_an386.ld)
extern uint32_t __data_start__, __data_end__, __data_load__;
extern void _start(void);  // newlib crt0; never returns

void Reset_Handler(void);
void Fault_Handler(void);
void _stack_init(void);

// System control block registers used here (ARMv7-M ARM, B3.2).
#define TM2_SCB_CCR (*(volatile uint32_t*)0xE000ED14u)
#define TM2_SCB_CPACR (*(volatile uint32_t*)0xE000ED88u)

void Reset_Handler(void) {
  // The build uses -mfloat-abi=hard: any FPU instruction before CP10/CP11
  // are enabled is a UsageFault, and crt0 or constructors may use the FPU.
  TM2_SCB_CPACR |= 0xFu << 20;
  // Integer division by zero traps (as on x86) instead of silently giving 0.
  TM2_SCB_CCR |= 1u << 4;
  __asm volatile("dsb\n\tisb" ::: "memory");

  // .data is loaded into code memory; copy it to its RAM address.
  const uint32_t* src = &__data_load__;
  for (uint32_t* dst = &__data_start__; dst < &__data_end__;) *dst++ = *src++;

  _start();
}

// newlib's crt0 moves SP to the stack base QEMU reports through semihosting
// HEAPINFO: on mps2-an386 that is the top of the 16 MB PSRAM (0x22000000),
// outside the 4 MB SRAM the linker script plans, so RAM use measured here
// would not hold on a board. crt0 then calls _stack_init (weak in crt0, so
// this definition wins) before pushing anything: put SP back at the
// script's __stack and bound the heap (librdimon's __heap_limit, which crt0
// has just set from HEAPINFO) to leave TM2_STACK_SIZE for the stack.
__attribute__((naked)) void _stack_init(void) {
  __asm volatile(
      "movw r0, #:lower16:__stack\n\t"
      "movt r0, #:upper16:__stack\n\t"
      "mov sp, r0\n\t"
      "movw r0, #:lower16:__heap_limit\n\t"
      "movt r0, #:upper16:__heap_limit\n\t"
      "movw r1, #:lower16:__tm2_heap_limit\n\t"
      "movt r1, #:upper16:__tm2_heap_limit\n\t"
      "str r1, [r0]\n\t"
      "bx lr\n\t");
}

// Exceptions 0..15 are the core's; mps2-an386 wires 32 external IRQs.
// Nothing here enables an interrupt, so every entry but reset means a bug.
#define TM2_NUM_VECTORS (16 + 32)
typedef void (*Vector)(void);
__attribute__((section(".isr_vector"), used))
const Vector tm2_vector_table[TM2_NUM_VECTORS] = {
    (Vector)(uintptr_t)&__stack,
    Reset_Handler,
    [2 ... TM2_NUM_VECTORS - 1] = Fault_Handler,
};
