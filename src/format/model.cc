// Model accessors: thin reads of the verified FlatBuffers payload. LoadModel
// has already checked every vector and string, so these only guard against
// an unloaded Model or an index out of range.
#include "format/model.h"

#include "format/tm2_generated.h"

namespace tm2 {
namespace {

const char* StringOr(const flatbuffers::String* s, const char* fallback) {
  return s != nullptr ? s->c_str() : fallback;
}

}  // namespace

const char* Model::name() const { return root_ ? StringOr(root_->name(), "") : ""; }

const char* Model::description() const {
  return root_ ? StringOr(root_->description(), "") : "";
}

float Model::temperature() const { return root_ ? root_->temperature() : 1.0f; }

int Model::num_metadata() const {
  return root_ && root_->metadata() ? static_cast<int>(root_->metadata()->size()) : 0;
}

const char* Model::metadata_key(int i) const {
  if (i < 0 || i >= num_metadata()) return "";
  return StringOr(root_->metadata()->Get(static_cast<flatbuffers::uoffset_t>(i))->key(), "");
}

const char* Model::metadata_value(int i) const {
  if (i < 0 || i >= num_metadata()) return "";
  return StringOr(root_->metadata()->Get(static_cast<flatbuffers::uoffset_t>(i))->value(), "");
}

const char* Model::metadata(const char* key) const {
  if (!root_ || !root_->metadata() || !key) return "";
  // Keys are stored sorted (the loader checks), so the keyed lookup works.
  const fb::KeyValue* kv = root_->metadata()->LookupByKey(key);
  return kv ? StringOr(kv->value(), "") : "";
}

int Model::num_labels() const {
  return root_ && root_->labels() ? static_cast<int>(root_->labels()->size()) : 0;
}

const char* Model::label(int i) const {
  if (i < 0 || i >= num_labels()) return "";
  return root_->labels()->Get(static_cast<flatbuffers::uoffset_t>(i))->c_str();
}

int Model::num_branches() const {
  return root_ && root_->branches() ? static_cast<int>(root_->branches()->size()) : 0;
}

int Model::num_layers() const {
  if (!root_) return 0;
  size_t n = root_->head() ? root_->head()->size() : 0;
  for (int i = 0; i < num_branches(); ++i) {
    const fb::Branch* b = branch(i);
    if (b && b->layers()) n += b->layers()->size();
  }
  return static_cast<int>(n);
}

const fb::Branch* Model::branch(int i) const {
  if (i < 0 || i >= num_branches()) return nullptr;
  return root_->branches()->Get(static_cast<flatbuffers::uoffset_t>(i));
}

const char* Model::branch_name(int i) const {
  const fb::Branch* b = branch(i);
  return b ? StringOr(b->name(), "") : "";
}

const char* Model::branch_modality(int i) const {
  const fb::Branch* b = branch(i);
  return b ? StringOr(b->modality(), "") : "";
}

const char* Model::branch_prompt(int i) const {
  const fb::Branch* b = branch(i);
  return b ? StringOr(b->prompt(), "") : "";
}

PreprocessParams Model::preprocess(int i) const {
  PreprocessParams p;
  const fb::Branch* b = branch(i);
  const fb::Preprocess* f = b ? b->preprocess() : nullptr;
  if (f == nullptr) return p;
  p.sample_rate = f->sample_rate();
  p.pre_emphasis = f->pre_emphasis();
  p.frame_length = f->frame_length();
  p.frame_step = f->frame_step();
  p.fft_size = f->fft_size();
  // The enums share their numeric values with the schema's; LoadModel has
  // rejected values this reader does not know.
  p.window = static_cast<WindowType>(f->window());
  p.mel_bins = f->mel_bins();
  p.mel_low_hz = f->mel_low_hz();
  p.mel_high_hz = f->mel_high_hz();
  p.log_floor = f->log_floor();
  p.dct_coefficients = f->dct_coefficients();
  p.num_frames = f->num_frames();
  p.crop = static_cast<CropPolicy>(f->crop());
  p.normalization = static_cast<NormalizationType>(f->normalization());
  if (f->norm_mean() != nullptr && f->norm_std() != nullptr && f->norm_mean()->size() > 0 &&
      f->norm_mean()->size() == f->norm_std()->size() && f->norm_mean()->size() <= 0xFFFFu) {
    p.norm_mean = f->norm_mean()->data();
    p.norm_std = f->norm_std()->data();
    p.norm_count = static_cast<uint16_t>(f->norm_mean()->size());
  }
  p.input_scale = f->input_scale();
  p.input_zero_point = f->input_zero_point();
  p.min_seconds = f->min_seconds();
  p.max_seconds = f->max_seconds();
  p.pad = static_cast<PadMode>(f->pad());
  p.tile_gap_ms = f->tile_gap_ms();
  return p;
}

FusionView Model::fusion() const {
  FusionView v;
  const fb::Fusion* f = root_ ? root_->fusion() : nullptr;
  // The loader requires the table, one entry per branch, from 2 branches.
  if (f == nullptr || num_branches() < 2) return v;
  v.used = true;
  v.multiplier = f->multiplier()->data();
  v.shift = f->shift()->data();
  v.output_zero_point = f->output_zero_point();
  v.output_scale = f->output_scale();
  return v;
}

}  // namespace tm2
