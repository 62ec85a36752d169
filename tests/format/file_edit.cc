#include "file_edit.h"

#include <cstring>

#include "format/shapes.h"
#include "format/tm2_generated.h"

namespace tm2 {
namespace test {

void PutU16(std::vector<uint8_t>* file, size_t at, uint16_t v) {
  (*file)[at] = static_cast<uint8_t>(v);
  (*file)[at + 1] = static_cast<uint8_t>(v >> 8);
}

void PutU32(std::vector<uint8_t>* file, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) (*file)[at + i] = static_cast<uint8_t>(v >> (8 * i));
}

void FixHeader(std::vector<uint8_t>* file) {
  if (file->size() < kHeaderBytes) return;
  const size_t payload = file->size() - kHeaderBytes;
  PutU32(file, 8, static_cast<uint32_t>(payload));
  PutU32(file, 12, Crc32(file->data() + kHeaderBytes, payload));
}

std::unique_ptr<fbt::ModelT> Unpack(const std::vector<uint8_t>& file) {
  return std::unique_ptr<fbt::ModelT>(fbt::GetModel(file.data() + kHeaderBytes)->UnPack());
}

std::vector<uint8_t> Pack(const fbt::ModelT& model, uint16_t major, uint16_t minor) {
  flatbuffers::FlatBufferBuilder fbb;
  fbt::FinishModelBuffer(fbb, fbt::Model::Pack(fbb, &model));
  std::vector<uint8_t> file(kHeaderBytes + fbb.GetSize(), 0);
  std::memcpy(file.data() + kHeaderBytes, fbb.GetBufferPointer(), fbb.GetSize());
  file[0] = 'T';
  file[1] = 'M';
  file[2] = '2';
  PutU16(&file, 4, major);
  PutU16(&file, 6, minor);
  FixHeader(&file);
  return file;
}

std::unique_ptr<fbt::ModelPackT> UnpackPack(const std::vector<uint8_t>& file) {
  return std::unique_ptr<fbt::ModelPackT>(
      flatbuffers::GetRoot<fbt::ModelPack>(file.data() + kHeaderBytes)->UnPack());
}

std::vector<uint8_t> PackPack(const fbt::ModelPackT& pack, uint16_t minor) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(fbt::ModelPack::Pack(fbb, &pack), "TM2K");
  std::vector<uint8_t> file(kHeaderBytes + fbb.GetSize(), 0);
  std::memcpy(file.data() + kHeaderBytes, fbb.GetBufferPointer(), fbb.GetSize());
  file[0] = 'T';
  file[1] = 'M';
  file[2] = '2';
  PutU16(&file, 4, kFormatMajor);
  PutU16(&file, 6, minor);
  FixHeader(&file);
  return file;
}

std::vector<uint8_t> EditPack(const std::vector<uint8_t>& file,
                              const std::function<void(fbt::ModelPackT&)>& edit) {
  std::unique_ptr<fbt::ModelPackT> p = UnpackPack(file);
  edit(*p);
  return PackPack(*p);
}

Status LoadPackCopy(const std::vector<uint8_t>& file, std::vector<uint32_t>* storage, tm2::Pack* pack) {
  storage->assign((file.size() + 3) / 4 + 1, 0);
  if (!file.empty()) std::memcpy(storage->data(), file.data(), file.size());
  return LoadPack(reinterpret_cast<const uint8_t*>(storage->data()), file.size(), pack);
}

std::vector<uint8_t> Edit(const std::vector<uint8_t>& file,
                          const std::function<void(fbt::ModelT&)>& edit) {
  std::unique_ptr<fbt::ModelT> m = Unpack(file);
  edit(*m);
  return Pack(*m);
}

Status LoadCopy(const std::vector<uint8_t>& file, std::vector<uint32_t>* storage, Model* model,
                const ModelLimits& limits) {
  storage->assign((file.size() + 3) / 4 + 1, 0);
  if (!file.empty()) std::memcpy(storage->data(), file.data(), file.size());
  return LoadModel(reinterpret_cast<const uint8_t*>(storage->data()), file.size(), model, limits);
}

namespace {

uint64_t Mix(uint64_t h, uint64_t v) { return (h ^ v) * 1099511628211ull; }

uint64_t WalkStack(const flatbuffers::Vector<flatbuffers::Offset<fb::Layer>>* layers,
                   TensorShape* shape, uint64_t h) {
  if (layers == nullptr) return h;
  for (const fb::Layer* l : *layers) {
    TensorShape out;
    LayerWindow g;
    if (!InferLayerShape(*l, *shape, &out, &g).ok()) return Mix(h, 0xBAD);
    // PQ codes: the stored count (the loader checked it against the
    // codebook's dim); the decode pass below reads the centroids.
    const size_t bytes = l->weight_encoding() == fb::WeightEncoding::ProductQuantized
                             ? l->weights()->size()
                             : ExpectedWeightBytes(*l, *shape);
    for (size_t i = 0; i < bytes; ++i) h = Mix(h, l->weights()->Get(i));
    for (int c = 0; c < out.c && l->multiplier(); ++c) {
      h = Mix(h, static_cast<uint32_t>(l->multiplier()->Get(c)));
      h = Mix(h, static_cast<uint8_t>(l->shift()->Get(c)));
      if (l->bias()) h = Mix(h, static_cast<uint32_t>(l->bias()->Get(c)));
    }
    // Narrow (1.2): every byte the engine will decode.
    if (l->channel_params())
      for (uint8_t b : *l->channel_params()) h = Mix(h, b);
    h = Mix(h, static_cast<uint64_t>(g.pad_top) * 31 + g.pad_left);
    *shape = out;
  }
  return h;
}

// Every centroid value every PQ code names, through the loader's walk.
class PqReader final : public ModelVisitor {
 public:
  Status BeginStack(int, const TensorInfo&, int) override { return Status::Ok(); }
  Status EndStack(int, const TensorInfo&) override { return Status::Ok(); }
  Status Layer(const LayerView& v) override {
    if (!v.pq) return Status::Ok();
    const size_t per_byte = v.weight_bits == 4 ? 2 : 1;
    for (size_t i = 0; i < v.weight_bytes * per_byte; ++i) {
      const uint8_t b = v.weights[i / per_byte];
      const unsigned code = v.weight_bits == 8 ? b : ((i & 1) ? b >> 4 : b & 0x0F);
      // Padding nibbles may be anything; only real codes are below K.
      if (code >= static_cast<unsigned>(v.pq_codebook_size)) continue;
      for (int j = 0; j < v.pq_dim; ++j)
        h = Mix(h, static_cast<uint8_t>(v.pq_centroids[code * static_cast<unsigned>(v.pq_dim) + j]));
    }
    return Status::Ok();
  }
  uint64_t h = 0;
};

}  // namespace

uint64_t WalkModel(const Model& model) {
  uint64_t h = 1469598103934665603ull;
  for (const char* p = model.name(); *p; ++p) h = Mix(h, static_cast<uint8_t>(*p));
  for (int i = 0; i < model.num_labels(); ++i) h = Mix(h, std::strlen(model.label(i)));
  TensorShape last;
  size_t fused = 0;
  for (int b = 0; b < model.num_branches(); ++b) {
    const PreprocessParams p = model.preprocess(b);
    for (int i = 0; i < p.norm_count; ++i) {
      uint32_t bits[2];
      std::memcpy(&bits[0], &p.norm_mean[i], 4);
      std::memcpy(&bits[1], &p.norm_std[i], 4);
      h = Mix(Mix(h, bits[0]), bits[1]);
    }
    h = Mix(h, std::strlen(model.branch_modality(b)));
    TensorShape s;
    s.h = p.num_frames;
    s.w = p.num_features();
    s.c = 1;
    h = WalkStack(model.branch(b)->layers(), &s, h);
    last = s;
    fused += s.size();
  }
  if (model.num_branches() > 1) {
    last.h = last.w = 1;
    last.c = static_cast<int>(fused);
  }
  h = WalkStack(model.root()->head(), &last, h);
  PqReader pq;
  if (tm2::WalkModel(model, &pq).ok()) h = Mix(h, pq.h);
  return h;
}

}  // namespace test
}  // namespace tm2
