#include "preprocess/pcm_mix.h"

#include <cfloat>
#include <cstring>

namespace tm2 {
namespace preprocess_internal {

namespace {

// The one rule for float samples (docs/preprocessing.md): full scale is
// [-1, 1]; anything beyond is clipped to +-1, as a converter saturates,
// so a sample of 1e30 cannot overflow the power spectrum to inf (and the
// DCT to NaN). Subnormals become 0, so a build or CPU that flushes them
// gives the same bits. NaN also becomes 0, though Run refuses
// non-finite input before mixing.
inline float CleanSample(float x) {
  if (x > 1.0f) return 1.0f;
  if (x < -1.0f) return -1.0f;
  if (!(x >= FLT_MIN || x <= -FLT_MIN)) return 0.0f;
  return x;
}

// CleanSample on four samples at once, as bit masks: the same values
// (clipping gives exactly +-1, and the masked-out lanes are +0, as the
// scalar form returns). GCC/Clang vectors: SSE, NEON, WASM SIMD128, or
// plain scalar code on the Cortex-M4.
typedef float F4 __attribute__((vector_size(16)));
typedef int32_t I4 __attribute__((vector_size(16)));
typedef uint32_t U4 __attribute__((vector_size(16)));

inline F4 Load4(const float* p) {
  F4 v;
  std::memcpy(&v, p, sizeof(v));  // unaligned load
  return v;
}

inline F4 Select(I4 mask, F4 yes, F4 no) {
  return reinterpret_cast<F4>((reinterpret_cast<I4>(yes) & mask) |
                              (reinterpret_cast<I4>(no) & ~mask));
}

inline F4 CleanSample4(F4 x) {
  const F4 one = {1.0f, 1.0f, 1.0f, 1.0f};
  const F4 tiny = {FLT_MIN, FLT_MIN, FLT_MIN, FLT_MIN};
  const I4 keep = (x >= tiny) | (x <= -tiny);  // false for subnormals, zeros, NaN
  F4 y = reinterpret_cast<F4>(reinterpret_cast<I4>(x) & keep);
  y = Select(x > one, one, y);
  return Select(x < -one, -one, y);
}

// One mono sample of `ch` interleaved channels at s. MixToMono and
// MonoSquares both mix through these, so they see the same values.
inline float MixF32(const float* s, int ch, float div) {
  float acc = CleanSample(s[0]);
  for (int c = 1; c < ch; ++c) acc += CleanSample(s[c]);
  return acc / div;
}

inline float MixS16(const int16_t* s, int ch, float div) {
  int32_t acc = 0;
  for (int c = 0; c < ch; ++c) acc += s[c];
  return static_cast<float>(acc) / div;
}

// q = trunc(x * 32768) of a mixed sample (|x| <= 1, so in range), squared.
inline uint64_t Square16(float x) {
  const int64_t q = static_cast<int32_t>(x * 32768.0f);
  return static_cast<uint64_t>(q * q);
}

}  // namespace

void MixToMono(const PcmView& pcm, int64_t begin, int count, float* dst) {
  const int64_t n = static_cast<int64_t>(pcm.frames);
  const int ch = pcm.channels;
  // Split [begin, begin + count) into leading zeros, real samples, trailing zeros.
  int64_t lo = begin < 0 ? 0 : (begin > n ? n : begin);
  int64_t hi = begin + count > n ? n : begin + count;
  if (hi < lo) hi = lo;
  int lead = static_cast<int>(lo - begin);
  if (lead > count) lead = count;
  for (int i = 0; i < lead; ++i) dst[i] = 0.0f;
  float* out = dst + lead;
  const int real = static_cast<int>(hi - lo);
  if (pcm.f32) {
    const float* src = pcm.f32 + lo * ch;
    if (ch == 1) {
      int i = 0;
      for (; i + 4 <= real; i += 4) {
        const F4 y = CleanSample4(Load4(src + i));
        std::memcpy(out + i, &y, sizeof(y));
      }
      for (; i < real; ++i) out[i] = CleanSample(src[i]);
    } else {
      const float div = static_cast<float>(ch);
      for (int i = 0; i < real; ++i) out[i] = MixF32(src + static_cast<int64_t>(i) * ch, ch, div);
    }
  } else {
    const int16_t* src = pcm.s16 + lo * ch;
    const float div = 32768.0f * static_cast<float>(ch);
    if (ch == 1) {
      for (int i = 0; i < real; ++i) out[i] = static_cast<float>(src[i]) / div;
    } else {
      for (int i = 0; i < real; ++i) out[i] = MixS16(src + static_cast<int64_t>(i) * ch, ch, div);
    }
  }
  for (int i = lead + real; i < count; ++i) dst[i] = 0.0f;
}

uint64_t MonoSquares(const PcmView& pcm, int64_t begin, int64_t end) {
  const int ch = pcm.channels;
  uint64_t sum = 0;
  if (pcm.f32) {
    const float* src = pcm.f32 + begin * ch;
    const int64_t count = end - begin;
    if (ch == 1) {
      // Four lanes of q^2 <= 2^30 each: three vectors add up to < 2^32 per
      // lane, so lanes are summed in 32 bits and widened every 12 samples.
      const F4 scale = {32768.0f, 32768.0f, 32768.0f, 32768.0f};
      int64_t i = 0;
      while (i + 4 <= count) {
        U4 acc = {0, 0, 0, 0};
        for (int k = 0; k < 3 && i + 4 <= count; ++k, i += 4) {
          const I4 q = __builtin_convertvector(CleanSample4(Load4(src + i)) * scale, I4);
          acc += reinterpret_cast<U4>(q * q);
        }
        sum += static_cast<uint64_t>(acc[0]) + acc[1] + acc[2] + acc[3];
      }
      for (; i < count; ++i) sum += Square16(CleanSample(src[i]));
    } else {
      const float div = static_cast<float>(ch);
      for (int64_t i = 0; i < count; ++i) sum += Square16(MixF32(src + i * ch, ch, div));
    }
  } else if (ch == 1) {
    // s / 32768 * 32768 is s exactly: q is the sample itself.
    const int16_t* src = pcm.s16 + begin;
    for (int64_t i = 0; i < end - begin; ++i) {
      const int32_t q = src[i];
      sum += static_cast<uint64_t>(static_cast<uint32_t>(q * q));
    }
  } else {
    const int16_t* src = pcm.s16 + begin * ch;
    const float div = 32768.0f * static_cast<float>(ch);
    for (int64_t i = 0; i < end - begin; ++i) sum += Square16(MixS16(src + i * ch, ch, div));
  }
  return sum;
}

bool AllFinite(const PcmView& pcm) {
  if (!pcm.f32) return true;
  const size_t total = pcm.frames * pcm.channels;
  // Exponent all ones = inf or NaN; a bit test cannot be optimised away.
  const U4 exp = {0x7f800000u, 0x7f800000u, 0x7f800000u, 0x7f800000u};
  U4 bad4 = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= total; i += 4) {
    U4 u;
    std::memcpy(&u, pcm.f32 + i, sizeof(u));
    bad4 |= reinterpret_cast<U4>((u & exp) == exp);
  }
  uint32_t bad = bad4[0] | bad4[1] | bad4[2] | bad4[3];
  for (; i < total; ++i) {
    uint32_t u;
    std::memcpy(&u, pcm.f32 + i, 4);
    bad |= static_cast<uint32_t>((u & 0x7f800000u) == 0x7f800000u);
  }
  return bad == 0;
}

}  // namespace preprocess_internal
}  // namespace tm2
