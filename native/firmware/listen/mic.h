// Microphone driver interface of the listening firmware: a DMA-style
// double buffer. The driver (DMA + its transfer-complete interrupt on a
// board) fills one half of the caller's buffer while the application reads
// the other; the application takes a full half, processes it and gives it
// back before the driver needs it again, or the driver counts an overrun
// and drops that half (as a DMA would overwrite it).
//
//   static int16_t dma[2 * 256];                 // two 16 ms halves, 16 kHz
//   MicConfig c; c.rate = 16000; c.half_frames = 256;
//   if (!MicStart(c, dma)) return 1;
//   while (const int16_t* half = MicWaitHalf()) {  // null: input ended
//     Process(half, c.half_frames);
//     MicReleaseHalf();
//   }
//
// mic_qemu.cc implements it under QEMU: a semihosting file stands in for
// the microphone and SysTick for the DMA's interrupt, paced at the stream's
// rate on a core of `core_hz` (QEMU's -icount gives one instruction per
// nanosecond, so the pace is in instructions: see mic_qemu.cc).
#ifndef TM2_FIRMWARE_LISTEN_MIC_H_
#define TM2_FIRMWARE_LISTEN_MIC_H_

#include <cstddef>
#include <cstdint>

struct MicConfig {
  uint32_t rate = 16000;        // Hz, mono 16-bit
  uint32_t half_frames = 256;   // samples per DMA half
  uint32_t core_hz = 64000000;  // the core clock the pace assumes (QEMU only)
  const char* const* files = nullptr;  // QEMU only: WAV files played in turn
  int num_files = 0;
};

struct MicStats {
  uint32_t halves = 0;     // halves delivered to the application
  uint32_t overruns = 0;   // halves dropped: the application still held them
};

// Starts capture into `dma` (2 * half_frames samples). False on a bad
// configuration or input (message printed).
bool MicStart(const MicConfig& config, int16_t* dma);
// Waits for the next full half; null once the input has ended.
const int16_t* MicWaitHalf();
// Gives the half back to the driver.
void MicReleaseHalf();
MicStats MicGetStats();
// Why the input ended before its last file's end ("" if it did not).
const char* MicError();

// Instructions since MicStart on the core (QEMU: exact to the SysTick
// resolution of 40 instructions under -icount shift=0).
uint64_t MicInstructions();

#endif  // TM2_FIRMWARE_LISTEN_MIC_H_
