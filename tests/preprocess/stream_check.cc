#include "stream_check.h"

#include <cstring>
#include <vector>

#include "common/wav.h"

namespace tm2 {
namespace test {

namespace {

// The frames [first, first + count) of `pcm` as a view of its own.
PcmView Slice(const PcmView& pcm, int64_t first, size_t count) {
  const size_t at = static_cast<size_t>(first) * pcm.channels;
  return pcm.f32 ? PcmView::F32(pcm.f32 + at, count, pcm.sample_rate, pcm.channels)
                 : PcmView::S16(pcm.s16 + at, count, pcm.sample_rate, pcm.channels);
}

}  // namespace

StreamCheck StreamAndCompare(const PreprocessParams& params, StreamOptions options,
                             const PcmView& pcm, const size_t* block_sizes, int num_sizes,
                             int first_size) {
  StreamCheck r;
  options.input_rate = pcm.sample_rate;
  options.channels = pcm.channels;
  options.float_features = true;  // compares the float features too
  std::vector<uint8_t> stream_ws(StreamPreprocessor::WorkspaceBytes(params, options));
  StreamPreprocessor stream;
  r.status = stream.Prepare(params, options, stream_ws.data(), stream_ws.size());
  if (!r.status.ok()) return r;
  std::vector<uint8_t> batch_ws(Preprocessor::WorkspaceBytes(params));
  Preprocessor batch;
  r.status = batch.Prepare(params, batch_ws.data(), batch_ws.size());
  if (!r.status.ok()) return r;

  const size_t size = static_cast<size_t>(stream.num_frames()) * stream.num_features();
  std::vector<int8_t> q(size), batch_q(size);
  std::vector<float> f(size), batch_f(size);
  // The ready window against the batch path on its samples; false on an error.
  auto compare = [&](int64_t index, StreamWindow* where) {
    r.status = stream.ReadWindow(q.data(), f.data(), where);
    if (!r.status.ok()) return false;
    r.status = batch.Run(Slice(pcm, where->first_sample, static_cast<size_t>(where->num_samples)),
                         batch_q.data(), batch_f.data());
    if (!r.status.ok()) return false;
    if (where->index != index || where->first_sample != index * stream.hop_samples() ||
        std::memcmp(f.data(), batch_f.data(), sizeof(float) * size) != 0 || q != batch_q) {
      if (r.mismatches++ == 0) {
        r.first_mismatch = where->index;
        for (size_t i = 0; i < size && r.first_mismatch_row < 0; ++i)
          if (std::memcmp(&f[i], &batch_f[i], sizeof(float)) != 0 || q[i] != batch_q[i])
            r.first_mismatch_row = static_cast<int64_t>(i) / stream.num_features();
      }
    }
    return true;
  };
  r.hash = Fnv1a64(nullptr, 0);
  size_t done = 0;
  int block = first_size;
  int64_t last_end = 0;
  while (done < pcm.frames) {
    size_t n = block_sizes[block++ % num_sizes];
    if (n > pcm.frames - done) n = pcm.frames - done;
    // A block may hold several windows: push its rest after each one.
    size_t in_block = 0;
    do {
      size_t used = 0;
      r.status =
          stream.Push(Slice(pcm, static_cast<int64_t>(done + in_block), n - in_block), &used);
      if (!r.status.ok()) return r;
      in_block += used;
      if (!stream.window_ready()) continue;
      StreamWindow where;
      if (!compare(r.windows, &where)) return r;
      r.hash = Fnv1a64(&where.index, sizeof(where.index), r.hash);
      r.hash = Fnv1a64(&where.first_sample, sizeof(where.first_sample), r.hash);
      r.hash = Fnv1a64(f.data(), sizeof(float) * size, r.hash);
      r.hash = Fnv1a64(q.data(), size, r.hash);
      last_end = where.first_sample + where.num_samples;
      ++r.windows;
    } while (in_block < n);
    done += n;
  }
  r.left_over = static_cast<int64_t>(pcm.frames) - last_end;
  r.covered_to = last_end;
  r.finish_hash = Fnv1a64(nullptr, 0);
  for (;;) {
    r.status = stream.Finish();
    if (!r.status.ok() || !stream.window_ready()) return r;
    StreamWindow where;
    if (!compare(r.windows + r.finished, &where)) return r;
    r.covered_to = where.first_sample + where.num_samples;
    r.finish_hash = Fnv1a64(&where.index, sizeof(where.index), r.finish_hash);
    r.finish_hash = Fnv1a64(&where.num_samples, sizeof(where.num_samples), r.finish_hash);
    r.finish_hash = Fnv1a64(f.data(), sizeof(float) * size, r.finish_hash);
    r.finish_hash = Fnv1a64(q.data(), size, r.finish_hash);
    ++r.finished;
    if (stream.tail_ready()) {
      ++r.tails;
      r.tail_first = where.first_sample;
      r.tail_samples = where.num_samples;
    }
  }
}

}  // namespace test
}  // namespace tm2
