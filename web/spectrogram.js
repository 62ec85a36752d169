// Draws a branch's float features (frames x bins, frame-major) as an image:
// time left to right, low bins at the bottom, colour by value scaled between
// the 2nd and 98th percentile (robust to a few extreme bins).

// Dark blue -> teal -> yellow, perceptually ordered and readable for the
// common colour-vision deficiencies.
const STOPS = [[13, 8, 135], [84, 2, 163], [139, 10, 165], [185, 50, 137],
  [219, 92, 104], [244, 136, 73], [254, 188, 43], [240, 249, 33]];

function colour(t) {
  const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(x));
  const f = x - i;
  return STOPS[i].map((c, k) => Math.round(c + (STOPS[i + 1][k] - c) * f));
}

export function drawSpectrogram(canvas, { frames, bins, values }) {
  const sorted = Float32Array.from(values).sort();
  const lo = sorted[Math.floor(0.02 * (sorted.length - 1))];
  const hi = sorted[Math.floor(0.98 * (sorted.length - 1))];
  const span = hi > lo ? hi - lo : 1;
  canvas.width = frames;
  canvas.height = bins;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(frames, bins);
  for (let t = 0; t < frames; t++) {
    for (let b = 0; b < bins; b++) {
      const [r, g, bl] = colour((values[t * bins + b] - lo) / span);
      const at = ((bins - 1 - b) * frames + t) * 4;
      img.data[at] = r;
      img.data[at + 1] = g;
      img.data[at + 2] = bl;
      img.data[at + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
