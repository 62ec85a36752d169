// Preprocessor: validates, lays out the workspace, and runs the pipeline
// frame by frame (only the frames the crop keeps are ever computed).
#include <cstring>
#include <new>

#include "preprocess/const_tables.h"
#include "preprocess/pcm_mix.h"
#include "preprocess/pipeline.h"
#include "preprocess/preprocess.h"
#include "preprocess/tile_source.h"

namespace tm2 {

struct Preprocessor::Tables : preprocess_internal::Pipeline {};

namespace {

using preprocess_internal::Pipeline;
using preprocess_internal::WorkspaceCarver;

// Both regions' sizes from one measuring pass of the layout code.
WorkspaceCarver Measure(const PreprocessParams& params) {
  WorkspaceCarver carver(nullptr, 0, nullptr, 0);
  carver.Take<Pipeline>(1);  // Preprocessor::Tables adds no members
  Pipeline measure;
  measure.Carve(params, &carver);
  return carver;
}

}  // namespace

size_t Preprocessor::WorkspaceBytes(const PreprocessParams& params) {
  if (!params.Validate().ok()) return 0;
  return Measure(params).used();
}

size_t Preprocessor::TablesBytes(const PreprocessParams& params) {
  if (!params.Validate().ok()) return 0;
  return Measure(params).tables_used();
}

size_t Preprocessor::ScratchBytes(const PreprocessParams& params) {
  if (!params.Validate().ok()) return 0;
  return Measure(params).scratch_used();
}

void Preprocessor::PartBytes(const PreprocessParams& params, size_t* tables, size_t* scratch) {
  *tables = *scratch = 0;
  if (!params.Validate().ok()) return;
  const WorkspaceCarver need = Measure(params);
  *tables = need.tables_used();
  *scratch = need.scratch_used();
}

size_t Preprocessor::ConstTablesBytes() { return preprocess_internal::kConstTablesBytes; }

Status Preprocessor::Prepare(const PreprocessParams& params, void* workspace,
                             size_t workspace_bytes) {
  const size_t tables = TablesBytes(params);
  if (!workspace || workspace_bytes < tables)
    return Prepare(params, workspace, workspace_bytes, nullptr, 0);
  return Prepare(params, workspace, tables, static_cast<uint8_t*>(workspace) + tables,
                 workspace_bytes - tables);
}

Status Preprocessor::Prepare(const PreprocessParams& params, void* tables, size_t tables_bytes,
                             void* scratch, size_t scratch_bytes) {
  tables_ = nullptr;
  params_ = params;
  TM2_RETURN_IF_ERROR(params.Validate());
  if (!tables) return Status::Error(StatusCode::kInvalidArgument, "preprocess workspace is null");
  const WorkspaceCarver need = Measure(params);
  if (tables_bytes < need.tables_used() || (scratch && scratch_bytes < need.scratch_used()))
    return Status::Error(StatusCode::kArenaTooSmall,
                         "preprocess workspace has %lu + %lu bytes, needs %lu + %lu (tables + "
                         "scratch)",
                         static_cast<unsigned long>(tables_bytes),
                         static_cast<unsigned long>(scratch ? scratch_bytes : 0),
                         static_cast<unsigned long>(need.tables_used()),
                         static_cast<unsigned long>(need.scratch_used()));
  if (!scratch) return Status::Error(StatusCode::kInvalidArgument, "preprocess scratch is null");
  WorkspaceCarver carver(tables, tables_bytes, scratch, scratch_bytes);
  Tables* t = new (carver.Take<Tables>(1)) Tables();
  t->Carve(params, &carver);
  if (carver.overflowed())  // cannot happen when Measure agrees
    return Status::Error(StatusCode::kArenaTooSmall, "preprocess workspace overflow");
  t->FillTables();
  tables_ = t;
  return Status::Ok();
}

int Preprocessor::num_frames() const { return params_.num_frames; }
int Preprocessor::num_features() const { return params_.num_features(); }

Status Preprocessor::Run(const PcmView& pcm, int8_t* quantized, float* features) {
  using namespace preprocess_internal;
  const StatusCode kArg = StatusCode::kInvalidArgument;
  if (!tables_) return Status::Error(StatusCode::kNotReady, "preprocess: Run before a successful Prepare");
  if (!quantized) return Status::Error(kArg, "preprocess: quantized output pointer is null");
  if (!pcm.f32 && !pcm.s16) return Status::Error(kArg, "pcm: sample pointer is null");
  if (pcm.f32 && pcm.s16) return Status::Error(kArg, "pcm: both f32 and s16 samples are set");
  if (pcm.channels == 0) return Status::Error(kArg, "pcm.channels is 0");
  if (pcm.frames == 0) return Status::Error(kArg, "pcm is empty (0 frames)");
  if (pcm.sample_rate < kMinRate || pcm.sample_rate > kMaxRate)
    return Status::Error(kArg, "pcm.sample_rate %u is outside 8000..48000 Hz",
                         static_cast<unsigned>(pcm.sample_rate));
  Pipeline& pipe = *tables_;
  const PreprocessParams& p = pipe.params;
  if (p.input_rate != 0 && pcm.sample_rate != p.input_rate)
    return Status::Error(kArg, "pcm.sample_rate %u: this preprocessor was prepared for %u Hz "
                         "input only (input_rate)", static_cast<unsigned>(pcm.sample_rate),
                         static_cast<unsigned>(p.input_rate));
  const float limit = p.max_seconds * static_cast<float>(pcm.sample_rate);
  if (static_cast<float>(pcm.frames) > limit)
    return Status::Error(kArg, "pcm is too long: %lu frames at %u Hz exceeds max_seconds %g",
                         static_cast<unsigned long>(pcm.frames),
                         static_cast<unsigned>(pcm.sample_rate), static_cast<double>(p.max_seconds));
  if (!AllFinite(pcm)) return Status::Error(kArg, "pcm has non-finite samples (inf or NaN)");

  pipe.resampler.SetInputRate(pcm.sample_rate);
  // Model-rate length: output m exists while its input position m*in/out < n.
  const uint64_t in = pcm.sample_rate, out = p.sample_rate;
  int64_t model_len = static_cast<int64_t>((pcm.frames * out + in - 1) / in);
  int64_t frames = FrameCount(model_len, p.frame_length, p.frame_step);
  MonoSource source = PcmSource(&pcm);
  TiledInput tiled;
  if (p.pad == PadMode::kTile && frames < p.num_frames) {
    // Shorter than the window: read the input tiled to WindowInputFrames
    // instead, which fills the window from its start (no crop to choose).
    tiled.input = source;
    tiled.frames = static_cast<int64_t>(pcm.frames);
    tiled.total = static_cast<int64_t>(p.WindowInputFrames(pcm.sample_rate));
    tiled.period = static_cast<int64_t>(pcm.frames + p.TileGapFrames(pcm.sample_rate));
    source = TiledSource(&tiled);
    model_len = static_cast<int64_t>((static_cast<uint64_t>(tiled.total) * out + in - 1) / in);
    frames = p.num_frames;
  }
  const int64_t keep = frames < p.num_frames ? frames : p.num_frames;
  int64_t start = 0;
  if (frames > keep) {
    if (p.crop == CropPolicy::kCenter) start = (frames - keep) / 2;
    if (p.crop == CropPolicy::kLoudest) start = LoudestStart(pipe, pcm, frames);
  }

  const int nf = p.num_features();
  const int buf = p.frame_length + 1;
  MonoHold hold;  // frames only move forward: the resampler mixes each input sample once
  bool held = false;
  int64_t have = 0;  // model index of frame[0] currently held
  for (int64_t i = 0; i < keep; ++i) {
    const int64_t begin = (start + i) * p.frame_step - 1;
    const int64_t shift = held ? begin - have : 0;
    if (shift > 0 && shift < buf) {
      const int reuse = buf - static_cast<int>(shift);
      std::memmove(pipe.frame, pipe.frame + shift, sizeof(float) * reuse);
      pipe.resampler.Produce(source, begin + reuse, buf - reuse, model_len, pipe.frame + reuse,
                             &hold);
    } else {
      pipe.resampler.Produce(source, begin, buf, model_len, pipe.frame, &hold);
    }
    have = begin;
    held = true;
    float* row = features ? features + i * nf : pipe.row;
    pipe.FrameFeatures(pipe.frame, row);
    for (int k = 0; k < nf; ++k)
      quantized[i * nf + k] = QuantizeFeature(row[k], p.input_scale, p.input_zero_point);
  }
  for (int64_t i = keep; i < p.num_frames; ++i) {
    for (int k = 0; k < nf; ++k) {
      if (features) features[i * nf + k] = pipe.silence[k];
      quantized[i * nf + k] = QuantizeFeature(pipe.silence[k], p.input_scale, p.input_zero_point);
    }
  }
  return Status::Ok();
}

}  // namespace tm2
