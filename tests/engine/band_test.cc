// Band-wise execution (engine/band.h): over random layer shapes, every
// call's writes miss every byte it or a later call reads, the calls cover
// each output row once and read only inside the input; and a banded
// engine gives the bytes of one that runs each layer whole.
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/loaded_model.h"
#include "common/wav.h"
#include "engine/band.h"
#include "engine/engine.h"
#include "kernels/select.h"

using tm2::ConvGeometry;
using tm2::LayerKind;
namespace ei = tm2::engine_internal;

namespace {

int OutSize(int in, int k, int s, int pad_before, int pad_after) {
  return (in + pad_before + pad_after - k) / s + 1;
}

// Seeded draws in [0, n).
struct Lcg {
  uint32_t seed;
  int operator()(int n) {
    seed = seed * 1664525u + 1013904223u;
    return static_cast<int>((seed >> 8) % static_cast<uint32_t>(n));
  }
};

const LayerKind kKinds[] = {LayerKind::kConv2D, LayerKind::kDepthwiseConv2D,
                            LayerKind::kPointwiseConv2D, LayerKind::kMaxPool2D,
                            LayerKind::kAvgPool2D};

// A random layer shape of `kind`; false when its window does not fit.
bool RandomGeometry(LayerKind kind, Lcg& next, ConvGeometry* out) {
  ConvGeometry g{};
  g.in_h = 1 + next(40);
  g.in_w = 1 + next(12);
  g.in_c = 1 + next(24);
  const bool pointwise = kind == LayerKind::kPointwiseConv2D;
  g.kernel_h = pointwise ? 1 : 1 + next(4);
  g.kernel_w = pointwise ? 1 : 1 + next(4);
  g.stride_h = pointwise ? 1 : 1 + next(2);
  g.stride_w = pointwise ? 1 : 1 + next(2);
  g.pad_top = pointwise ? 0 : next(g.kernel_h);
  g.pad_left = pointwise ? 0 : next(g.kernel_w);
  const int pad_bottom = pointwise ? 0 : next(g.kernel_h);
  if (g.in_h + g.pad_top + pad_bottom < g.kernel_h || g.in_w + g.pad_left < g.kernel_w) return false;
  g.out_h = OutSize(g.in_h, g.kernel_h, g.stride_h, g.pad_top, pad_bottom);
  g.out_w = OutSize(g.in_w, g.kernel_w, g.stride_w, g.pad_left, 0);
  const bool keeps = kind != LayerKind::kConv2D && kind != LayerKind::kPointwiseConv2D;
  g.out_c = keeps ? g.in_c : 1 + next(32);
  *out = g;
  return true;
}

}  // namespace

TEST_CASE("band offsets: no call writes what it or a later call reads") {
  Lcg next{777};
  int banded = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const LayerKind kind = kKinds[next(5)];
    ConvGeometry g{};
    if (!RandomGeometry(kind, next, &g)) continue;
    const int rows = 1 + next(4);
    const int64_t in_row = static_cast<int64_t>(g.in_w) * g.in_c;
    const int64_t out_row = static_cast<int64_t>(g.out_w) * g.out_c;
    for (int order = 0; order < 2; ++order) {
      int32_t delta = 0;
      if (!ei::BandDelta(kind, g, rows, order == 1, &delta)) continue;
      ++banded;
      INFO("trial " << trial << " kind " << static_cast<int>(kind) << " in " << g.in_h << "x"
                    << g.in_w << "x" << g.in_c << " k " << g.kernel_h << " s " << g.stride_h
                    << " pad " << g.pad_top << " out_h " << g.out_h << " rows " << rows
                    << (order ? " descending" : " ascending") << " delta " << delta);
      CHECK(delta % 16 == 0);
      const int bands = (g.out_h + rows - 1) / rows;
      // Bytes (relative to the input's start) each call reads and writes.
      std::vector<int64_t> read_lo, read_hi, write_lo, write_hi;
      std::vector<int> covered(g.out_h, 0);
      for (int n = 0; n < bands; ++n) {
        const int y0 = (order ? bands - 1 - n : n) * rows;
        const int y1 = y0 + rows < g.out_h ? y0 + rows : g.out_h;
        size_t in_off, out_off;
        const ConvGeometry b = ei::BandGeometry(kind, g, y0, y1, &in_off, &out_off);
        REQUIRE(b.in_h >= 1);
        CHECK(b.out_h == y1 - y0);
        CHECK(static_cast<int64_t>(in_off) + b.in_h * in_row <= g.in_h * in_row);
        // The call's rows hold every window row inside the input.
        for (int y = 0; y < b.out_h; ++y) {
          const int top = (y0 + y) * g.stride_h - g.pad_top;  // in the whole input
          const int btop = y * b.stride_h - b.pad_top;        // in the call's rows
          CHECK(btop + static_cast<int>(in_off / in_row) == top);
          for (int ky = 0; ky < g.kernel_h; ++ky) {
            const bool inside = top + ky >= 0 && top + ky < g.in_h;
            const bool call_inside = btop + ky >= 0 && btop + ky < b.in_h;
            CHECK(inside == call_inside);
          }
          ++covered[y0 + y];
        }
        read_lo.push_back(static_cast<int64_t>(in_off));
        read_hi.push_back(static_cast<int64_t>(in_off) + b.in_h * in_row);
        write_lo.push_back(delta + static_cast<int64_t>(out_off));
        write_hi.push_back(delta + static_cast<int64_t>(out_off) + b.out_h * out_row);
      }
      for (int y = 0; y < g.out_h; ++y) CHECK(covered[y] == 1);
      for (int n = 0; n < bands; ++n)
        for (int later = n; later < bands; ++later)
          CHECK((write_hi[n] <= read_lo[later] || write_lo[n] >= read_hi[later]));
    }
  }
  CHECK(banded > 500);
}

TEST_CASE("band choice: the order giving the smaller chain, only when it beats a buffer") {
  // A layer reads the last output of a chain of banded outputs (its input
  // at `tail` inside the chain's [min, end)); ChooseBand must pick the
  // order whose output extends the chain least, and band only when the
  // grown chain is smaller than the chain plus a 16-byte-rounded buffer.
  Lcg next{4242};
  int chosen = 0, refused = 0;
  for (int trial = 0; trial < 2000; ++trial) {
    const LayerKind kind = kKinds[next(5)];
    ConvGeometry g{};
    if (!RandomGeometry(kind, next, &g)) continue;
    const int64_t in_bytes = static_cast<int64_t>(g.in_h) * g.in_w * g.in_c;
    const int64_t out_bytes = static_cast<int64_t>(g.out_h) * g.out_w * g.out_c;
    ei::BandChain chain;
    chain.tail = 16 * (next(9) - 4);
    chain.min = chain.tail - 16 * next(4);
    chain.end = chain.tail + in_bytes + next(64);
    const int64_t apart = chain.end - chain.min + (out_bytes + 15) / 16 * 16;
    // The chain's bytes with the output in each order (-1: cannot band).
    int64_t extent[2] = {-1, -1};
    for (int order = 0; order < 2; ++order) {
      int32_t delta;
      if (!ei::BandDelta(kind, g, ei::BandRows(g), order == 1, &delta)) continue;
      const int64_t at = chain.tail + delta;
      extent[order] = std::max(chain.end, at + out_bytes) - std::min(chain.min, at);
    }
    ei::BandPlace place;
    const bool band = ei::ChooseBand(kind, g, out_bytes, chain, &place);
    INFO("trial " << trial << " extents " << extent[0] << " / " << extent[1] << " apart " << apart);
    if (!band) {
      ++refused;
      for (int64_t e : extent) CHECK((e < 0 || e >= apart));
      continue;
    }
    ++chosen;
    const int order = place.descending ? 1 : 0;
    REQUIRE(extent[order] >= 0);
    CHECK(place.rows == ei::BandRows(g));
    CHECK((extent[1 - order] < 0 || extent[order] <= extent[1 - order]));
    ei::BandChain grown = chain;
    ei::ExtendChain(place, out_bytes, &grown);
    CHECK(grown.tail == place.offset);
    CHECK(grown.end - grown.min == extent[order]);
    CHECK(grown.end - grown.min < apart);
  }
  CHECK(chosen > 200);
  CHECK(refused > 200);
}

namespace {

using Loaded = tm2::test::LoadedModel;

// Logits (and features) of `model` on `pcm` in every branch.
std::vector<int8_t> Logits(const tm2::Model& model, const tm2::PcmView& pcm,
                           const tm2::EngineOptions& options, size_t* arena_bytes) {
  size_t need = 0;
  REQUIRE(tm2::Engine::ArenaBytes(model, &need, options).ok());
  std::vector<uint8_t> arena(need);
  tm2::Engine engine;
  tm2::Status s = engine.Init(model, arena.data(), need, options);
  INFO(s.message());
  REQUIRE(s.ok());
  for (int b = 0; b < engine.num_branches(); ++b) REQUIRE(engine.SetInput(b, pcm).ok());
  REQUIRE(engine.Invoke().ok());
  *arena_bytes = need;
  std::vector<int8_t> out(engine.logits(), engine.logits() + engine.num_classes());
  return out;
}

}  // namespace

TEST_CASE("banded layers give the bytes of whole ones, in less memory") {
  tm2::test::WavData wav;
  std::string error;
  REQUIRE(tm2::test::ReadWavFile("audio/speech_commands_yes_16k.wav", &wav, &error));
  const tm2::PcmView pcm =
      tm2::PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels);
  const char* const models[] = {"covid-cough", "sound-gate", "kws-dscnn"};
  for (const char* name : models) {
    Loaded m(std::string(TM2_MODELS_DIR) + "/" + name + ".tm2");
    tm2::EngineOptions banded;
    banded.kernels = &tm2::ReferenceKernels();
    banded.resampler_cache = false;
    tm2::EngineOptions whole = banded;
    whole.in_place = false;
    size_t banded_bytes = 0, whole_bytes = 0;
    INFO(name);
    CHECK(Logits(m.model, pcm, banded, &banded_bytes) == Logits(m.model, pcm, whole, &whole_bytes));
    CHECK(banded_bytes < whole_bytes);
  }
}
