#include "format/writer_pack.h"

#include "format/channel_params.h"

namespace tm2 {
namespace format_internal {
namespace {

// Two 4-bit values per byte, the even index in the low nibble; every row
// starts on a byte (FORMAT.md). Values are already range-checked.
template <typename T>
void PackNibbleRows(const std::vector<T>& values, const WeightMatrix& m,
                    std::vector<uint8_t>* packed) {
  const size_t row_bytes = (m.row_length + 1) / 2;
  packed->assign(m.rows * row_bytes, 0);
  for (uint64_t r = 0; r < m.rows; ++r) {
    uint8_t* row = packed->data() + r * row_bytes;
    for (uint64_t i = 0; i < m.row_length; ++i) {
      const uint8_t nibble = static_cast<uint8_t>(values[r * m.row_length + i]) & 0x0F;
      row[i / 2] |= (i & 1) ? static_cast<uint8_t>(nibble << 4) : nibble;
    }
  }
}

}  // namespace

Status PackWeights(const std::vector<int8_t>& values, const WeightMatrix& m, int bits,
                   std::vector<uint8_t>* packed) {
  if (bits != 4 && bits != 8) {
    return Status::Error(StatusCode::kInvalidArgument, "weight_bits %d, expected 4 or 8", bits);
  }
  const uint64_t count = m.rows * m.row_length;
  if (static_cast<uint64_t>(values.size()) != count) {
    return Status::Error(
        StatusCode::kInvalidArgument, "%zu weight values, expected %llu (%llu rows of %llu)",
        values.size(), static_cast<unsigned long long>(count),
        static_cast<unsigned long long>(m.rows), static_cast<unsigned long long>(m.row_length));
  }
  const int lo = bits == 4 ? -8 : -128, hi = bits == 4 ? 7 : 127;
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] < lo || values[i] > hi) {
      return Status::Error(StatusCode::kInvalidArgument,
                           "weight %zu is %d, outside the %d-bit range [%d, %d]", i, values[i],
                           bits, lo, hi);
    }
  }
  packed->clear();
  if (bits == 8) {
    packed->reserve(values.size());
    for (int8_t v : values) packed->push_back(static_cast<uint8_t>(v));
    return Status::Ok();
  }
  PackNibbleRows(values, m, packed);
  return Status::Ok();
}

Status PackCodes(const std::vector<uint8_t>& codes, const WeightMatrix& m, int bits,
                 std::vector<uint8_t>* packed) {
  if (bits != 4 && bits != 8) {
    return Status::Error(StatusCode::kInvalidArgument, "code bits %d, expected 4 or 8", bits);
  }
  const uint64_t count = m.rows * m.row_length;
  if (static_cast<uint64_t>(codes.size()) != count) {
    return Status::Error(StatusCode::kInvalidArgument,
                         "%zu codes, expected %llu (%llu rows of %llu)", codes.size(),
                         static_cast<unsigned long long>(count),
                         static_cast<unsigned long long>(m.rows),
                         static_cast<unsigned long long>(m.row_length));
  }
  if (bits == 8) {
    packed->assign(codes.begin(), codes.end());
    return Status::Ok();
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    if (codes[i] > 15) {
      return Status::Error(StatusCode::kInvalidArgument, "code %llu is %d, beyond 4 bits",
                           static_cast<unsigned long long>(i), codes[i]);
    }
  }
  PackNibbleRows(codes, m, packed);
  return Status::Ok();
}

std::vector<uint8_t> EncodeNarrowChannels(const std::vector<int32_t>& bias,
                                          const std::vector<int32_t>& multiplier,
                                          const std::vector<int8_t>& shift) {
  const size_t c = multiplier.size();
  uint8_t header = 0;
  if (!bias.empty()) {
    header = 1;
    for (int32_t b : bias) {
      if (b < -32768 || b > 32767) header = 3;
      else if ((b < -128 || b > 127) && header < 2) header = 2;
    }
  }
  bool one_shift = c > 0, one_multiplier = c > 0;
  for (size_t i = 1; i < c; ++i) {
    one_shift = one_shift && shift[i] == shift[0];
    one_multiplier = one_multiplier && multiplier[i] == multiplier[0];
  }
  if (one_shift) header |= kNarrowSharedShift;
  if (one_multiplier) header |= kNarrowSharedMultiplier;
  std::vector<uint8_t> out;
  out.reserve(NarrowChannelBytes(header, c));
  out.push_back(header);
  static constexpr int kWidth[4] = {0, 1, 2, 4};
  const int width = kWidth[header & 3u];
  for (int32_t b : bias) {
    for (int i = 0; i < width; ++i) out.push_back(static_cast<uint8_t>(static_cast<uint32_t>(b) >> (8 * i)));
  }
  for (size_t i = 0; i < (one_shift ? 1 : c); ++i) out.push_back(static_cast<uint8_t>(shift[i]));
  for (size_t i = 0; i < (one_multiplier ? 1 : c); ++i) {
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<uint8_t>(static_cast<uint32_t>(multiplier[i]) >> (8 * k)));
  }
  return out;
}

}  // namespace format_internal
}  // namespace tm2
