#include "parity/parity_model.h"

#include <cmath>
#include <string>

namespace tm2 {
namespace test {
namespace {

// xorshift64*: the same sequence on every platform and standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : s_(seed ? seed : 1) {}
  uint64_t Next() {
    s_ ^= s_ >> 12;
    s_ ^= s_ << 25;
    s_ ^= s_ >> 27;
    return s_ * 2685821657736338717ull;
  }
  int Uniform(int lo, int hi) {  // inclusive
    return lo + static_cast<int>(Next() % static_cast<uint64_t>(hi - lo + 1));
  }

 private:
  uint64_t s_;
};

// Real scale -> (Q31 multiplier, shift) with n = 31 - shift.
void QuantizeScale(double scale, int32_t* multiplier, int8_t* shift) {
  int exponent = 0;
  const double mantissa = std::frexp(scale, &exponent);  // [0.5, 1)
  int64_t m = std::llround(mantissa * 2147483648.0);
  if (m == 2147483648ll) { m /= 2; ++exponent; }
  *multiplier = static_cast<int32_t>(m);
  *shift = static_cast<int8_t>(exponent);
}

struct Act {
  int bits = 8;
  int zero_point = 0;
  bool relu = false;
  int relu6_max = 0;  // > 0: clamp at zero_point + relu6_max
};

// A weighted layer whose output keeps a useful spread: the requantization
// scale maps the expected accumulator spread (sqrt(K) * input spread *
// weight spread) to about a quarter of the activation range.
LayerSpec Weighted(Rng& rng, LayerKind kind, const char* name, int k_h, int k_w, int stride,
                   bool same, int in_c, int out_c, int fan_in, int weight_bits, const Act& act) {
  LayerSpec l;
  l.kind = kind;
  l.name = name;
  l.kernel_h = k_h;
  l.kernel_w = k_w;
  l.stride_h = l.stride_w = stride;
  l.same_padding = same;
  l.out_channels = out_c;
  l.weight_bits = weight_bits;
  const int wmax = weight_bits == 8 ? 90 : 7;
  const int count = kind == LayerKind::kDepthwiseConv2D ? k_h * k_w * in_c : out_c * fan_in;
  l.weights.resize(static_cast<size_t>(count));
  for (auto& w : l.weights) w = static_cast<int8_t>(rng.Uniform(-wmax - (weight_bits == 4), wmax));
  const int k = kind == LayerKind::kDepthwiseConv2D ? k_h * k_w : fan_in;
  const double acc_spread = std::sqrt(static_cast<double>(k)) * 30.0 * (wmax / std::sqrt(3.0));
  const double range = act.bits == 8 ? 256.0 : 16.0;
  const double scale = (range / 4.0) / acc_spread;
  for (int c = 0; c < out_c; ++c) {
    int32_t m;
    int8_t s;
    // Per-channel scales differ a little, as real per-channel weights do.
    QuantizeScale(scale * (0.75 + 0.5 * rng.Uniform(0, 1000) / 1000.0), &m, &s);
    l.multiplier.push_back(m);
    l.shift.push_back(s);
    l.bias.push_back(rng.Uniform(-400, 400));
    l.weight_scales.push_back(static_cast<float>(0.01 + 0.001 * c));
  }
  l.output_zero_point = act.zero_point;
  l.output_scale = static_cast<float>(0.05);
  l.act_bits = act.bits;
  l.act_min = act.bits == 8 ? -128 : -8;
  l.act_max = act.bits == 8 ? 127 : 7;
  if (act.relu) l.act_min = act.zero_point;
  if (act.relu6_max > 0) l.act_max = act.zero_point + act.relu6_max;
  return l;
}

LayerSpec Pool(LayerKind kind, const char* name, int k, int stride, bool same) {
  LayerSpec l;
  l.kind = kind;
  l.name = name;
  l.kernel_h = l.kernel_w = k;
  l.stride_h = l.stride_w = stride;
  l.same_padding = same;
  return l;
}

LayerSpec Simple(LayerKind kind, const char* name) {
  LayerSpec l;
  l.kind = kind;
  l.name = name;
  return l;
}

// A cough branch without layers: Hann frames (hop half a frame), log-mel
// up to the Nyquist frequency, the loudest `num_frames`, fixed normalisation.
BranchSpec CoughLogMelBranch(int sample_rate, int frame_length, int mel_bins, float mel_low_hz,
                             int num_frames) {
  BranchSpec b;
  b.name = b.modality = "cough";
  b.prompt = "Cough three times";
  PreprocessParams& p = b.preprocess;
  p.sample_rate = sample_rate;
  p.frame_length = frame_length;
  p.frame_step = frame_length / 2;
  p.fft_size = frame_length;
  p.window = WindowType::kHann;
  p.mel_bins = mel_bins;
  p.mel_low_hz = mel_low_hz;
  p.mel_high_hz = sample_rate / 2.0f;
  p.log_floor = 1e-6f;
  p.num_frames = num_frames;
  p.crop = CropPolicy::kLoudest;
  p.normalization = NormalizationType::kFixed;
  b.norm_mean = {-6.0f};
  b.norm_std = {4.0f};
  p.input_scale = 0.03f;
  p.input_zero_point = -10;
  p.min_seconds = 0.5f;
  p.max_seconds = 10.0f;
  return b;
}

BranchSpec CoughBranch(Rng& rng) {
  BranchSpec b = CoughLogMelBranch(16000, 512, 64, 20.0f, 64);
  b.preprocess.pre_emphasis = 0.97f;
  Act relu{8, -30, true, 0};
  Act relu6{8, -40, true, 100};
  Act plain{8, 0, false, 0};
  b.layers.push_back(Weighted(rng, LayerKind::kConv2D, "conv0", 3, 3, 1, true, 1, 8, 9, 8, relu));
  b.layers.push_back(Pool(LayerKind::kMaxPool2D, "pool0", 2, 2, false));
  b.layers.push_back(Weighted(rng, LayerKind::kDepthwiseConv2D, "dw1", 3, 3, 1, true, 8, 8, 9, 4, plain));
  b.layers.push_back(Weighted(rng, LayerKind::kPointwiseConv2D, "pw1", 1, 1, 1, false, 8, 16, 8, 8, relu6));
  b.layers.push_back(Pool(LayerKind::kMaxPool2D, "pool1", 2, 2, false));
  b.layers.push_back(Weighted(rng, LayerKind::kDepthwiseConv2D, "dw2", 3, 3, 2, true, 16, 16, 9, 8, plain));
  b.layers.push_back(Weighted(rng, LayerKind::kPointwiseConv2D, "pw2", 1, 1, 1, false, 16, 24, 16, 4, relu));
  b.layers.push_back(Simple(LayerKind::kGlobalAvgPool, "gap"));
  return b;
}

BranchSpec SpeechBranch(Rng& rng) {
  BranchSpec b;
  b.name = "speech";
  b.modality = "speech";
  b.prompt = "Count from one to ten";
  PreprocessParams& p = b.preprocess;
  p.sample_rate = 16000;
  p.pre_emphasis = 0.0f;
  p.frame_length = 400;
  p.frame_step = 160;
  p.fft_size = 512;
  p.window = WindowType::kHamming;
  p.mel_bins = 40;
  p.mel_low_hz = 60.0f;
  p.mel_high_hz = 7600.0f;
  p.dct_coefficients = 13;
  p.num_frames = 198;  // 2 s: the 1 s fixtures get padded
  p.crop = CropPolicy::kStart;
  p.normalization = NormalizationType::kFixed;
  for (int i = 0; i < 13; ++i) {
    b.norm_mean.push_back(i == 0 ? -40.0f : 0.5f * static_cast<float>(i % 3) - 0.5f);
    b.norm_std.push_back(i == 0 ? 20.0f : 8.0f / static_cast<float>(1 + i));
  }
  p.input_scale = 0.025f;
  p.input_zero_point = 0;
  p.min_seconds = 1.0f;
  p.max_seconds = 10.0f;
  Act a4{4, 0, false, 0};
  Act relu{8, -25, true, 0};
  Act plain{8, 5, false, 0};
  b.layers.push_back(Weighted(rng, LayerKind::kConv2D, "conv0", 5, 3, 2, false, 1, 8, 15, 4, relu));
  b.layers.push_back(Weighted(rng, LayerKind::kDepthwiseConv2D, "dw1", 3, 3, 1, true, 8, 8, 9, 8, plain));
  b.layers.push_back(Weighted(rng, LayerKind::kPointwiseConv2D, "pw1", 1, 1, 1, false, 8, 16, 8, 4, a4));
  b.layers.push_back(Pool(LayerKind::kAvgPool2D, "avg1", 2, 2, false));
  b.layers.push_back(Simple(LayerKind::kGlobalAvgPool, "gap"));
  return b;
}

BranchSpec BreathBranch(Rng& rng) {
  BranchSpec b;
  b.name = "breath";
  b.modality = "breath";
  b.prompt = "Breathe deeply through your mouth";
  PreprocessParams& p = b.preprocess;
  p.sample_rate = 8000;
  p.frame_length = 256;
  p.frame_step = 128;
  p.fft_size = 256;
  p.window = WindowType::kHann;
  p.mel_bins = 32;
  p.mel_low_hz = 100.0f;
  p.mel_high_hz = 3800.0f;
  p.num_frames = 60;
  p.crop = CropPolicy::kCenter;
  p.normalization = NormalizationType::kNone;
  p.input_scale = 0.1f;
  p.input_zero_point = 60;
  p.min_seconds = 1.0f;
  p.max_seconds = 10.0f;
  Act relu{8, -60, true, 0};
  Act plain{8, -3, false, 0};
  b.layers.push_back(Weighted(rng, LayerKind::kConv2D, "conv0", 3, 3, 2, true, 1, 8, 9, 8, relu));
  b.layers.push_back(Weighted(rng, LayerKind::kDepthwiseConv2D, "dw1", 3, 3, 1, false, 8, 8, 9, 8, plain));
  b.layers.push_back(Weighted(rng, LayerKind::kPointwiseConv2D, "pw1", 1, 1, 1, false, 8, 12, 8, 8, relu));
  b.layers.push_back(Pool(LayerKind::kMaxPool2D, "pool1", 3, 2, true));
  // 30x16 -> dw valid 28x14 -> pool same /2 -> 14x7x12 = 1176 inputs
  b.layers.push_back(Weighted(rng, LayerKind::kFullyConnected, "fc2", 1, 1, 1, false, 1176, 20, 1176, 4, relu));
  return b;
}

}  // namespace

ModelSpec MakeParityModelSpec(uint64_t seed) {
  Rng rng(seed);
  ModelSpec m;
  m.name = "parity-multibranch";
  m.description =
      "Cross-target parity test model: three branches (cough, speech, breath) with weights "
      "from a fixed seed. Not trained: its outputs mean nothing.";
  m.labels = {"class_a", "class_b", "class_c"};
  m.metadata = {{"purpose", "tests"}, {"seed", std::to_string(seed)}};
  m.temperature = 1.5f;
  m.branches = {CoughBranch(rng), SpeechBranch(rng), BreathBranch(rng)};
  for (int b = 0; b < 3; ++b) {
    int32_t mult;
    int8_t shift;
    QuantizeScale(0.6 + 0.3 * b, &mult, &shift);
    m.fusion.multiplier.push_back(mult);
    m.fusion.shift.push_back(shift);
  }
  m.fusion.output_zero_point = -20;
  m.fusion.output_scale = 0.08f;
  Act relu{8, -50, true, 0};
  Act logits{8, 3, false, 0};
  const int fused = 24 + 16 + 20;
  m.head.push_back(Weighted(rng, LayerKind::kFullyConnected, "fc0", 1, 1, 1, false, fused, 16, fused, 8, relu));
  m.head.push_back(Weighted(rng, LayerKind::kFullyConnected, "fc1", 1, 1, 1, false, 16, 3, 16, 8, logits));
  m.head.back().output_scale = 0.1f;
  // Post-ReLU inputs are not centred: a quarter of the generic scale keeps
  // the logits inside int8 instead of saturating.
  for (auto& shift : m.head.back().shift) shift = static_cast<int8_t>(shift - 2);
  m.head.push_back(Simple(LayerKind::kSoftmax, "softmax"));
  return m;
}

// A COVID-cough-shaped single branch (8 kHz, 96 x 32 log-mel) whose layer
// outputs are declared 4-bit: every conv, depthwise, pointwise, pool and
// the hidden dense layer (`mixed` false), or about half of them (`mixed`).
ModelSpec MakeA4ModelSpec(bool mixed, uint64_t seed) {
  Rng rng(seed);
  BranchSpec b = CoughLogMelBranch(8000, 256, 32, 50.0f, 96);
  const Act relu4{4, -8, true, 0}, plain4{4, 0, false, 0};
  const Act relu8{8, -40, true, 0}, plain8{8, 2, false, 0};
  const Act& a = relu4;
  const Act& b8 = mixed ? relu8 : relu4;
  const Act& c8 = mixed ? plain8 : plain4;
  auto pool4 = [](LayerKind kind, const char* name, int k, int stride, bool same, bool four) {
    LayerSpec l = Pool(kind, name, k, stride, same);
    if (four) {
      l.act_bits = 4;
      l.act_min = -8;
      l.act_max = 7;
    }
    return l;
  };
  // Weighted() scales for int8 inputs (spread ~30); a 4-bit input spreads
  // ~4, so its layer's multiplier is 8x larger (shift + 3) to keep the
  // outputs spread instead of all at the zero point.
  bool in4 = false;
  auto add = [&](std::vector<LayerSpec>* to, LayerSpec l) {
    if (in4)
      for (auto& sh : l.shift) sh = static_cast<int8_t>(sh + 3);
    // Pools keep their input's values; weighted layers set the next width.
    if (!l.weights.empty()) in4 = l.act_bits == 4;
    to->push_back(l);
  };
  add(&b.layers, Weighted(rng, LayerKind::kConv2D, "conv0", 3, 3, 2, true, 1, 16, 9, 8, a));
  add(&b.layers, Weighted(rng, LayerKind::kDepthwiseConv2D, "dw1", 3, 3, 1, true, 16, 16, 9, 8, c8));
  add(&b.layers, Weighted(rng, LayerKind::kPointwiseConv2D, "pw1", 1, 1, 1, false, 16, 24, 16, 4, a));
  add(&b.layers, pool4(LayerKind::kMaxPool2D, "pool1", 2, 2, false, true));
  add(&b.layers, Weighted(rng, LayerKind::kDepthwiseConv2D, "dw2", 3, 3, 1, true, 24, 24, 9, 4, b8));
  add(&b.layers, Weighted(rng, LayerKind::kPointwiseConv2D, "pw2", 1, 1, 1, false, 24, 32, 24, 8, c8));
  add(&b.layers, Weighted(rng, LayerKind::kConv2D, "conv3", 3, 3, 2, true, 32, 32, 288, 4, a));
  add(&b.layers, pool4(LayerKind::kAvgPool2D, "avg3", 2, 2, false, !mixed));
  ModelSpec m;
  m.name = mixed ? "a4-mixed-cough" : "a4-cough";
  m.description =
      "Packed int4 activation test model: COVID-cough-shaped, weights from a fixed seed, 4-bit "
      "layer outputs. Not trained: its outputs mean nothing.";
  m.labels = {"negative", "positive"};
  m.metadata = {{"purpose", "tests"}, {"seed", std::to_string(seed)}};
  m.branches = {b};
  add(&m.head, Weighted(rng, LayerKind::kFullyConnected, "fc0", 1, 1, 1, false, 384, 16, 384, 8, a));
  add(&m.head, Weighted(rng, LayerKind::kFullyConnected, "fc1", 1, 1, 1, false, 16, 2, 16, 8, plain8));
  m.head.back().output_scale = 0.1f;
  m.head.push_back(Simple(LayerKind::kSoftmax, "softmax"));
  return m;
}

}  // namespace test
}  // namespace tm2
