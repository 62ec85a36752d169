// Internal, Cortex-M4 DSP: the output stage for several int8 outputs at once.
//
// RequantizeOne for n = 32 + r is floor((H + 2^(r-1)) / 2^r) + zp with
// H = hi32(acc * m) (see Requantize in qs8_pairs_cm4dsp.h). Adding zp * 2^r
// inside the floor is exact, so with rz = 2^(r-1) + zp * 2^r per channel one
// SMMLA (rz + hi32(acc * m)) and one arithmetic shift give the value before
// clamping. SSAT #8 then saturates it to int8, BFI packs four (or two)
// values into a word, and SSUB8 + SEL clamp all bytes to [lo, hi] at once
// (max with lo first, then min with hi, as the reference does, so an
// inverted clamp gives hi). About 4 instructions per output instead of ~15.
//
// A channel qualifies when 1 <= r <= 30 and -2^30 <= rz < 2^30: then
// H + rz cannot overflow (|H| <= 2^30). With the zero point in int8 that
// is every r <= 23, and beyond it the channels whose zp * 2^r is small
// enough (zp = 0 up to r = 30). The clamp bounds must lie in int8 (the
// reference casts a clamped value outside int8 to int8, SSAT would
// saturate it); Ok() says whether every channel qualifies.
//
// r = 0 (shift -1) does not fit this form: the reference's result is
// floor((P + 2^31) / 2^32) + zp = H + [L >= 2^31] + zp (P = H * 2^32 + L),
// which depends on L's top bit. SMMLA drops L, so no rz fits; SMMLAR
// (a + floor((P + 2^31) / 2^32)) fits it with a = zp, but for r >= 1 it
// would need a = 2^(r-1) - 1/2 + zp * 2^r, not an integer, so one
// instruction cannot serve both kinds of channel, and choosing per output
// (compare + IT) would cost every layer. With the accumulator doubled,
// hi32(2P) = 2H + [L >= 2^31] exactly, and
//   floor((2H + [L >= 2^31] + 2^0 + 2 zp) / 2^1) = H + zp + [L >= 2^31],
// so a shift -1 channel is an r = 1 channel of 2 * acc (rz = 1 + 2 zp).
// Doubling is exact while |2 acc| < 2^31; kernels that can double the
// accumulator for free (the 3x3 depthwise doubles the channel's widened
// weights and its bias, and checks the bound) ask EdgeConstants for it
// with `doubled`.
//
// The GEMM kernels (conv2d, pointwise, fully connected) do not double:
// a channel this stage does not take (shift -1, shift >= 0, rz out of
// range) is marked slow (rsh = -1), and in Mixed() layers the tile kernels
// run their channel pairs in runs (ForEachRun): pairs of fast channels on
// this stage, a pair holding a slow channel on the general one (exact, per
// channel); dense rows choose per output (MixedStage, qs8_tile_cm4dsp.h).
// One such channel then costs its pair's outputs ~10 more instructions
// each, not the whole layer (a KWS pointwise 733 k -> 609 k); layers
// without one keep the loop they had. Past an eighth of the channels slow
// the layer takes the general stage whole, as before.
#ifndef TM2_KERNELS_CM4_QS8_QUAD_OUT_CM4DSP_H_
#define TM2_KERNELS_CM4_QS8_QUAD_OUT_CM4DSP_H_

#include <arm_acle.h>

#include <cstdint>
#include <cstring>

#include "kernels/cm4/qs8_pairs_cm4dsp.h"

namespace tm2 {
namespace cm4 {

inline int32_t SmmlaHi(int32_t acc, int32_t m, int32_t add) {
  int32_t r;
  __asm__("smmla %0, %1, %2, %3" : "=r"(r) : "r"(acc), "r"(m), "r"(add));
  return r;
}

// Bits [8k, 8k + 8) of w replaced by the low byte of v.
template <int k>
inline int32_t InsertByte(int32_t w, int32_t v) {
  __asm__("bfi %0, %1, %2, #8" : "+r"(w) : "r"(v), "i"(8 * k));
  return w;
}

inline int32_t Splat8(int32_t v) {
  return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint8_t>(v)) * 0x01010101u);
}

inline int32_t Max8x4(int32_t a, int32_t b) {
  (void)__ssub8(a, b);
  return static_cast<int32_t>(__sel(static_cast<uint8x4_t>(a), static_cast<uint8x4_t>(b)));
}

inline int32_t Min8x4(int32_t a, int32_t b) {
  (void)__ssub8(a, b);
  return static_cast<int32_t>(__sel(static_cast<uint8x4_t>(b), static_cast<uint8x4_t>(a)));
}

struct QuadOutStage {
  const int32_t* mult;
  int32_t lo4, hi4;
  bool ok;     // every channel fast
  bool mixed;  // some channels slow, the rest fast (rsh < 0 marks slow)
  int32_t rz[kMaxStageChannels];
  int8_t rsh[kMaxStageChannels];
  // Bit p set: channel pair (2p, 2p + 1) holds a slow channel (Mixed only).
  uint32_t slow_pairs[kMaxStageChannels / 64];

  // Whether the clamp bounds and the zero point allow this stage.
  static bool BoundsOk(const Requantization& rq) {
    return rq.output_min >= -128 && rq.output_min <= 127 && rq.output_max >= -128 &&
           rq.output_max <= 127 && rq.output_zero_point >= -128 && rq.output_zero_point <= 127;
  }
  // Channel ch's rz and r for the common 1 <= r <= 23 (BoundsOk holding);
  // false otherwise. Runs per channel on every call, so it stays a few
  // 32-bit instructions; callers retry a channel it refuses with
  // EdgeConstants, out of their loop.
  static bool Constants(const Requantization& rq, int ch, int32_t* rz, int32_t* r) {
    const int rr = -1 - rq.shift[ch];  // n - 32 = 31 - shift - 32
    if (rr < 1 || rr > 23) return false;
    *rz = static_cast<int32_t>((1u << (rr - 1)) +
                               (static_cast<uint32_t>(rq.output_zero_point) << rr));
    *r = rr;
    return true;
  }
  // Any channel that qualifies: 1 <= r <= 30 with rz in [-2^30, 2^30), and
  // with `doubled` given, a shift -1 channel as r = 1 with *doubled set
  // (the caller must then feed it 2 * acc, see above).
  __attribute__((noinline)) static bool EdgeConstants(const Requantization& rq, int ch,
                                                      int32_t* rz, int32_t* r, bool* doubled) {
    int rr = -1 - rq.shift[ch];
    if (doubled) *doubled = rr == 0;
    if (rr == 0 && doubled) rr = 1;
    if (rr < 1 || rr > 30) return false;
    const int64_t v = (int64_t{1} << (rr - 1)) + int64_t{rq.output_zero_point} * (int64_t{1} << rr);
    if (v < -(int64_t{1} << 30) || v >= (int64_t{1} << 30)) return false;
    *rz = static_cast<int32_t>(v);
    *r = rr;
    return true;
  }

  QuadOutStage(const Requantization& rq, int channels)
      : mult(rq.multiplier), lo4(Splat8(rq.output_min)), hi4(Splat8(rq.output_max)),
        ok(channels <= kMaxStageChannels && BoundsOk(rq)), mixed(false) {
    if (ok) Fill(rq, channels);
  }
  // The same with the channel loop out of line: inlined into conv2d's
  // frame, GCC 12's register allocation of the pixel loop cost ~3
  // instructions per pixel; inlined into fully_connected the loop saves
  // ~60 per call over a call (QEMU counts, docs/bench.md 2026-12-04).
  struct OutOfLine {};
  QuadOutStage(const Requantization& rq, int channels, OutOfLine)
      : mult(rq.multiplier), lo4(Splat8(rq.output_min)), hi4(Splat8(rq.output_max)),
        ok(channels <= kMaxStageChannels && BoundsOk(rq)), mixed(false) {
    if (ok) FillOutOfLine(rq, channels);
  }
  void Fill(const Requantization& rq, int channels) {
    for (int ch = 0; ch < channels; ++ch) {
      int32_t r = 0;
      if (!Constants(rq, ch, &rz[ch], &r)) {
        FillEdge(rq, ch, channels);
        return;
      }
      rsh[ch] = static_cast<int8_t>(r);
    }
  }
  __attribute__((noinline)) void FillOutOfLine(const Requantization& rq, int channels) {
    Fill(rq, channels);
  }
  // Channel `from` failed Constants: sets ok and mixed from the rest.
  __attribute__((noinline)) void FillEdge(const Requantization& rq, int from, int channels) {
    const int fast = FastAfterEdges(rq, from, channels);
    ok = fast == channels;
    mixed = !ok && fast > 0;  // none fast: the general stage alone
  }
  // Channels [from, channels) with Constants or EdgeConstants (r = 0 is
  // not taken: this stage cannot double accumulators); the ones refused
  // are marked slow and their pairs' bits set. Returns the number of fast
  // channels (those before `from` are), or 0 once more than an eighth of
  // the channels are slow: then the layer takes the general stage whole,
  // and a layer whose every channel is slow (the cough model's 32->16
  // dense: shift 0 and -1 throughout) stops after a few tests instead of
  // testing every channel on every call.
  int FastAfterEdges(const Requantization& rq, int from, int channels) {
    const int max_slow = channels >> 3;
    int slow = 0;
    for (int ch = from; ch < channels; ++ch) {
      const int rr = -1 - rq.shift[ch];
      int32_t r = 0;
      if (Constants(rq, ch, &rz[ch], &r) ||
          (rr >= 1 && rr <= 30 && EdgeConstants(rq, ch, &rz[ch], &r, nullptr))) {
        rsh[ch] = static_cast<int8_t>(r);
        continue;
      }
      if (++slow > max_slow) return 0;
      if (slow == 1) {
        for (uint32_t& b : slow_pairs) b = 0;
      }
      rsh[ch] = -1;
      slow_pairs[ch >> 6] |= 1u << ((ch >> 1) & 31);
    }
    return channels - slow;
  }
  bool Ok() const { return ok; }
  bool Mixed() const { return mixed; }
  // Whether channel ch takes this stage (Ok() or Mixed() holding).
  bool Fast(int ch) const { return rsh[ch] >= 0; }

  // Mixed() layers: f(fast, from, to) over consecutive runs of
  // [begin, end) (begin even), each run whole channel pairs (the last one
  // may end at an odd `end`), fast when no channel of the run is slow.
  // Visits only the slow pairs' bits, not every pair.
  template <class F>
  void ForEachRun(int begin, int end, F&& f) const {
    int from = begin;
    for (int word = begin >> 6; word < kMaxStageChannels / 64 && 64 * word < end; ++word) {
      uint32_t bits = slow_pairs[word];
      while (bits) {
        const int s = 64 * word + 2 * __builtin_ctz(bits);
        bits &= bits - 1;
        if (s < from) continue;
        if (s >= end) return FinishRuns(from, end, f);
        if (s > from) f(true, from, s);
        from = s + 2 < end ? s + 2 : end;
        f(false, s, from);
      }
    }
    FinishRuns(from, end, f);
  }
  template <class F>
  static void FinishRuns(int from, int end, F& f) {
    if (from < end) f(true, from, end);
  }

  // Channel ch's value saturated to int8 (before the [lo, hi] clamp).
  int32_t Sat(int32_t acc, int ch) const {
    return __ssat(SmmlaHi(acc, mult[ch], rz[ch]) >> rsh[ch], 8);
  }
  // The clamp of four packed bytes.
  int32_t Clamp(int32_t w) const { return Min8x4(Max8x4(w, lo4), hi4); }

  // Channels ch..ch+3 as four bytes, clamped.
  int32_t Four(int32_t a0, int32_t a1, int32_t a2, int32_t a3, int ch) const {
    int32_t w = Sat(a0, ch);
    w = InsertByte<1>(w, Sat(a1, ch + 1));
    w = InsertByte<2>(w, Sat(a2, ch + 2));
    w = InsertByte<3>(w, Sat(a3, ch + 3));
    return Clamp(w);
  }
  // One output, clamped (tails).
  int8_t One(int32_t acc, int ch) const { return static_cast<int8_t>(Clamp(Sat(acc, ch))); }
  int8_t operator()(int32_t acc, int ch) const { return One(acc, ch); }

  // Channels ch, ch + 1 of two pixels (acc[pixel][channel]): one clamp for
  // the four bytes, one halfword store per pixel, out1 first (it may be
  // out0, see TileTimesPatchesWith).
  void Store2x2(const int32_t acc[2][2], int ch, int8_t* out0, int8_t* out1) const {
    int32_t w = Sat(acc[0][0], ch);
    w = InsertByte<1>(w, Sat(acc[0][1], ch + 1));
    w = InsertByte<2>(w, Sat(acc[1][0], ch));
    w = InsertByte<3>(w, Sat(acc[1][1], ch + 1));
    w = Clamp(w);
    const uint16_t hi = static_cast<uint16_t>(static_cast<uint32_t>(w) >> 16);
    const uint16_t lo = static_cast<uint16_t>(w);
    memcpy(out1 + ch, &hi, sizeof(hi));
    memcpy(out0 + ch, &lo, sizeof(lo));
  }
};

}  // namespace cm4
}  // namespace tm2

#endif  // TM2_KERNELS_CM4_QS8_QUAD_OUT_CM4DSP_H_
