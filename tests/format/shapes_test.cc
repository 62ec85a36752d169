#include "format/shapes.h"

#include <vector>

#include "catch2/catch.hpp"
#include "format/tm2_generated.h"

namespace {

using tm2::TensorShape;
using tm2::fb::LayerType;

struct LayerBuffer {
  flatbuffers::FlatBufferBuilder fbb;
  const tm2::fb::Layer& Make(LayerType type, int kh, int kw, int sh, int sw, bool same, int oc,
                             int bits = 8) {
    fbb.Clear();
    fbb.Finish(tm2::fb::CreateLayer(fbb, type, static_cast<uint8_t>(kh), static_cast<uint8_t>(kw),
                                    static_cast<uint8_t>(sh), static_cast<uint8_t>(sw),
                                    same ? tm2::fb::Padding::Same : tm2::fb::Padding::Valid,
                                    static_cast<uint16_t>(oc), static_cast<uint8_t>(bits)));
    return *flatbuffers::GetRoot<tm2::fb::Layer>(fbb.GetBufferPointer());
  }
};

TensorShape Shape(int h, int w, int c) {
  TensorShape s;
  s.h = h;
  s.w = w;
  s.c = c;
  return s;
}

// Window positions counted one by one: Valid keeps windows inside the
// input, Same keeps every window that starts inside it.
int CountWindows(int in, int k, int stride, bool same) {
  int n = 0;
  for (int p = 0; same ? p < in : p + k <= in; p += stride) ++n;
  return n;
}

}  // namespace

TEST_CASE("Windowed layers follow the Same/Valid rules", "[format][shapes]") {
  LayerBuffer buf;
  for (LayerType type : {LayerType::Conv2D, LayerType::DepthwiseConv2D, LayerType::MaxPool2D,
                         LayerType::AvgPool2D}) {
    for (int in = 1; in <= 9; ++in)
      for (int k = 1; k <= 4; ++k)
        for (int s = 1; s <= 3; ++s)
          for (bool same : {false, true}) {
            const int oc = type == LayerType::Conv2D ? 5 : 0;
            const auto& layer = buf.Make(type, k, k + 1 > 4 ? 1 : k + 1, s, 1, same, oc);
            const int kw = layer.kernel_w();
            TensorShape out;
            tm2::LayerWindow g;
            const tm2::Status st = tm2::InferLayerShape(layer, Shape(in, in + 2, 3), &out, &g);
            INFO(tm2::fb::EnumNameLayerType(type) << " in " << in << " k " << k << " s " << s
                                                  << " same " << same << ": " << st.message());
            if (!same && (in < k || in + 2 < kw)) {
              CHECK(!st.ok());
              continue;
            }
            REQUIRE(st.ok());
            CHECK(out.h == CountWindows(in, k, s, same));
            CHECK(out.w == CountWindows(in + 2, kw, 1, same));
            CHECK(out.c == (type == LayerType::Conv2D ? 5 : 3));
            const int pad_h = same ? std::max((out.h - 1) * s + k - in, 0) / 2 : 0;
            const int pad_w = same ? std::max((out.w - 1) + kw - (in + 2), 0) / 2 : 0;
            CHECK(g.pad_top == pad_h);
            CHECK(g.pad_left == pad_w);
            CHECK(g.kernel_h == k);
            CHECK(g.stride_h == s);
          }
  }
}

TEST_CASE("Non-windowed layers: FC flattens, pointwise, GAP, Softmax", "[format][shapes]") {
  LayerBuffer buf;
  TensorShape out;
  REQUIRE(tm2::InferLayerShape(buf.Make(LayerType::FullyConnected, 1, 1, 1, 1, false, 7),
                               Shape(3, 4, 5), &out, nullptr)
              .ok());
  CHECK((out.h == 1 && out.w == 1 && out.c == 7));
  REQUIRE(tm2::InferLayerShape(buf.Make(LayerType::PointwiseConv2D, 1, 1, 1, 1, false, 9),
                               Shape(3, 4, 5), &out, nullptr)
              .ok());
  CHECK((out.h == 3 && out.w == 4 && out.c == 9));
  REQUIRE(tm2::InferLayerShape(buf.Make(LayerType::GlobalAvgPool, 1, 1, 1, 1, false, 0),
                               Shape(3, 4, 5), &out, nullptr)
              .ok());
  CHECK((out.h == 1 && out.w == 1 && out.c == 5));
  REQUIRE(tm2::InferLayerShape(buf.Make(LayerType::Softmax, 1, 1, 1, 1, false, 0), Shape(1, 1, 4),
                               &out, nullptr)
              .ok());
  CHECK((out.h == 1 && out.w == 1 && out.c == 4));
}

TEST_CASE("Impossible shapes are rejected with a reason", "[format][shapes]") {
  LayerBuffer buf;
  TensorShape out;
  auto fails = [&](const tm2::fb::Layer& l, TensorShape in, const char* text) {
    const tm2::Status st = tm2::InferLayerShape(l, in, &out, nullptr);
    INFO(st.message());
    CHECK(!st.ok());
    CHECK_THAT(st.message(), Catch::Contains(text));
  };
  fails(buf.Make(LayerType::PointwiseConv2D, 1, 1, 2, 1, false, 4), Shape(4, 4, 2), "stride 1x1");
  fails(buf.Make(LayerType::PointwiseConv2D, 3, 1, 1, 1, false, 4), Shape(4, 4, 2), "kernel 1x1");
  fails(buf.Make(LayerType::Softmax, 1, 1, 1, 1, false, 0), Shape(2, 1, 4), "1x1xN");
  fails(buf.Make(LayerType::MaxPool2D, 2, 2, 2, 2, false, 8), Shape(4, 4, 2), "keeps channels");
  fails(buf.Make(LayerType::DepthwiseConv2D, 3, 3, 1, 1, false, 3), Shape(4, 4, 2),
        "keeps channels");
  fails(buf.Make(LayerType::Conv2D, 3, 3, 0, 1, true, 4), Shape(4, 4, 2), "must be >= 1");
  fails(buf.Make(LayerType::Conv2D, 0, 3, 1, 1, true, 4), Shape(4, 4, 2), "must be >= 1");
  fails(buf.Make(LayerType::Conv2D, 5, 3, 1, 1, false, 4), Shape(4, 4, 2), "larger than");
  fails(buf.Make(LayerType::Conv2D, 3, 3, 1, 1, true, 0), Shape(4, 4, 2), "out_channels");
  fails(buf.Make(LayerType::FullyConnected, 1, 1, 1, 1, false, 0), Shape(4, 4, 2), "out_channels");
  fails(buf.Make(LayerType::Conv2D, 1, 1, 1, 1, true, 4096), Shape(4096, 8, 1), "2^24");
  fails(buf.Make(LayerType::Conv2D, 1, 1, 1, 1, true, 4), Shape(0, 8, 1), "empty");
  fails(buf.Make(static_cast<LayerType>(12), 1, 1, 1, 1, true, 4), Shape(2, 8, 1),
        "needs a newer reader");
}

TEST_CASE("ExpectedWeightBytes counts rows that start on a byte boundary", "[format][shapes]") {
  LayerBuffer buf;
  for (int bits : {4, 8}) {
    auto row = [bits](size_t k) { return bits == 4 ? (k + 1) / 2 : k; };
    for (int c = 1; c <= 5; ++c) {
      const TensorShape in = Shape(5, 6, c);
      CHECK(tm2::ExpectedWeightBytes(buf.Make(LayerType::Conv2D, 3, 2, 1, 1, true, 4, bits), in) ==
            4 * row(3 * 2 * c));
      CHECK(tm2::ExpectedWeightBytes(
                buf.Make(LayerType::DepthwiseConv2D, 3, 2, 1, 1, true, 0, bits), in) ==
            3 * 2 * row(c));
      CHECK(tm2::ExpectedWeightBytes(
                buf.Make(LayerType::FullyConnected, 1, 1, 1, 1, false, 3, bits), in) ==
            3 * row(5 * 6 * c));
      CHECK(tm2::ExpectedWeightBytes(
                buf.Make(LayerType::PointwiseConv2D, 1, 1, 1, 1, false, 7, bits), in) ==
            7 * row(c));
      CHECK(tm2::ExpectedWeightBytes(buf.Make(LayerType::MaxPool2D, 2, 2, 2, 2, false, 0, bits),
                                     in) == 0);
    }
  }
}
