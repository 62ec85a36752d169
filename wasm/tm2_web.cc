// Embind layer: the core's LoadPack + PackRunner as one JS class, Tm2Engine.
// A plain .tm2 is a pack of one model; a pack's models are all planned at
// load (PackMode::kResident), so select() only changes which one runs.
//
// Every method that can fail returns an object {ok, error, ...} (run(), the
// hot path, returns 0 or 1 and keeps the message for lastError()): the core's
// Status message, never a silent failure (the JS wrapper in
// web/engine.js turns ok=false into a thrown Error). The model bytes are
// copied into the WASM heap (16-byte aligned) and kept alive for as long as
// the engine points into them; the arena is planned once at load.
//
//   const e = new Module.Tm2Engine();
//   e.load(bytes /* Uint8Array */, false /* reference kernels */);
//   e.models();                                 // {ok, names: [...]} (a pack's models)
//   e.select('covid-cough');                    // the model the calls below use
//   e.info();                                   // labels, branches, arena
//   e.setInput(0, float32Pcm, 44100, 1);        // or an Int16Array
//   if (e.run() !== 0) throw new Error(e.lastError());
//   e.probabilitiesView();                      // Float32Array on the heap (web/engine.js copies)
//   e.features(0);                              // {frames, bins, values}
#include <emscripten/bind.h>
#include <emscripten/emscripten.h>
#include <emscripten/val.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/pack_runner.h"
#include "format/model.h"
#include "format/pack.h"
#include "kernels/select.h"

namespace tm2 {
namespace {

using emscripten::val;

val Fail(const std::string& message) {
  val r = val::object();
  r.set("ok", false);
  r.set("error", message);
  return r;
}

val Ok() {
  val r = val::object();
  r.set("ok", true);
  return r;
}

// A JS typed array holding a copy of `n` values at `data`.
template <typename T>
val CopyOut(const T* data, size_t n) {
  return val(emscripten::typed_memory_view(n, data)).call<val>("slice");
}

// Heap memory freed with free(); aligned_alloc needs a size multiple of the
// alignment.
struct HeapBytes {
  uint8_t* data = nullptr;
  size_t size = 0;
  ~HeapBytes() { std::free(data); }
  bool Resize(size_t n, size_t align) {
    std::free(data);
    size = n;
    data = static_cast<uint8_t*>(std::aligned_alloc(align, (n + align - 1) / align * align));
    return data != nullptr;
  }
};

class Tm2Engine {
 public:
  // Copies `bytes` (a Uint8Array or ArrayBuffer view) into the heap, verifies
  // the model or pack, plans every model and selects the first.
  // `reference` runs the scalar kernels.
  val load(val bytes, bool reference) {
    ready_ = false;
    const size_t n = bytes["byteLength"].as<size_t>();
    if (n == 0) return Fail("model file is empty");
    if (!model_bytes_.Resize(n, 16)) return Fail("out of memory for the model file");
    val(emscripten::typed_memory_view(n, model_bytes_.data))
        .call<void>("set", val::global("Uint8Array").new_(bytes["buffer"], bytes["byteOffset"], n));
    Status s = LoadPack(model_bytes_.data, n, &pack_);
    if (!s.ok()) return Fail(s.message());
    options_ = EngineOptions();
    options_.kernels = reference ? &ReferenceKernels() : &SelectKernels();
    options_.keep_float_features = true;  // the page draws them
    // Sized once: Init follows the plan without measuring again.
    s = PackRunner::ArenaBytes(pack_, &plan_, options_, PackMode::kResident);
    if (!s.ok()) return Fail(s.message());
    if (!arena_.Resize(plan_.bytes, 16)) return Fail("out of memory for the arena");
    s = runner_.Init(plan_, arena_.data, arena_.size);
    if (!s.ok()) return Fail(s.message());
    ready_ = true;
    Selected();
    return Ok();
  }

  // The models in the loaded file (one for a plain .tm2).
  val models() const {
    if (!ready_) return Fail("no model loaded");
    val r = Ok();
    val names = val::array();
    for (int i = 0; i < pack_.num_models(); ++i) names.call<void>("push", std::string(pack_.model(i).name()));
    r.set("names", names);
    r.set("pack", std::string(pack_.name()));
    r.set("arenaBytes", arena_.size);
    return r;
  }

  // Makes the model called `name` the one every other call uses; the
  // others keep their plans and last inputs (resident).
  val select(std::string name) {
    if (!ready_) return Fail("no model loaded");
    const double t0 = emscripten_get_now();
    const Status s = runner_.Select(name.c_str());
    const double ms = emscripten_get_now() - t0;
    if (!s.ok()) {
      ready_ = runner_.current() >= 0;
      return Fail(s.message());
    }
    Selected();
    val r = Ok();
    r.set("ms", ms);
    return r;
  }

  // Labels, branches (name, modality, prompt, rates, durations, feature
  // shape), arena bytes, kernels and metadata of the loaded model.
  val info() const {
    if (!ready_) return Fail("no model loaded");
    val r = Ok();
    r.set("name", std::string(model().name()));
    r.set("description", std::string(model().description()));
    val labels = val::array();
    for (int i = 0; i < model().num_labels(); ++i) labels.call<void>("push", std::string(model().label(i)));
    r.set("labels", labels);
    val branches = val::array();
    for (int b = 0; b < model().num_branches(); ++b) {
      const PreprocessParams p = model().preprocess(b);
      val o = val::object();
      o.set("name", std::string(model().branch_name(b)));
      o.set("modality", std::string(model().branch_modality(b)));
      o.set("prompt", std::string(model().branch_prompt(b)));
      o.set("sampleRate", p.sample_rate);
      o.set("minSeconds", p.min_seconds);
      o.set("maxSeconds", p.max_seconds);
      o.set("frames", p.num_frames);
      o.set("bins", p.num_features());
      o.set("features", std::string(p.dct_coefficients ? "mfcc" : "log-mel"));
      branches.call<void>("push", o);
    }
    r.set("branches", branches);
    val metadata = val::object();
    for (int i = 0; i < model().num_metadata(); ++i)
      metadata.set(std::string(model().metadata_key(i)), std::string(model().metadata_value(i)));
    r.set("metadata", metadata);
    r.set("temperature", model().temperature());
    r.set("arenaBytes", arena_.size);  // every model of the file, planned at once
    r.set("modelBytes", model_bytes_.size);
    r.set("kernels", std::string(engine().kernels_name()));
    return r;
  }

  // Preprocesses one recording into `branch`: interleaved PCM, a
  // Float32Array in [-1, 1] or an Int16Array, at any rate the core accepts
  // (8-48 kHz); the core mixes down and resamples.
  val setInput(int branch, val pcm, uint32_t sample_rate, int channels) {
    if (!ready_) return Fail("no model loaded");
    if (branch < 0 || branch >= engine().num_branches())
      return Fail("branch " + std::to_string(branch) + " out of range");
    if (channels < 1 || channels > 8) return Fail("channels must be 1..8");
    const size_t n = pcm["length"].as<size_t>();
    const size_t frames = n / static_cast<size_t>(channels);
    const bool is_s16 = pcm.instanceof(val::global("Int16Array"));
    PcmView view;
    if (is_s16) {
      s16_.resize(n);
      val(emscripten::typed_memory_view(n, s16_.data())).call<void>("set", pcm);
      view = PcmView::S16(s16_.data(), frames, sample_rate, static_cast<uint16_t>(channels));
    } else if (pcm.instanceof(val::global("Float32Array"))) {
      f32_.resize(n);
      val(emscripten::typed_memory_view(n, f32_.data())).call<void>("set", pcm);
      view = PcmView::F32(f32_.data(), frames, sample_rate, static_cast<uint16_t>(channels));
    } else {
      return Fail("PCM must be a Float32Array or an Int16Array");
    }
    const double t0 = emscripten_get_now();
    const Status s = engine().SetInput(branch, view);
    const double ms = emscripten_get_now() - t0;
    if (!s.ok()) return Fail(s.message());
    preprocess_ms_[branch] = ms;
    val r = Ok();
    r.set("ms", ms);
    return r;
  }

  // Runs every branch, the fusion and the head: the hot path, no JS object
  // and no copy. 0 on success, else 1 with lastError(); the results stay
  // in the arena, where probabilitiesView() and logitsView() look.
  int run() {
    if (!ready_) return Failed("no model loaded");
    const double t0 = emscripten_get_now();
    const Status s = engine().Invoke();
    inference_ms_ = emscripten_get_now() - t0;
    if (!s.ok()) return Failed(s.message());
    return 0;
  }
  std::string lastError() const { return last_error_; }
  double inferenceMs() const { return inference_ms_; }
  double preprocessMs(int branch) const {
    return branch >= 0 && branch < static_cast<int>(preprocess_ms_.size()) ? preprocess_ms_[branch] : 0;
  }
  double logitScale() const { return ready_ ? engine().logit_scale() : 0; }
  int logitZeroPoint() const { return ready_ ? engine().logit_zero_point() : 0; }

  // Views (not copies) of the last run's outputs in the WASM heap, fixed
  // from load on. A heap growth detaches them (length 0): ask again then.
  val probabilitiesView() const {
    if (!ready_) return val::null();
    return val(emscripten::typed_memory_view(static_cast<size_t>(engine().num_classes()), engine().probabilities()));
  }
  val logitsView() const {
    if (!ready_) return val::null();
    return val(emscripten::typed_memory_view(static_cast<size_t>(engine().num_classes()), engine().logits()));
  }

  // The branch's features as last computed: float values before
  // quantization (for a spectrogram) and the int8 model input.
  val features(int branch) const {
    if (!ready_) return Fail("no model loaded");
    if (branch < 0 || branch >= engine().num_branches())
      return Fail("branch " + std::to_string(branch) + " out of range");
    const TensorShape shape = engine().input_shape(branch);
    const size_t n = shape.size();
    const float* f = engine().float_features(branch);
    if (f == nullptr) return Fail("branch " + std::to_string(branch) + " has no features yet");
    val r = Ok();
    r.set("frames", shape.h);
    r.set("bins", shape.w);
    r.set("values", CopyOut(f, n));
    r.set("quantized", CopyOut(engine().features(branch), n));
    return r;
  }

 private:
  HeapBytes model_bytes_;
  HeapBytes arena_;
  Pack pack_;
  PackPlan plan_;  // points at pack_
  PackRunner runner_;
  EngineOptions options_;
  std::vector<float> f32_;
  std::vector<int16_t> s16_;
  std::vector<double> preprocess_ms_;
  double inference_ms_ = 0;
  std::string last_error_;
  bool ready_ = false;

  Engine& engine() { return runner_.engine(); }
  const Engine& engine() const { return runner_.engine(); }
  const Model& model() const { return runner_.model(); }
  void Selected() {
    preprocess_ms_.assign(engine().num_branches(), 0.0);
    inference_ms_ = 0;
  }

  int Failed(const std::string& message) {
    last_error_ = message;
    return 1;
  }
};

}  // namespace
}  // namespace tm2

EMSCRIPTEN_BINDINGS(tinym2) {
  // Before any load (kernels/select.h); web/engine.js asks the browser.
  emscripten::function("setRelaxedDotNative", &tm2::SetRelaxedDotNative);
  emscripten::class_<tm2::Tm2Engine>("Tm2Engine")
      .constructor<>()
      .function("load", &tm2::Tm2Engine::load)
      .function("models", &tm2::Tm2Engine::models)
      .function("select", &tm2::Tm2Engine::select)
      .function("info", &tm2::Tm2Engine::info)
      .function("setInput", &tm2::Tm2Engine::setInput)
      .function("run", &tm2::Tm2Engine::run)
      .function("lastError", &tm2::Tm2Engine::lastError)
      .function("inferenceMs", &tm2::Tm2Engine::inferenceMs)
      .function("preprocessMs", &tm2::Tm2Engine::preprocessMs)
      .function("logitScale", &tm2::Tm2Engine::logitScale)
      .function("logitZeroPoint", &tm2::Tm2Engine::logitZeroPoint)
      .function("probabilitiesView", &tm2::Tm2Engine::probabilitiesView)
      .function("logitsView", &tm2::Tm2Engine::logitsView)
      .function("features", &tm2::Tm2Engine::features);
}
