#include "engine/band.h"

namespace tm2 {
namespace engine_internal {
namespace {

constexpr int kBandPixels = 16;
constexpr int64_t kAlign = 16;

int64_t FloorTo(int64_t v, int64_t m) { return v >= 0 ? v / m * m : -((-v + m - 1) / m * m); }
int64_t CeilTo(int64_t v, int64_t m) { return -FloorTo(-v, m); }

}  // namespace

bool CanBand(LayerKind kind) {
  return kind == LayerKind::kConv2D || kind == LayerKind::kDepthwiseConv2D ||
         kind == LayerKind::kPointwiseConv2D || kind == LayerKind::kMaxPool2D ||
         kind == LayerKind::kAvgPool2D;
}

void BandInputRows(LayerKind, const ConvGeometry& g, int y0, int y1, int* lo, int* hi) {
  // A pointwise layer's geometry is a 1x1 window, stride 1, no padding.
  const int first = y0 * g.stride_h - g.pad_top;
  const int end = (y1 - 1) * g.stride_h - g.pad_top + g.kernel_h;
  *lo = first < 0 ? 0 : first;
  *hi = end > g.in_h ? g.in_h : end;
}

int BandRows(const ConvGeometry& g) {
  const int rows = (kBandPixels + g.out_w - 1) / g.out_w;
  return rows < 1 ? 1 : rows;
}

bool BandDelta(LayerKind kind, const ConvGeometry& g, int rows, bool descending, int32_t* delta) {
  if (!CanBand(kind) || rows < 1 || g.out_h <= rows) return false;
  const int64_t in_row = static_cast<int64_t>(g.in_w) * g.in_c;
  const int64_t out_row = static_cast<int64_t>(g.out_w) * g.out_c;
  // Ascending: a call's writes end at or below the first input byte it or
  // any later call reads (calls read rows in ascending order). Descending:
  // they start at or above the end of what it or any later call reads.
  int64_t best = 0;
  bool first = true;
  for (int y0 = 0; y0 < g.out_h; y0 += rows) {
    const int y1 = y0 + rows < g.out_h ? y0 + rows : g.out_h;
    int lo, hi;
    BandInputRows(kind, g, y0, y1, &lo, &hi);
    if (hi <= lo) return false;
    const int64_t d = descending ? hi * in_row - y0 * out_row : lo * in_row - y1 * out_row;
    if (first || (descending ? d > best : d < best)) best = d;
    first = false;
  }
  best = descending ? CeilTo(best, kAlign) : FloorTo(best, kAlign);
  if (best < INT32_MIN || best > INT32_MAX) return false;
  *delta = static_cast<int32_t>(best);
  return true;
}

ConvGeometry BandGeometry(LayerKind kind, const ConvGeometry& g, int y0, int y1, size_t* in_offset,
                          size_t* out_offset) {
  int lo, hi;
  BandInputRows(kind, g, y0, y1, &lo, &hi);
  ConvGeometry b = g;
  b.in_h = hi - lo;
  b.out_h = y1 - y0;
  b.pad_top = lo - (y0 * g.stride_h - g.pad_top);
  *in_offset = static_cast<size_t>(lo) * g.in_w * g.in_c;
  *out_offset = static_cast<size_t>(y0) * g.out_w * g.out_c;
  return b;
}

bool ChooseBand(LayerKind kind, const ConvGeometry& g, int64_t out_bytes, const BandChain& chain,
                BandPlace* place) {
  const int rows = BandRows(g);
  int64_t best = INT64_MAX;
  for (int order = 0; order < 2; ++order) {
    int32_t delta;
    if (!BandDelta(kind, g, rows, order == 1, &delta)) continue;
    const int64_t at = chain.tail + delta;
    const int64_t lo = at < chain.min ? at : chain.min;
    const int64_t hi = at + out_bytes > chain.end ? at + out_bytes : chain.end;
    if (hi - lo < best) {
      best = hi - lo;
      place->rows = static_cast<int16_t>(rows);
      place->descending = order == 1;
      place->offset = static_cast<int32_t>(at);
    }
  }
  const int64_t apart = chain.end - chain.min + (out_bytes + kAlign - 1) / kAlign * kAlign;
  return best < apart && best <= UINT32_MAX;
}

void ExtendChain(const BandPlace& place, int64_t out_bytes, BandChain* chain) {
  chain->tail = place.offset;
  if (chain->tail < chain->min) chain->min = chain->tail;
  if (chain->tail + out_bytes > chain->end) chain->end = chain->tail + out_bytes;
}

}  // namespace engine_internal
}  // namespace tm2
