// StreamRunner: each window's probabilities and logits equal the engine's
// on the window's samples (Engine::SetInput on the clip), for the shipped
// single-branch models on real clips - the tail Finish runs at the end
// too, a clip shorter than a window included; a multi-branch model is
// refused.
#include "stream/stream_runner.h"

#include <cstring>
#include <string>
#include <vector>

#include "catch2/catch.hpp"
#include "common/loaded_model.h"
#include "common/wav.h"

namespace tm2 {
namespace test {

TEST_CASE("stream runner results equal the engine on each window's samples", "[stream]") {
  struct Run {
    const char* model;
    const char* clip;
    uint16_t hop_frames;  // short clips: short hops, so that several windows fit
    int min_results;
  };
  const Run runs[] = {{"sound-gate", "coswara_counting_16k.wav", 0, 2},
                      // 1.128 s, under the gate's 2.064 s window: the tail alone
                      {"sound-gate", "covid_telegram_cough_48k.wav", 0, 1},
                      {"sound-gate", "covid_callcenter_cough_8k_stereo.wav", 2, 2},
                      {"kws-dscnn", "covid_telegram_cough_48k.wav", 2, 2},
                      {"covid-cough", "coswara_cough_16k.wav", 8, 2}};
  for (const Run& run : runs) {
    const LoadedModel m(std::string(TM2_MODELS_DIR) + "/" + run.model + ".tm2");
    WavData wav;
    std::string error;
    REQUIRE(ReadWavFile(std::string("audio/") + run.clip, &wav, &error));
    StreamOptions o;
    o.input_rate = wav.sample_rate;
    o.channels = wav.channels;
    o.hop_frames = run.hop_frames;
    size_t need = 0;
    REQUIRE(StreamRunner::ArenaBytes(m.model, o, &need).ok());
    std::vector<uint8_t> arena(need + 3);
    StreamRunner runner;
    const Status init = runner.Init(m.model, o, arena.data() + 3, need);  // unaligned on purpose
    INFO(run.model << " on " << run.clip << ": " << init.message());
    REQUIRE(init.ok());
    CHECK(runner.arena_used() <= need);

    size_t batch_need = 0;
    REQUIRE(Engine::ArenaBytes(m.model, &batch_need).ok());
    std::vector<uint8_t> batch_arena(batch_need);
    Engine batch;
    REQUIRE(batch.Init(m.model, batch_arena.data(), batch_arena.size()).ok());

    int results = 0, tails = 0;
    // The window just run against the engine on the same samples.
    auto check = [&]() {
      const StreamWindow& w = runner.window();
      REQUIRE(batch
                  .SetInput(0, PcmView::S16(wav.samples.data() + w.first_sample * wav.channels,
                                            static_cast<size_t>(w.num_samples), wav.sample_rate,
                                            wav.channels))
                  .ok());
      REQUIRE(batch.Invoke().ok());
      INFO("window " << w.index << (runner.tail_ready() ? " (tail)" : ""));
      CHECK(std::memcmp(runner.probabilities(), batch.probabilities(),
                        sizeof(float) * batch.num_classes()) == 0);
      int top = 0;
      for (int i = 1; i < batch.num_classes(); ++i)
        if (batch.probabilities()[i] > batch.probabilities()[top]) top = i;
      CHECK(runner.top_class() == top);
      ++results;
    };
    size_t done = 0;
    const size_t block = 1000;
    while (done < wav.frames()) {
      const size_t n = wav.frames() - done < block ? wav.frames() - done : block;
      size_t in_block = 0;
      while (in_block < n) {
        size_t used = 0;
        REQUIRE(runner
                    .Push(PcmView::S16(wav.samples.data() + (done + in_block) * wav.channels,
                                       n - in_block, wav.sample_rate, wav.channels),
                          &used)
                    .ok());
        in_block += used;
        CHECK_FALSE(runner.tail_ready());
        if (runner.result_ready()) check();
      }
      done += n;
    }
    for (;;) {
      REQUIRE(runner.Finish().ok());
      if (!runner.result_ready()) break;
      check();
      if (runner.tail_ready()) {
        ++tails;
        CHECK(runner.window().first_sample + runner.window().num_samples ==
              static_cast<int64_t>(wav.frames()));
      }
    }
    CHECK(tails == 1);  // none of these clips ends where a window starts
    CHECK(results >= run.min_results);
  }
}

TEST_CASE("stream runner refuses what it cannot stream", "[stream]") {
  const LoadedModel parity(std::string(TM2_FIXTURES_DIR) + "/models/parity_multibranch.tm2");
  StreamOptions o;
  size_t need = 0;
  const Status s = StreamRunner::ArenaBytes(parity.model, o, &need);
  CHECK(s.code() == StatusCode::kInvalidArgument);
  CHECK(std::string(s.message()).find("3 branches") != std::string::npos);

  const LoadedModel gate(std::string(TM2_MODELS_DIR) + "/sound-gate.tm2");
  o.input_rate = 44100;
  o.hop_frames = 7;  // 16 ms frames need multiples of 5 at 44.1 kHz
  const Status hop = StreamRunner::ArenaBytes(gate.model, o, &need);
  CHECK(hop.code() == StatusCode::kInvalidArgument);
  CHECK(std::string(hop.message()).find("multiple of 5 frames") != std::string::npos);
  o.hop_frames = 10;
  REQUIRE(StreamRunner::ArenaBytes(gate.model, o, &need).ok());
  std::vector<uint8_t> arena(need - 1);
  StreamRunner runner;
  CHECK(runner.Init(gate.model, o, arena.data(), arena.size()).code() ==
        StatusCode::kArenaTooSmall);
  size_t used = 0;
  int16_t x[16] = {0};
  CHECK(runner.Push(PcmView::S16(x, 16, 44100, 1), &used).code() == StatusCode::kNotReady);
}

}  // namespace test
}  // namespace tm2
