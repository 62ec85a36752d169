#include "sample_model.h"

#include <initializer_list>

namespace tm2 {
namespace test {
namespace {

struct Shape {
  int h, w, c;
};

int WindowOut(int in, int k, int stride, bool same) {
  return same ? (in + stride - 1) / stride : (in - k) / stride + 1;
}

void FillRequant(LayerSpec* l, int out_c, Rng& rng) {
  for (int c = 0; c < out_c; ++c) {
    l->bias.push_back(rng.Uniform(-5000, 5000));
    l->multiplier.push_back(0x40000000 + rng.Uniform(0, 0x3FFFFFFF));
    l->shift.push_back(static_cast<int8_t>(rng.Uniform(-12, 0)));
    l->weight_scales.push_back(0.001f * static_cast<float>(rng.Uniform(1, 100)));
  }
  l->output_zero_point = rng.Uniform(-10, 10);
  l->output_scale = 0.05f + 0.01f * static_cast<float>(rng.Uniform(0, 9));
}

LayerSpec Weighted(LayerKind kind, Shape* s, int k, int stride, bool same, int out_c, int bits,
                   int act_bits, Rng& rng) {
  LayerSpec l;
  l.kind = kind;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.same_padding = same;
  l.weight_bits = bits;
  l.act_bits = act_bits;
  l.act_min = act_bits == 4 ? -8 : -100;
  l.act_max = act_bits == 4 ? 7 : 127;
  size_t count = 0;
  Shape o = *s;
  switch (kind) {
    case LayerKind::kConv2D:
      o = {WindowOut(s->h, k, stride, same), WindowOut(s->w, k, stride, same), out_c};
      count = static_cast<size_t>(out_c) * k * k * s->c;
      break;
    case LayerKind::kDepthwiseConv2D:
      o = {WindowOut(s->h, k, stride, same), WindowOut(s->w, k, stride, same), s->c};
      count = static_cast<size_t>(k) * k * s->c;
      break;
    case LayerKind::kPointwiseConv2D:
      o.c = out_c;
      count = static_cast<size_t>(out_c) * s->c;
      break;
    default:  // fully connected
      o = {1, 1, out_c};
      count = static_cast<size_t>(out_c) * s->h * s->w * s->c;
      break;
  }
  l.out_channels = kind == LayerKind::kDepthwiseConv2D ? 0 : out_c;
  const int lo = bits == 4 ? -8 : -128, hi = bits == 4 ? 7 : 127;
  for (size_t i = 0; i < count; ++i) l.weights.push_back(static_cast<int8_t>(rng.Uniform(lo, hi)));
  FillRequant(&l, o.c, rng);
  l.name = "w" + std::to_string(static_cast<int>(kind));
  *s = o;
  return l;
}

LayerSpec Pool(LayerKind kind, Shape* s, int k, int stride, bool same) {
  LayerSpec l;
  l.kind = kind;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.same_padding = same;
  if (kind == LayerKind::kGlobalAvgPool) {
    s->h = s->w = 1;
  } else {
    s->h = WindowOut(s->h, k, stride, same);
    s->w = WindowOut(s->w, k, stride, same);
  }
  l.name = "pool";
  return l;
}

LayerSpec Softmax() {
  LayerSpec l;
  l.kind = LayerKind::kSoftmax;
  l.name = "softmax";
  return l;
}

}  // namespace

PreprocessParams SamplePreprocess(int num_frames, int mel_bins) {
  PreprocessParams p;
  p.sample_rate = 16000;
  p.frame_length = 400;
  p.frame_step = 160;
  p.fft_size = 512;
  p.mel_bins = static_cast<uint16_t>(mel_bins);
  p.mel_low_hz = 20.0f;
  p.mel_high_hz = 7600.0f;
  p.num_frames = static_cast<uint16_t>(num_frames);
  p.input_scale = 0.125f;
  p.input_zero_point = -3;
  p.min_seconds = 0.25f;
  p.max_seconds = 5.0f;
  return p;
}

ModelSpec MultiBranchSpec() {
  Rng rng(2024);
  ModelSpec spec;
  spec.name = "tri-modal-test";
  spec.description = "format round-trip fixture";
  spec.labels = {"negative", "positive", "unsure"};
  spec.metadata = {{"license", "CC-BY-4.0"}, {"dataset", "synthetic"}, {"card", "none"}};
  spec.temperature = 1.5f;

  BranchSpec cough;
  cough.name = cough.modality = "cough";
  cough.prompt = "Cough three times";
  cough.preprocess = SamplePreprocess(24, 16);
  cough.preprocess.crop = CropPolicy::kLoudest;
  cough.preprocess.pre_emphasis = 0.97f;
  Shape s{24, 16, 1};
  cough.layers.push_back(Weighted(LayerKind::kConv2D, &s, 3, 2, true, 6, 8, 8, rng));
  cough.layers.push_back(Weighted(LayerKind::kDepthwiseConv2D, &s, 3, 1, true, 0, 4, 4, rng));
  cough.layers.push_back(Pool(LayerKind::kMaxPool2D, &s, 2, 2, false));
  cough.layers.push_back(Weighted(LayerKind::kPointwiseConv2D, &s, 1, 1, false, 5, 4, 8, rng));
  cough.layers.push_back(Pool(LayerKind::kGlobalAvgPool, &s, 1, 1, false));
  spec.branches.push_back(cough);

  BranchSpec speech;
  speech.name = speech.modality = "speech";
  speech.prompt = "Count from one to ten";
  speech.preprocess = SamplePreprocess(20, 20);
  speech.preprocess.dct_coefficients = 10;
  speech.preprocess.window = WindowType::kHamming;
  speech.preprocess.normalization = NormalizationType::kFixed;
  for (int i = 0; i < 10; ++i) {
    speech.norm_mean.push_back(-4.0f + 0.25f * static_cast<float>(i));
    speech.norm_std.push_back(1.0f + 0.125f * static_cast<float>(i));
  }
  s = {20, 10, 1};
  speech.layers.push_back(Weighted(LayerKind::kConv2D, &s, 3, 1, false, 8, 4, 8, rng));
  speech.layers.push_back(Pool(LayerKind::kAvgPool2D, &s, 3, 2, true));
  speech.layers.push_back(Weighted(LayerKind::kPointwiseConv2D, &s, 1, 1, false, 8, 8, 8, rng));
  speech.layers.push_back(Weighted(LayerKind::kDepthwiseConv2D, &s, 3, 1, false, 0, 4, 8, rng));
  speech.layers.push_back(Weighted(LayerKind::kFullyConnected, &s, 1, 1, false, 7, 8, 8, rng));
  spec.branches.push_back(speech);

  BranchSpec breath;
  breath.name = breath.modality = "breath";
  breath.prompt = "Breathe deeply";
  breath.preprocess = SamplePreprocess(16, 12);
  breath.preprocess.crop = CropPolicy::kCenter;
  breath.preprocess.normalization = NormalizationType::kFixed;
  breath.norm_mean = {-3.5f};
  breath.norm_std = {2.0f};
  s = {16, 12, 1};
  breath.layers.push_back(Weighted(LayerKind::kConv2D, &s, 5, 3, false, 3, 4, 4, rng));
  breath.layers.push_back(Weighted(LayerKind::kFullyConnected, &s, 1, 1, false, 9, 4, 8, rng));
  spec.branches.push_back(breath);

  spec.fusion.multiplier = {0x50000000, 0x60000000, 0x45000000};
  spec.fusion.shift = {-1, 0, -2};
  spec.fusion.output_zero_point = 4;
  spec.fusion.output_scale = 0.08f;

  s = {1, 1, 5 + 7 + 9};
  spec.head.push_back(Weighted(LayerKind::kFullyConnected, &s, 1, 1, false, 13, 8, 8, rng));
  spec.head.push_back(Weighted(LayerKind::kFullyConnected, &s, 1, 1, false, 3, 4, 8, rng));
  spec.head.push_back(Softmax());
  return spec;
}

namespace {

// A 3 x 3 "same" Conv2D of a no/yes model (NoYesSpec).
struct Conv3x3 {
  int stride, out_channels, weight_bits;
};

// One "audio" branch of int8-output 3 x 3 convs on frames x features and a
// global average pool, then a dense layer to the labels "no" and "yes" and
// Softmax; weights and requantization drawn from `seed` in layer order.
ModelSpec NoYesSpec(const char* name, uint64_t seed, int frames, int features,
                    std::initializer_list<Conv3x3> convs) {
  Rng rng(seed);
  ModelSpec spec;
  spec.name = name;
  spec.labels = {"no", "yes"};
  BranchSpec b;
  b.name = b.modality = "audio";
  b.preprocess = SamplePreprocess(frames, features);
  Shape s{frames, features, 1};
  for (const Conv3x3& c : convs)
    b.layers.push_back(
        Weighted(LayerKind::kConv2D, &s, 3, c.stride, true, c.out_channels, c.weight_bits, 8, rng));
  b.layers.push_back(Pool(LayerKind::kGlobalAvgPool, &s, 1, 1, false));
  spec.branches.push_back(b);
  spec.head.push_back(Weighted(LayerKind::kFullyConnected, &s, 1, 1, false, 2, 8, 8, rng));
  spec.head.push_back(Softmax());
  return spec;
}

}  // namespace

ModelSpec SmallSpec() { return NoYesSpec("small", 7, 6, 8, {{2, 3, 4}}); }

ModelSpec ConvChainSpec() {
  return NoYesSpec("conv-chain", 11, 32, 16, {{1, 16, 8}, {1, 16, 8}, {2, 16, 8}});
}

namespace {

size_t WeightRows(const LayerSpec& l) {
  return l.kind == LayerKind::kDepthwiseConv2D ? static_cast<size_t>(l.kernel_h) * l.kernel_w
                                               : static_cast<size_t>(l.out_channels);
}

void CodeLayers(std::vector<LayerSpec>* layers, const std::vector<CodebookSpec>& books, Rng& rng,
                int* turn) {
  for (LayerSpec& l : *layers) {
    if (l.weights.empty()) continue;
    const int pick = (*turn)++ % 3;  // 0: Dense, 1: codebook 0, 2: codebook 1
    if (pick == 0) continue;
    const CodebookSpec& cb = books[static_cast<size_t>(pick - 1)];
    const int k = static_cast<int>(cb.centroids.size()) / cb.dim;
    const size_t rows = WeightRows(l), len = l.weights.size() / rows;
    const size_t per_row = (len + static_cast<size_t>(cb.dim) - 1) / static_cast<size_t>(cb.dim);
    l.pq_codebook = pick - 1;
    l.weight_bits = k <= 16 ? 4 : 8;
    l.pq_codes.clear();
    for (size_t i = 0; i < rows * per_row; ++i)
      l.pq_codes.push_back(static_cast<uint8_t>(rng.Uniform(0, k - 1)));
    l.weights.clear();
  }
}

}  // namespace

PackSpec SamplePackSpec() {
  Rng rng(4242);
  PackSpec pack;
  pack.name = "sample-pack";
  pack.description = "format tests";
  CodebookSpec a, b;
  a.dim = 3;
  for (int i = 0; i < 200 * 3; ++i) a.centroids.push_back(static_cast<int8_t>(rng.Uniform(-127, 127)));
  b.dim = 4;
  for (int i = 0; i < 16 * 4; ++i) b.centroids.push_back(static_cast<int8_t>(rng.Uniform(-8, 7)));
  pack.codebooks = {a, b};
  ModelSpec small = SmallSpec();
  small.name = "small";
  ModelSpec multi = MultiBranchSpec();
  multi.name = "multi";
  int turn = 1;
  for (ModelSpec* m : {&small, &multi}) {
    for (BranchSpec& br : m->branches) CodeLayers(&br.layers, pack.codebooks, rng, &turn);
    CodeLayers(&m->head, pack.codebooks, rng, &turn);
  }
  pack.models = {small, multi};
  return pack;
}

}  // namespace test
}  // namespace tm2
