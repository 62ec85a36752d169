// The microphone of mic.h under QEMU (mps2-an386): WAV files read through
// semihosting stand in for the microphone, and SysTick for the DMA's
// transfer-complete interrupt, which fires once per half at the stream's
// pace: every half_frames / rate seconds of a core_hz clock.
//
// Time is counted in instructions: under `-icount shift=0,sleep=off` QEMU
// runs one
// instruction per virtual nanosecond (and skips the time the core sleeps
// in WFI), and SysTick, clocked from the 25 MHz
// system clock, ticks once per 40 instructions (../shared/TOOLCHAIN.md).
// So one half period is half_frames * core_hz / rate instructions, and the
// application's own instructions decide whether it keeps up, as on a core
// that retires one instruction per cycle.
//
// The vector table in flash (startup.c) sends every exception to the
// fault handler; this driver copies it to RAM and points VTOR there with
// its own SysTick entry.
#include <cstdio>
#include <cstring>
#include <initializer_list>

#include "mic.h"
#include "semihost.h"

namespace {

constexpr uint32_t kInsnPerTick = 40;  // -icount shift=0 on mps2's 25 MHz clock
constexpr int kVectors = 16 + 32;
constexpr int kSysTickVector = 15;

#define TM2_SYST_CSR (*(volatile uint32_t*)0xE000E010u)
#define TM2_SYST_RVR (*(volatile uint32_t*)0xE000E014u)
#define TM2_SYST_CVR (*(volatile uint32_t*)0xE000E018u)
#define TM2_SCB_VTOR (*(volatile uint32_t*)0xE000ED08u)

enum : uint32_t { kSysOpen = 0x01, kSysClose = 0x02, kSysRead = 0x06, kSysSeek = 0x0A };

alignas(256) void (*g_vectors[kVectors])(void);

MicConfig g_config;
int16_t* g_dma = nullptr;
int g_file = -1;      // index into g_config.files
int g_handle = -1;    // semihosting handle of the open file
uint32_t g_left = 0;  // bytes of PCM left in the open file
volatile uint32_t g_periods = 0;      // SysTick periods since MicStart
volatile bool g_full[2] = {false, false};
volatile bool g_held[2] = {false, false};
volatile bool g_ended = false;
char g_error[160];  // why the input ended early ("" if it did not)
int g_fill = 0;  // the half the "DMA" writes next
int g_read = 0;  // the half the application reads next
volatile MicStats g_stats;

uint32_t SemiCall(uint32_t op, const uint32_t* args) { return tm2_semihost(op, args); }

// Records why the input stopped: "mic: PATH WHAT". No printf, as the
// interrupt handler may get here while main is inside printf.
bool Error(const char* path, const char* what) {
  size_t n = 0;
  for (const char* part : {"mic: ", path, " ", what})
    for (const char* c = part; *c && n + 1 < sizeof(g_error); ++c) g_error[n++] = *c;
  g_error[n] = '\0';
  return false;
}

uint32_t Le32(const uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | uint32_t(p[3]) << 24; }
uint16_t Le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | p[1] << 8); }

bool ReadBytes(void* dst, uint32_t n) {
  const uint32_t args[3] = {uint32_t(g_handle), uint32_t(reinterpret_cast<uintptr_t>(dst)), n};
  return SemiCall(kSysRead, args) == 0;  // returns the bytes NOT read
}

// Opens files[i] and walks its chunks to the PCM: 16-bit mono at the
// stream's rate, or a clear message.
bool OpenWav(int i) {
  const char* path = g_config.files[i];
  const uint32_t open_args[3] = {uint32_t(reinterpret_cast<uintptr_t>(path)), 1 /* "rb" */,
                                 uint32_t(std::strlen(path))};
  g_handle = static_cast<int>(SemiCall(kSysOpen, open_args));
  if (g_handle < 0) return Error(path, "cannot be opened");
  uint8_t h[12];
  if (!ReadBytes(h, 12) || std::memcmp(h, "RIFF", 4) || std::memcmp(h + 8, "WAVE", 4))
    return Error(path, "is not a WAV file");
  uint32_t pos = 12;
  bool have_format = false;
  for (;;) {
    uint8_t c[8];
    if (!ReadBytes(c, 8)) return Error(path, "has no data chunk");
    const uint32_t size = Le32(c + 4);
    pos += 8;
    if (!std::memcmp(c, "fmt ", 4)) {
      uint8_t f[16];
      if (size < 16 || !ReadBytes(f, 16)) return Error(path, "has a bad fmt chunk");
      if (Le16(f) != 1 || Le16(f + 2) != 1 || Le32(f + 4) != g_config.rate || Le16(f + 14) != 16)
        return Error(path, "is not 16-bit PCM mono at the stream's rate");
      have_format = true;
    } else if (!std::memcmp(c, "data", 4)) {
      if (!have_format) return Error(path, "has its data before its fmt chunk");
      g_left = size;
      return true;
    }
    pos += size + (size & 1);
    const uint32_t seek_args[2] = {uint32_t(g_handle), pos};
    if (SemiCall(kSysSeek, seek_args) != 0) return Error(path, "is truncated");
  }
}

void CloseFile() {
  if (g_handle >= 0) {
    const uint32_t args[1] = {uint32_t(g_handle)};
    SemiCall(kSysClose, args);
  }
  g_handle = -1;
}

// Fills `dst` with the next half of the input; false at its end (a last
// partial half is padded with zeros and still delivered).
bool NextPcm(int16_t* dst) {
  uint32_t want = g_config.half_frames * 2;
  uint8_t* out = reinterpret_cast<uint8_t*>(dst);
  bool any = false;
  while (want > 0) {
    if (g_left == 0) {
      CloseFile();
      if (++g_file >= g_config.num_files || !OpenWav(g_file)) break;
    }
    const uint32_t n = want < g_left ? want : g_left;
    if (!ReadBytes(out, n)) break;
    out += n, want -= n, g_left -= n, any = true;
  }
  if (want) std::memset(out, 0, want);
  return any;
}

extern "C" void Tm2MicSysTick() {
  g_periods = g_periods + 1;
  // The half the DMA has just finished writing: the application must have
  // given it back, or its samples are lost.
  if (g_held[g_fill] || g_full[g_fill]) {
    g_stats.overruns = g_stats.overruns + 1;
    return;
  }
  if (!NextPcm(g_dma + g_fill * g_config.half_frames)) {
    g_ended = true;
    TM2_SYST_CSR = 0;
    return;
  }
  g_full[g_fill] = true;
  g_fill ^= 1;
}

}  // namespace

bool MicStart(const MicConfig& config, int16_t* dma) {
  g_config = config;
  g_dma = dma;
  const uint64_t period =
      static_cast<uint64_t>(config.half_frames) * config.core_hz / config.rate / kInsnPerTick;
  if (config.num_files < 1 || config.half_frames == 0 || period < 1000 || period > 0xFFFFFF)
    return std::printf("mic: bad configuration\n"), false;
  g_file = 0;
  g_error[0] = '\0';
  if (!OpenWav(0)) return std::printf("%s\n", g_error), false;
  // The table in flash, with SysTick ours, in RAM.
  const auto* flash = reinterpret_cast<void (*const*)(void)>(TM2_SCB_VTOR);
  for (int i = 0; i < kVectors; ++i) g_vectors[i] = flash[i];
  g_vectors[kSysTickVector] = Tm2MicSysTick;
  TM2_SCB_VTOR = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(g_vectors));
  __asm volatile("dsb\n\tisb" ::: "memory");
  TM2_SYST_RVR = static_cast<uint32_t>(period - 1);
  TM2_SYST_CVR = 0;
  TM2_SYST_CSR = 7;  // processor clock, interrupt, enable
  return true;
}

const int16_t* MicWaitHalf() {
  // Sleep until the next interrupt. With interrupts masked, a SysTick
  // between the check and WFI stays pending and WFI returns at once, so no
  // wake-up is lost; unmasking then runs the handler. Under QEMU with
  // -icount ...,sleep=off the idle time costs no host time.
  for (;;) {
    __asm volatile("cpsid i" ::: "memory");
    if (g_full[g_read] || g_ended) break;
    __asm volatile("wfi\n\tcpsie i" ::: "memory");
  }
  __asm volatile("cpsie i" ::: "memory");
  if (!g_full[g_read]) return nullptr;
  g_held[g_read] = true;
  g_full[g_read] = false;
  g_stats.halves = g_stats.halves + 1;
  return g_dma + g_read * g_config.half_frames;
}

void MicReleaseHalf() {
  g_held[g_read] = false;
  g_read ^= 1;
}

const char* MicError() { return g_error; }

MicStats MicGetStats() {
  MicStats s;
  s.halves = g_stats.halves;
  s.overruns = g_stats.overruns;
  return s;
}

uint64_t MicInstructions() {
  const uint32_t reload = TM2_SYST_RVR + 1;
  uint32_t periods, value;
  do {  // a period may end between the two reads
    periods = g_periods;
    value = TM2_SYST_CVR;
  } while (periods != g_periods);
  return (static_cast<uint64_t>(periods) * reload + (reload - 1 - value)) * kInsnPerTick;
}
