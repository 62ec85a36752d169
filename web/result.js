// How several takes of the same recordings become one public result.
//
// One cough scored by a small model moves a lot from take to take (46 %
// and then 87 % for the same healthy person), and a single number with an
// interval reads as a measurement it is not. So the page asks for several
// takes, uses the median of their scores, and says "no result" when the
// takes disagree by more than `spreadLimit`. A stable result is shown only
// as a coarse category: below bands[0], between, or at or above bands[1].
//
//   combineTakes([[0.7, 0.3], [0.6, 0.4], [0.72, 0.28]], { positive: 1 })
//   -> {probabilities: [0.7, 0.3], takes, score: 0.3, spread: 0.12,
//       category: 'low' | 'middle' | 'high' | 'unstable' | null, ...}
export const RESULT_DEFAULTS = { spreadLimit: 0.3, bands: [0.3, 0.7] };

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

// takes: per take, the model's probabilities per class. positive: the
// index of the label the result talks about, or -1 (no category: a model
// without a positive label only shows its most likely class).
export function combineTakes(takes, { positive = -1, spreadLimit, bands } = {}) {
  const limit = Number.isFinite(spreadLimit) ? spreadLimit : RESULT_DEFAULTS.spreadLimit;
  const cut = Array.isArray(bands) && bands.length === 2 ? bands : RESULT_DEFAULTS.bands;
  const classes = takes[0].length;
  // One take: its own numbers, untouched (bit for bit what the engine gave).
  const probabilities = takes.length === 1 ? Array.from(takes[0])
    : Array.from({ length: classes }, (_, c) => median(takes.map((p) => p[c])));
  const out = { probabilities, takes: takes.map((p) => Array.from(p)), spreadLimit: limit, bands: cut, score: null, spread: 0, category: null };
  if (positive < 0) return out;
  const scores = takes.map((p) => p[positive]);
  out.score = median(scores);
  out.spread = Math.max(...scores) - Math.min(...scores);
  if (out.spread > limit) out.category = 'unstable';
  else if (out.score < cut[0]) out.category = 'low';
  else if (out.score < cut[1]) out.category = 'middle';
  else out.category = 'high';
  return out;
}
