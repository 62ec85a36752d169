// Internal, every Highway target: what the depthwise pack step
// (depthwise_pack_hwy.cc) and kernel (depthwise_conv2d_hwy.cc, and WASM's
// forms in qs8_depthwise_wasm-inl.h and qs8_depthwise_relaxed_wasm-inl.h)
// must agree on per target: the lanes per block of channels and the
// weights the pair multiply-add takes exactly.
#if defined(TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_
#undef TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_
#else
#define TM2_KERNELS_HWY_DEPTHWISE_TARGET_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "kernels/hwy/depthwise_layout.h"

HWY_BEFORE_NAMESPACE();
namespace tm2 {
namespace HWY_NAMESPACE {

// Where the pair multiply-add widens its products to int32 (pmaddwd,
// i32x4.dot_i16x8_s), any int16 weight is exact; elsewhere (NEON) the
// products stay in int16 lanes, which bounds the weights a lift may scale
// to (depthwise_lift.h).
#undef TM2_DW_WIDENING_PAIRS
#if HWY_TARGET == HWY_SSE4 || HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || \
    HWY_TARGET == HWY_AVX3_DL || HWY_TARGET == HWY_WASM
#define TM2_DW_WIDENING_PAIRS 1
constexpr int kDwWeightLimit = INT16_MAX;
#else
#define TM2_DW_WIDENING_PAIRS 0
constexpr int kDwWeightLimit = 255;
#endif

#if HWY_TARGET != HWY_SCALAR
namespace hn = hwy::HWY_NAMESPACE;

// AVX-512 loads and stores bytes under a mask (masked-off lanes are
// neither read nor written), so there the last block of a channel count
// that W does not divide starts at b * W and runs with its lanes past the
// channel count masked off, instead of overlapping the block before: 24
// channels are one 32-lane block, not two 16-lane blocks. Past one full
// vector, a remainder of 16 lanes or fewer runs as one narrower block
// (DwTail): 48 channels are a 32-lane and a 16-lane block, which the EPYC
// ran 17 % faster than two 32-lane blocks, half of the second masked off.
#if HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
constexpr int kDwMasked = 1;
#else
constexpr int kDwMasked = 0;
#endif

inline int BlockStart(int b, int channels, int width) {
  return kDwMasked ? b * width : hwyk::DwBlockStart(b, channels, width);
}

// Lanes per block for `channels` on this target; 0: reference.
inline int DwWidth(int channels) {
  const hn::ScalableTag<int16_t> d16;
  const int full = static_cast<int>(hn::Lanes(d16));
  if (kDwMasked && channels >= 4) {
    if (channels >= full) return full;
    return channels > 16 ? full : channels > 8 ? 16 : 8;
  }
  if (channels >= full) return full;
  if (channels >= 16 && full > 16) return 16;
  if (channels >= 8 && full > 8) return 8;
  if (channels >= 4 && full > 4) return 4;
  return 0;
}

// Lanes of the narrower last block (masked targets), 0: every block has
// DwWidth lanes.
inline int DwTail(int channels) {
  const int full = DwWidth(channels);
  if (!kDwMasked || channels <= full || channels % full == 0) return 0;
  const int rest = channels % full;
  return rest <= 8 ? 8 : rest <= 16 ? 16 : 0;
}

// Blocks of DwWidth lanes: all of them, or all but the tail block.
inline int DwWideBlocks(int channels, int width, int tail) {
  return tail != 0 ? channels / width : hwyk::DwBlocks(channels, width);
}
#endif  // HWY_TARGET != HWY_SCALAR

}  // namespace HWY_NAMESPACE
}  // namespace tm2
HWY_AFTER_NAMESPACE();

#endif  // include guard
