// Minimal ARM semihosting calls (the BKPT 0xAB convention on M-profile)
// for code that must not rely on newlib's state, i.e. the fault handler.
#ifndef TM2_FIRMWARE_SEMIHOST_H_
#define TM2_FIRMWARE_SEMIHOST_H_

#include <stdint.h>

enum {
  kTm2SysWrite0 = 0x04,        // print a NUL-terminated string
  kTm2SysExitExtended = 0x20,  // exit with a status code (QEMU supports it)
  kTm2AdpApplicationExit = 0x20026,
};

static inline uint32_t tm2_semihost(uint32_t op, const void* arg) {
  register uint32_t r0 __asm__("r0") = op;
  register const void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

static inline void tm2_semihost_puts(const char* s) { tm2_semihost(kTm2SysWrite0, s); }

static inline void tm2_semihost_exit(uint32_t status) {
  const uint32_t block[2] = {kTm2AdpApplicationExit, status};
  tm2_semihost(kTm2SysExitExtended, block);
  for (;;) {}
}

#endif  // TM2_FIRMWARE_SEMIHOST_H_
