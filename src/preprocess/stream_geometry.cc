#include "preprocess/stream_geometry.h"

namespace tm2 {
namespace preprocess_internal {
namespace {

uint64_t Gcd(uint64_t a, uint64_t b) {
  while (b != 0) {
    const uint64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

}  // namespace

Status PlanGeometry(const PreprocessParams& p, const StreamOptions& o, Geometry* g) {
  TM2_RETURN_IF_ERROR(p.Validate());
  const StatusCode kArg = StatusCode::kInvalidArgument;
  if (o.input_rate < kMinRate || o.input_rate > kMaxRate)
    return Status::Error(kArg, "stream input_rate %u is outside 8000..48000 Hz",
                         static_cast<unsigned>(o.input_rate));
  if (o.channels == 0) return Status::Error(kArg, "stream channels is 0");
  g->input_rate = o.input_rate;
  const uint64_t in = o.input_rate, out = p.sample_rate;
  const int step = p.frame_step, len = p.frame_length, n = p.num_frames;
  // Window w starts at model sample w * hop * step, which is input position
  // w * hop * step * in / out: a whole input sample, as a batch clip must
  // start on one, only when hop * step * in is a multiple of out.
  g->hop_unit = static_cast<int>(out / Gcd(static_cast<uint64_t>(step) * in, out));
  int hop = o.hop_frames;
  if (hop == 0) {
    hop = n / 2 / g->hop_unit * g->hop_unit;
    if (hop == 0) hop = g->hop_unit;
  }
  if (hop % g->hop_unit != 0)
    return Status::Error(kArg,
                         "stream hop_frames %d (%d samples at %u Hz) is not a whole number of "
                         "input samples at %u Hz; use a multiple of %d frames",
                         hop, hop * step, static_cast<unsigned>(out), static_cast<unsigned>(in),
                         g->hop_unit);
  g->hop_frames = hop;
  g->hop_samples = static_cast<int64_t>(static_cast<uint64_t>(hop) * step * in / out);
  // The clip: every input sample whose position in model time lies before
  // the end of the window's last frame.
  const uint64_t span = static_cast<uint64_t>(n - 1) * step + len;
  g->window_samples = static_cast<int64_t>((span * in + out - 1) / out);
  g->clip_model_len =
      static_cast<int64_t>((static_cast<uint64_t>(g->window_samples) * out + in - 1) / in);
  g->reach = InputReach::For(o.input_rate, p.sample_rate);
  const InputReach& r = g->reach;
  // A frame reads input [First(first sample), End(last sample)), at most
  // floor(L * in / out) + 1 indices apart plus the kernel.
  g->history_size = r.passthrough
                        ? len + 1
                        : static_cast<int>(static_cast<uint64_t>(len) * in / out) + 1 + r.taps_pad;
  // Left edge: the clip gives sample -1 as 0 (pre-emphasis), and samples
  // [0, lead) read input before the clip, which is 0 there.
  int64_t lead = 0;
  while (r.First(lead) < 0) ++lead;
  g->edge_left = 0;
  while (g->edge_left < n && static_cast<int64_t>(g->edge_left) * step - 1 < lead) ++g->edge_left;
  // Right edge: frames whose last sample reads input past the clip.
  g->right_start = n;
  while (g->right_start > g->edge_left &&
         r.End(static_cast<int64_t>(g->right_start - 1) * step + len - 1) > g->window_samples)
    --g->right_start;
  g->edge_frames = g->edge_left + n - g->right_start;
  // A model that tiles a short input (pad Tile) needs the tail's first
  // samples at Finish, after its later frames were computed: the ring then
  // keeps every input sample a window's frames read (at most
  // window_samples + the kernel's taps from the window's start).
  g->tile_tail = p.pad == PadMode::kTile && o.tile_history;
  if (g->tile_tail) {
    const int64_t whole = g->window_samples + (r.passthrough ? 0 : r.taps_pad);
    if (whole > g->history_size) g->history_size = static_cast<int>(whole);
  }
  // Window w's edge rows live from its first frame to its last; windows
  // that overlap in time hold theirs together.
  g->pending = (n + hop - 1) / hop;
  return Status::Ok();
}

}  // namespace preprocess_internal
}  // namespace tm2
