// Any exception other than reset ends the firmware: print what happened
// over semihosting and exit with TM2_FAULT_EXIT_STATUS, so CTest sees a
// failure at once instead of a hang until the timeout. Formatting is done
// by hand: after a fault, newlib's stdio may be the thing that is broken.
#include <stdint.h>

#include "semihost.h"

#define TM2_FAULT_EXIT_STATUS 101

static char* PutHex(char* p, uint32_t v) {
  *p++ = '0';
  *p++ = 'x';
  for (int shift = 28; shift >= 0; shift -= 4) *p++ = "0123456789abcdef"[(v >> shift) & 0xF];
  return p;
}

static char* PutText(char* p, const char* s) {
  while (*s) *p++ = *s++;
  return p;
}

static const char* ExceptionName(uint32_t n) {
  switch (n) {
    case 2: return "NMI";
    case 3: return "HardFault";
    case 4: return "MemManage";
    case 5: return "BusFault";
    case 6: return "UsageFault";
    case 11: return "SVCall";
    case 14: return "PendSV";
    case 15: return "SysTick";
    default: return n >= 16 ? "IRQ" : "reserved exception";
  }
}

// frame: the registers the core stacked on entry (r0-r3, r12, lr, pc, xpsr).
void Tm2ReportFault(const uint32_t* frame, uint32_t ipsr) {
  const uint32_t n = ipsr & 0x1FF;
  char line[192];
  char* p = line;
  p = PutText(p, "\n*** firmware crashed: ");
  p = PutText(p, ExceptionName(n));
  p = PutText(p, " (exception ");
  p = PutHex(p, n);
  p = PutText(p, ") pc=");
  p = PutHex(p, frame[6]);
  p = PutText(p, " lr=");
  p = PutHex(p, frame[5]);
  // Configurable/HardFault status and fault addresses (ARMv7-M ARM, B3.2.15+).
  p = PutText(p, "\n    cfsr=");
  p = PutHex(p, *(volatile uint32_t*)0xE000ED28u);
  p = PutText(p, " hfsr=");
  p = PutHex(p, *(volatile uint32_t*)0xE000ED2Cu);
  p = PutText(p, " mmfar=");
  p = PutHex(p, *(volatile uint32_t*)0xE000ED34u);
  p = PutText(p, " bfar=");
  p = PutHex(p, *(volatile uint32_t*)0xE000ED38u);
  p = PutText(p, "\n");
  *p = '\0';
  tm2_semihost_puts(line);
  tm2_semihost_exit(TM2_FAULT_EXIT_STATUS);
}

// Finds the stacked frame (MSP or PSP, EXC_RETURN bit 2) before any C code
// can move the stack pointer, then reports.
__attribute__((naked)) void Fault_Handler(void) {
  __asm volatile(
      "tst lr, #4\n\t"
      "ite eq\n\t"
      "mrseq r0, msp\n\t"
      "mrsne r0, psp\n\t"
      "mrs r1, ipsr\n\t"
      "b Tm2ReportFault\n\t");
}
