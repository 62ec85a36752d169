// StreamPreprocessor at the end of input: Finish's tail equals the batch
// path on the tail's samples, for a model that zero-pads short input and
// for one that tiles it (pad Tile, with the stream's history or, without
// tile_history, refused); real clips cut around the window's edges.
#include <cstdint>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "stream_case.h"
#include "test_helpers.h"

namespace tm2 {
namespace test {

TEST_CASE("the tail at the end of input is the batch path's padded short clip", "[stream]") {
  // The gate on real clips cut at lengths around its edges: one sample,
  // under one frame, under a window (a short cough), a window and a few
  // samples (inside the resampler's look-ahead: the last window is not yet
  // complete), and a hop into the next window; 48 kHz and 8 kHz stereo.
  ShippedModel gate("sound-gate");
  const PreprocessParams p = gate.model.preprocess(0);
  for (const char* clip : {"covid_telegram_cough_48k.wav", "covid_callcenter_cough_8k_stereo.wav"}) {
    const WavData wav = ReadClip(clip);
    const StreamOptions o = OptionsFor(wav, 32);
    PreparedStream geometry(p, o);
    REQUIRE(geometry.status.ok());
    const int64_t win = geometry.stream.window_samples(), hop = geometry.stream.hop_samples();
    const int64_t one_frame = p.frame_length * static_cast<int64_t>(wav.sample_rate) / p.sample_rate;
    for (int64_t cut : {int64_t{1}, one_frame - 1, one_frame + 1, win / 3, win - 1, win, win + 3,
                        win + hop / 2, win + hop, win + hop + 1}) {
      if (cut > static_cast<int64_t>(wav.frames())) continue;
      const PcmView pcm = PcmView::S16(wav.samples.data(), static_cast<size_t>(cut),
                                       wav.sample_rate, wav.channels);
      const StreamCheck r = StreamAndCompare(p, o, pcm, kBlocks, kNumBlocks, static_cast<int>(cut));
      RequireEqualToBatch(r, geometry.stream, wav.sample_rate,
                          std::string(clip) + " cut at " + std::to_string(cut), cut);
      // Shorter than a window: no whole window, the clip is one padded tail.
      if (cut < win) {
        CHECK(r.windows == 0);
        CHECK(r.tails == 1);
        CHECK(r.tail_first == 0);
        CHECK(r.tail_samples == cut);
      }
    }
  }
}

TEST_CASE("a model that tiles short input (pad Tile) gets its tail tiled as the batch path tiles it",
          "[stream]") {
  // The gate's front end with pad Tile, on the same cuts: every tail
  // equals Run (Tile) on its samples, and one shorter than the window is
  // not the zero-padded clip. The stream keeps a window of history for it.
  ShippedModel gate("sound-gate");
  PreprocessParams zero = gate.model.preprocess(0);
  zero.pad = PadMode::kZero;
  PreprocessParams p = zero;
  p.pad = PadMode::kTile;
  for (const char* clip : {"covid_telegram_cough_48k.wav", "covid_callcenter_cough_8k_stereo.wav",
                           "coswara_cough_16k.wav"}) {
    const WavData wav = ReadClip(clip);
    const StreamOptions o = OptionsFor(wav, 32);
    PreparedStream geometry(p, o), plain(zero, o);
    REQUIRE(geometry.status.ok());
    REQUIRE(plain.status.ok());
    // A window of mixed input (floats) and of rows more than zero-padding.
    CHECK(StreamPreprocessor::StateBytes(p, o) >=
          StreamPreprocessor::StateBytes(zero, o) + 4 * geometry.stream.window_samples() * 9 / 10);
    StreamOptions no_history = o;
    no_history.tile_history = false;
    CHECK(StreamPreprocessor::StateBytes(p, no_history) == StreamPreprocessor::StateBytes(zero, o));
    const int64_t win = geometry.stream.window_samples(), hop = geometry.stream.hop_samples();
    const int64_t one_frame = p.frame_length * static_cast<int64_t>(wav.sample_rate) / p.sample_rate;
    int tiled = 0;
    // (Fewer cuts than the zero-padded case: each is a whole stream, and
    // the emulated targets run this too.)
    for (int64_t cut : {int64_t{1}, one_frame + 1, win / 3, win - 1, win + 3, win + hop + 1,
                        win + 2 * hop + 5}) {
      if (cut > static_cast<int64_t>(wav.frames())) continue;
      const PcmView pcm = PcmView::S16(wav.samples.data(), static_cast<size_t>(cut),
                                       wav.sample_rate, wav.channels);
      const StreamCheck r = StreamAndCompare(p, o, pcm, kBlocks, kNumBlocks, static_cast<int>(cut));
      RequireEqualToBatch(r, geometry.stream, wav.sample_rate,
                          std::string(clip) + " (Tile) cut at " + std::to_string(cut), cut);
      if (cut < win) {
        CHECK(r.windows == 0);
        CHECK(r.tails == 1);
        // The batch path (compared above) tiled it: not the padded clip.
        Prepared a(p), b(zero);
        Status sa, sb;
        std::vector<int8_t> qa, qb;
        a.Run(pcm, &sa, &qa);
        b.Run(pcm, &sb, &qb);
        REQUIRE(sa.ok());
        REQUIRE(sb.ok());
        // Tiling differs from padding once the clip starts again inside
        // the window, after the gap (a few samples may be digital silence).
        const int64_t gap = p.tile_gap_ms * static_cast<int64_t>(wav.sample_rate) / 1000;
        INFO(clip << " cut " << cut << " of window " << win << ", gap " << gap);
        if (cut >= win / 3 && cut + gap < win) CHECK(qa != qb);
        ++tiled;
      }
    }
    CHECK(tiled >= 3);
  }
}

TEST_CASE("without the history (tile_history off) a tiling model's short tail is refused, once",
          "[stream]") {
  ShippedModel gate("sound-gate");
  PreprocessParams p = gate.model.preprocess(0);
  p.pad = PadMode::kTile;
  const WavData wav = ReadClip("speech_commands_yes_16k.wav");  // 1 s: shorter than the window
  StreamOptions o = OptionsFor(wav, 32);
  o.tile_history = false;
  PreparedStream ps(p, o);
  REQUIRE(ps.status.ok());
  size_t used = 0;
  REQUIRE(ps.stream.Push(PcmView::S16(wav.samples.data(), wav.frames(), 16000, 1), &used).ok());
  REQUIRE(used == wav.frames());
  const Status s = ps.stream.Finish();
  CHECK(s.code() == StatusCode::kUnsupported);
  CHECK(std::string(s.message()).find("not classifiable") != std::string::npos);
  CHECK(std::string(s.message()).find("tile_history") != std::string::npos);
  CHECK(ps.stream.tail_skipped());
  CHECK_FALSE(ps.stream.window_ready());
  // Once: the next Finish has nothing left.
  CHECK(ps.stream.Finish().ok());
  CHECK_FALSE(ps.stream.window_ready());
  // Whole windows are unaffected: a 5 s clip streams as with the history,
  // and only its short tail is refused.
  const WavData longer = ReadClip("coswara_cough_16k.wav");
  ps.stream.Reset();
  CHECK_FALSE(ps.stream.tail_skipped());
  int64_t windows = 0;
  size_t done = 0;
  while (done < longer.frames()) {
    REQUIRE(ps.stream.Push(PcmView::S16(longer.samples.data() + done, longer.frames() - done, 16000, 1),
                           &used).ok());
    done += used;
    windows += ps.stream.window_ready();
  }
  CHECK(windows > 0);
  Status f;
  while ((f = ps.stream.Finish()).ok() && ps.stream.window_ready()) CHECK_FALSE(ps.stream.tail_ready());
  CHECK((f.ok() || ps.stream.tail_skipped()));
}

}  // namespace test
}  // namespace tm2
