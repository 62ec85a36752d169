// StreamPreprocessor: every window equals the batch path on exactly the
// window's input samples, byte for byte, on real clips at every fixture
// rate, with the shipped models' preprocessing, pushed in blocks of 1 to
// 4096 frames; plus its errors, Reset, and a long stream. The tail at the
// end of input (zero-padded and tiled) is in stream_tail_test.cc.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "stream_case.h"
#include "test_helpers.h"

namespace tm2 {
namespace test {
namespace {

const char* const kClips[] = {
    "coswara_cough_16k.wav",       "coswara_counting_16k.wav",
    "coswara_breathing_16k.wav",   "covid_telegram_cough_48k.wav",
    "speech_commands_yes_16k.wav", "covid_callcenter_cough_8k_stereo.wav",
};

}  // namespace

TEST_CASE("stream windows equal the batch path on the window's samples, shipped models",
          "[stream]") {
  for (const char* name : {"sound-gate", "kws-dscnn", "covid-cough"}) {
    ShippedModel shipped(name);
    const PreprocessParams p = shipped.model.preprocess(0);
    for (int c = 0; c < 6; ++c) {
      const WavData wav = ReadClip(kClips[c]);
      const PcmView pcm =
          PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels);
      const StreamOptions o = OptionsFor(wav, 0);  // default hop: about half a window
      PreparedStream geometry(p, o);
      REQUIRE(geometry.status.ok());
      const StreamCheck r = StreamAndCompare(p, o, pcm, kBlocks, kNumBlocks, c);
      RequireEqualToBatch(r, geometry.stream, wav.sample_rate,
                          std::string(name) + " on " + kClips[c],
                          static_cast<int64_t>(wav.frames()));
    }
  }
}

TEST_CASE("every hop, one frame apart, and float input", "[stream]") {
  // Hop of one hop unit (a frame at these rates): every frame ends one
  // window and starts another, so edge frames of many windows overlap.
  PreprocessParams p = LogMel40();
  p.pre_emphasis = 0.97f;
  p.num_frames = 20;
  p.dct_coefficients = 13;
  p.window = WindowType::kHamming;
  p.crop = CropPolicy::kLoudest;  // must not matter: a window's clip has num_frames frames
  for (const char* clip : {"covid_telegram_cough_48k.wav", "covid_callcenter_cough_8k_stereo.wav",
                           "speech_commands_yes_16k.wav"}) {
    const WavData wav = ReadClip(clip);
    std::vector<float> as_float(wav.samples.size());
    for (size_t i = 0; i < as_float.size(); ++i) as_float[i] = wav.samples[i] / 32768.0f;
    const StreamOptions o = OptionsFor(wav, 1);
    PreparedStream geometry(p, o);
    REQUIRE(geometry.status.ok());
    CHECK(geometry.stream.hop_unit_frames() == 1);
    const PcmView s16 =
        PcmView::S16(wav.samples.data(), wav.frames(), wav.sample_rate, wav.channels);
    const PcmView f32 = PcmView::F32(as_float.data(), wav.frames(), wav.sample_rate, wav.channels);
    const StreamCheck a = StreamAndCompare(p, o, s16, kBlocks, kNumBlocks, 0);
    RequireEqualToBatch(a, geometry.stream, wav.sample_rate, std::string("int16 ") + clip,
                        static_cast<int64_t>(wav.frames()));
    const StreamCheck b = StreamAndCompare(p, o, f32, kBlocks, kNumBlocks, 3);
    RequireEqualToBatch(b, geometry.stream, wav.sample_rate, std::string("float ") + clip,
                        static_cast<int64_t>(wav.frames()));
    CHECK(a.windows > 50);
  }
}

TEST_CASE("rates whose hops need several frames: 44.1, 22.05 and 11.025 kHz", "[stream]") {
  // Real audio at other rates: the 48 kHz clip's samples taken as 44.1 kHz
  // (and every 2nd / 4th of them as 22.05 / 11.025 kHz). 11.025 kHz ->
  // 16 kHz has 640 phases, beyond the cache: the per-sample weight path.
  const WavData wav = ReadClip("covid_telegram_cough_48k.wav");
  ShippedModel gate("sound-gate");
  const PreprocessParams p = gate.model.preprocess(0);
  struct Rate {
    uint32_t rate;
    int stride;
    int unit;  // 256-sample hops at 16 kHz: 16 ms = 705.6 samples at 44.1 kHz
  };
  for (const Rate& r : {Rate{44100, 1, 5}, Rate{22050, 2, 5}, Rate{11025, 4, 5}}) {
    std::vector<int16_t> x;
    for (size_t i = 0; i < wav.samples.size(); i += r.stride) x.push_back(wav.samples[i]);
    StreamOptions o;
    o.input_rate = r.rate;
    PreparedStream geometry(p, o);
    REQUIRE(geometry.status.ok());
    CHECK(geometry.stream.hop_unit_frames() == r.unit);
    CHECK(geometry.stream.hop_frames() == 60);  // largest multiple of 5 <= 128 / 2
    // The 1.13 s clip, repeated to 5 s, holds several 2 s windows.
    std::vector<int16_t> longer(static_cast<size_t>(5 * r.rate));
    for (size_t i = 0; i < longer.size(); ++i) longer[i] = x[i % x.size()];
    o.hop_frames = 15;
    const StreamCheck c = StreamAndCompare(
        p, o, PcmView::S16(longer.data(), longer.size(), r.rate, 1), kBlocks, kNumBlocks, 1);
    PreparedStream hop15(p, o);
    REQUIRE(hop15.status.ok());
    RequireEqualToBatch(c, hop15.stream, r.rate, "sound-gate at " + std::to_string(r.rate) + " Hz",
                        static_cast<int64_t>(longer.size()));
    CHECK(c.windows >= 10);
  }
}

TEST_CASE("short steps (several edge frames) and steps longer than frames (gaps)", "[stream]") {
  const WavData wav = ReadClip("covid_telegram_cough_48k.wav");
  const PcmView pcm = PcmView::S16(wav.samples.data(), wav.frames(), 48000, 1);
  PreprocessParams p = LogMel40();
  p.pre_emphasis = 0.5f;
  p.fft_size = 128;
  p.mel_bins = 20;
  struct Geometry {
    uint16_t frame_length, frame_step, num_frames, hop;
    int edge_frames;  // 48 kHz -> 16 kHz: the kernel reaches 16 model samples in
  };
  for (const Geometry& g : {Geometry{64, 8, 12, 5, 3 + 2}, Geometry{100, 300, 6, 2, 1 + 1},
                            Geometry{128, 1, 40, 7, 17 + 16}}) {
    p.frame_length = g.frame_length;
    p.frame_step = g.frame_step;
    p.num_frames = g.num_frames;
    StreamOptions o;
    o.input_rate = 48000;
    o.hop_frames = g.hop;
    PreparedStream geometry(p, o);
    REQUIRE(geometry.status.ok());
    CHECK(geometry.stream.edge_frames() == g.edge_frames);
    const StreamCheck r = StreamAndCompare(p, o, pcm, kBlocks, kNumBlocks, 2);
    RequireEqualToBatch(r, geometry.stream, 48000,
                        "frame_length " + std::to_string(g.frame_length) + ", step " +
                            std::to_string(g.frame_step),
                        static_cast<int64_t>(wav.frames()));
    CHECK(r.windows >= 5);
  }
}

TEST_CASE("edge frames and geometry of the shipped models", "[stream]") {
  ShippedModel gate("sound-gate"), kws("kws-dscnn"), cough("covid-cough");
  StreamOptions o;
  o.input_rate = 16000;
  PreparedStream g16(gate.model.preprocess(0), o);
  REQUIRE(g16.status.ok());
  // 127 * 256 + 512 samples; no resampling and no pre-emphasis, but the
  // clip's sample -1 is 0, so frame 0 is still an edge frame.
  CHECK(g16.stream.window_samples() == 33024);
  CHECK(g16.stream.hop_frames() == 64);
  CHECK(g16.stream.hop_samples() == 16384);
  CHECK(g16.stream.edge_frames() == 1);
  o.input_rate = 48000;
  o.channels = 2;
  PreparedStream g48(gate.model.preprocess(0), o);
  REQUIRE(g48.status.ok());
  CHECK(g48.stream.window_samples() == 3 * 33024);
  CHECK(g48.stream.edge_frames() == 2);  // the kernel runs off both ends
  o.input_rate = 16000;
  o.channels = 1;
  PreparedStream k16(kws.model.preprocess(0), o);
  REQUIRE(k16.status.ok());
  CHECK(k16.stream.window_samples() == 16000);       // 48 * 320 + 640: one second
  PreparedStream c16(cough.model.preprocess(0), o);  // 16 kHz -> 8 kHz
  REQUIRE(c16.status.ok());
  CHECK(c16.stream.window_samples() == 2 * (95 * 128 + 256));
  CHECK(c16.stream.edge_frames() == 2);
  std::printf(
      "stream workspace bytes at 16 kHz mono input: sound-gate %zu, kws-dscnn %zu, "
      "covid-cough %zu; at 48 kHz stereo: sound-gate %zu\n",
      g16.ws.size(), k16.ws.size(), c16.ws.size(), g48.ws.size());
  // The gate tiles short clips (pad Tile, models/REPORT.md (b10)): a
  // window of history and of rows more than zero-padding (tile_history),
  // or nothing more without it.
  const PreprocessParams tiled = gate.model.preprocess(0);
  CHECK(tiled.pad == PadMode::kTile);
  PreprocessParams zero = tiled;
  zero.pad = PadMode::kZero;
  StreamOptions t16;
  StreamOptions t48 = t16;
  t48.input_rate = 48000;
  t48.channels = 2;
  StreamOptions bare = t16;
  bare.tile_history = false;
  CHECK(StreamPreprocessor::WorkspaceBytes(tiled, t16) == g16.ws.size());
  CHECK(StreamPreprocessor::WorkspaceBytes(tiled, bare) == StreamPreprocessor::WorkspaceBytes(zero, t16));
  CHECK(StreamPreprocessor::WorkspaceBytes(tiled, t16) > StreamPreprocessor::WorkspaceBytes(zero, t16));
  std::printf("with pad Tile: sound-gate %zu at 16 kHz mono, %zu at 48 kHz stereo (%zu without "
              "tile_history)\n",
              StreamPreprocessor::WorkspaceBytes(tiled, t16),
              StreamPreprocessor::WorkspaceBytes(tiled, t48),
              StreamPreprocessor::WorkspaceBytes(tiled, bare));
}

TEST_CASE("stream errors say what is wrong", "[stream]") {
  PreprocessParams p = LogMel40();
  StreamOptions o;
  o.input_rate = 44100;
  o.hop_frames = 3;  // 10 ms hops are 441 samples at 44.1 kHz, 3 frames 1323: fine
  PreparedStream ok(p, o);
  REQUIRE(ok.status.ok());

  SECTION("a hop that is not a whole number of input samples") {
    o.input_rate = 22050;  // 10 ms = 220.5 samples
    o.hop_frames = 3;
    CHECK(StreamPreprocessor::WorkspaceBytes(p, o) == 0);
    PreparedStream bad(p, o);
    CHECK(bad.status.code() == StatusCode::kInvalidArgument);
    CHECK(std::string(bad.status.message()).find("use a multiple of 2 frames") !=
          std::string::npos);
  }
  SECTION("rate and channels out of range, workspace too small") {
    o.input_rate = 7999;
    CHECK(PreparedStream(p, o).status.code() == StatusCode::kInvalidArgument);
    o.input_rate = 16000;
    o.channels = 0;
    CHECK(PreparedStream(p, o).status.code() == StatusCode::kInvalidArgument);
    o.channels = 1;
    std::vector<uint8_t> ws(StreamPreprocessor::WorkspaceBytes(p, o) - 1);
    StreamPreprocessor s;
    CHECK(s.Prepare(p, o, ws.data(), ws.size()).code() == StatusCode::kArenaTooSmall);
    p.frame_step = 0;
    CHECK(PreparedStream(p, o).status.code() == StatusCode::kBadModel);
  }
  SECTION("blocks that do not match the stream, and calls out of order") {
    StreamPreprocessor fresh;
    size_t used = 99;
    int16_t x[64] = {0};
    CHECK(fresh.Push(PcmView::S16(x, 64, 44100, 1), &used).code() == StatusCode::kNotReady);
    const Status rate = ok.stream.Push(PcmView::S16(x, 64, 48000, 1), &used);
    CHECK(rate.code() == StatusCode::kInvalidArgument);
    CHECK(std::string(rate.message()).find("prepared for 44100 Hz x 1 channels") !=
          std::string::npos);
    CHECK(used == 0);
    CHECK(ok.stream.Push(PcmView::S16(x, 32, 44100, 2), &used).code() ==
          StatusCode::kInvalidArgument);
    CHECK(ok.stream.Push(PcmView::S16(nullptr, 64, 44100, 1), &used).code() ==
          StatusCode::kInvalidArgument);
    CHECK(ok.stream.Push(PcmView::S16(x, 64, 44100, 1), nullptr).code() ==
          StatusCode::kInvalidArgument);
    int8_t q[4000];
    CHECK(ok.stream.ReadWindow(q, nullptr, nullptr).code() == StatusCode::kNotReady);
  }
  SECTION("non-finite samples are refused; the stream goes on after them") {
    const WavData wav = ReadClip("speech_commands_yes_16k.wav");
    std::vector<float> x(wav.samples.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = wav.samples[i] / 32768.0f;
    o.input_rate = 16000;
    o.hop_frames = 10;
    p.num_frames = 30;
    PreparedStream s(p, o);
    REQUIRE(s.status.ok());
    const float good = x[5000];
    x[5000] = 0.0f / 0.0f;
    size_t done = 0, used = 0;
    Status st;
    while ((st = s.stream.Push(PcmView::F32(x.data() + done, x.size() - done, 16000, 1), &used))
               .ok()) {
      done += used;
      REQUIRE(done < 5000);  // the NaN must stop it
    }
    CHECK(st.code() == StatusCode::kInvalidArgument);
    CHECK(std::string(st.message()).find("non-finite") != std::string::npos);
    done += used;
    CHECK(done <= 5000);
    // The caller repairs the sample and pushes the rest: the windows are
    // those of the repaired clip.
    x[5000] = good;
    std::vector<int8_t> q(30 * 40), batch_q(q.size());
    std::vector<uint8_t> bws(Preprocessor::WorkspaceBytes(p));
    Preprocessor batch;
    REQUIRE(batch.Prepare(p, bws.data(), bws.size()).ok());
    int windows = 0;
    while (done < x.size()) {
      REQUIRE(s.stream.Push(PcmView::F32(x.data() + done, x.size() - done, 16000, 1), &used).ok());
      done += used;
      StreamWindow where;
      if (!s.stream.window_ready()) continue;
      REQUIRE(s.stream.ReadWindow(q.data(), nullptr, &where).ok());
      REQUIRE(batch
                  .Run(PcmView::F32(x.data() + where.first_sample,
                                    static_cast<size_t>(where.num_samples), 16000, 1),
                       batch_q.data(), nullptr)
                  .ok());
      CHECK(q == batch_q);
      ++windows;
    }
    CHECK(windows == 7);  // (16000 - 5040) / 1600 + 1: 0.315 s windows, 0.1 s hops
  }
}

TEST_CASE("Reset starts the stream again at sample 0", "[stream]") {
  const WavData wav = ReadClip("covid_telegram_cough_48k.wav");
  PreprocessParams p = LogMel40();
  p.pre_emphasis = 0.97f;
  p.num_frames = 30;
  StreamOptions o;
  o.input_rate = 48000;
  o.hop_frames = 10;
  PreparedStream s(p, o);
  REQUIRE(s.status.ok());
  const size_t n = static_cast<size_t>(p.num_frames) * p.num_features();
  std::vector<int8_t> first(n), again(n);
  auto first_window = [&](std::vector<int8_t>* q, size_t from) {
    size_t used = 0;
    REQUIRE(s.stream.Push(PcmView::S16(wav.samples.data() + from, 40000, 48000, 1), &used).ok());
    REQUIRE(s.stream.window_ready());
    StreamWindow where;
    REQUIRE(s.stream.ReadWindow(q->data(), nullptr, &where).ok());
    CHECK(where.index == 0);
    CHECK(where.first_sample == 0);
  };
  first_window(&first, 0);
  s.stream.Reset();
  CHECK_FALSE(s.stream.window_ready());
  first_window(&again, 0);
  CHECK(first == again);
  s.stream.Reset();
  first_window(&again, 9000);  // other samples: another window
  CHECK(first != again);
}

TEST_CASE("a long stream never fails and stays equal to the batch path", "[stream]") {
  // Ten minutes of 8 kHz stereo (the call-centre clip looped) into the KWS
  // front end at 16 kHz, in 4096-frame blocks: input positions pass 2^22,
  // and the last window still matches its batch clip.
  const WavData wav = ReadClip("covid_callcenter_cough_8k_stereo.wav");
  ShippedModel kws("kws-dscnn");
  const PreprocessParams p = kws.model.preprocess(0);
  const size_t frames = 600 * 8000;
  std::vector<int16_t> x(frames * 2);
  for (size_t i = 0; i < x.size(); ++i) x[i] = wav.samples[i % wav.samples.size()];
  StreamOptions o;
  o.hop_frames = 25;  // 0.5 s
  const size_t blocks[] = {4096};
  const StreamCheck r =
      StreamAndCompare(p, o, PcmView::S16(x.data(), frames, 8000, 2), blocks, 1, 0);
  o.input_rate = 8000;
  o.channels = 2;
  PreparedStream geometry(p, o);
  REQUIRE(geometry.status.ok());
  RequireEqualToBatch(r, geometry.stream, 8000, "ten minutes", static_cast<int64_t>(frames));
  // (4,800,000 - 8016) / 4000 + 1: 1 s clips (8000 samples) every 0.5 s,
  // each complete 16 samples after its clip (the kernel's look-ahead).
  CHECK(r.windows == 1198);
}

TEST_CASE("an int8-only stream gives the windows of a float-keeping one in a quarter of the ring",
          "[stream]") {
  // The firmware keeps only the int8 model input; the parity checks keep
  // the floats too. Both must give the same int8 windows, to the byte.
  ShippedModel kws("kws-dscnn");
  const PreprocessParams p = kws.model.preprocess(0);
  const WavData wav = ReadClip("speech_commands_yes_16k.wav");
  const StreamOptions o = OptionsFor(wav, 25);
  StreamOptions kept = o;
  kept.float_features = true;
  PreparedStream small(p, o), full(p, kept);
  REQUIRE(small.status.ok());
  REQUIRE(full.status.ok());
  // 49 x 10 features, two windows of one edge frame each: float rings are
  // 4 bytes a feature, int8 ones 1 (alignment aside).
  CHECK(full.ws.size() - small.ws.size() >= 4 * (49 * 10 + 2 * 10));
  const size_t size = 49 * 10;
  std::vector<int8_t> a(size), b(size);
  std::vector<float> f(size);
  int windows = 0;
  size_t done = 0;
  while (done < wav.frames()) {
    const size_t n = std::min<size_t>(777, wav.frames() - done);
    size_t used_a = 0, used_b = 0;
    REQUIRE(small.stream.Push(PcmView::S16(wav.samples.data() + done, n, wav.sample_rate, 1), &used_a).ok());
    REQUIRE(full.stream.Push(PcmView::S16(wav.samples.data() + done, n, wav.sample_rate, 1), &used_b).ok());
    REQUIRE(used_a == used_b);
    done += used_a;
    REQUIRE(small.stream.window_ready() == full.stream.window_ready());
    if (!small.stream.window_ready()) continue;
    CHECK(small.stream.ReadWindow(a.data(), f.data(), nullptr).code() == StatusCode::kInvalidArgument);
    REQUIRE(small.stream.ReadWindow(a.data(), nullptr, nullptr).ok());
    REQUIRE(full.stream.ReadWindow(b.data(), f.data(), nullptr).ok());
    CHECK(a == b);
    ++windows;
  }
  CHECK(windows == 1);  // a 1 s clip holds one 0.98 s window at 16 kHz
}

}  // namespace test
}  // namespace tm2
