// WAV in JS, only as far as the page needs: uploaded WAV files are read
// here rather than by the browser's decodeAudioData, which resamples to the
// AudioContext's rate. Reading the samples as they are keeps the page's
// input identical to what the native CLI reads from the same file, so the
// same file gives the same probabilities bit for bit.

function ascii(view, at, n) {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(view.getUint8(at + i));
  return s;
}

// Returns {sampleRate, channels, frames, samples} with samples an
// interleaved Int16Array (16-bit PCM) or Float32Array (8/24/32-bit PCM,
// 32-bit float); null if this is not a RIFF/WAVE file. Throws on a WAV
// it cannot read.
export function parseWav(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 12 || ascii(view, 0, 4) !== 'RIFF' || ascii(view, 8, 4) !== 'WAVE') {
    return null;
  }
  let fmt = null;
  let pos = 12;
  while (pos + 8 <= view.byteLength) {
    const id = ascii(view, pos, 4);
    let len = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'data' && len > view.byteLength - body) len = view.byteLength - body; // streamed headers
    if (len > view.byteLength - body) throw new Error(`WAV chunk '${id}' runs past the end of the file`);
    if (id === 'fmt ' && len >= 16) {
      let format = view.getUint16(body, true);
      if (format === 0xfffe && len >= 40) format = view.getUint16(body + 24, true); // extensible
      fmt = {
        format,
        channels: view.getUint16(body + 2, true),
        sampleRate: view.getUint32(body + 4, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (!fmt) throw new Error("WAV 'data' chunk before its 'fmt ' chunk");
      return decodeSamples(buffer, body, len, fmt);
    }
    pos = body + len + (len & 1);
  }
  throw new Error("WAV file without a 'data' chunk");
}

function decodeSamples(buffer, at, len, { format, channels, sampleRate, bits }) {
  if (channels < 1) throw new Error('WAV file with 0 channels');
  const bytes = bits / 8;
  const count = Math.floor(len / bytes / channels) * channels;
  const view = new DataView(buffer, at, count * bytes);
  let samples;
  if (format === 1 && bits === 16) {
    samples = new Int16Array(count);
    for (let i = 0; i < count; i++) samples[i] = view.getInt16(2 * i, true);
  } else if (format === 1 && (bits === 8 || bits === 24 || bits === 32)) {
    samples = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      if (bits === 8) samples[i] = (view.getUint8(i) - 128) / 128;
      else if (bits === 24) {
        const v = view.getUint8(3 * i) | (view.getUint8(3 * i + 1) << 8) | (view.getInt8(3 * i + 2) << 16);
        samples[i] = v / 8388608;
      } else samples[i] = view.getInt32(4 * i, true) / 2147483648;
    }
  } else if (format === 3 && bits === 32) {
    samples = new Float32Array(count);
    // Full scale is [-1, 1]: louder samples are clipped, as the core does
    // (docs/preprocessing.md); NaN stays NaN and the engine refuses it.
    for (let i = 0; i < count; i++) {
      const v = view.getFloat32(4 * i, true);
      samples[i] = v > 1 ? 1 : v < -1 ? -1 : v;
    }
  } else {
    throw new Error(`unsupported WAV encoding (format ${format}, ${bits} bits)`);
  }
  return { sampleRate, channels, frames: count / channels, samples };
}

// 16-bit mono WAV bytes from float samples in [-1, 1] (used to offer a
// recording for download and by the tests to make audio).
export function encodeWav(samples, sampleRate) {
  const buffer = new ArrayBuffer(44 + samples.length * 2);
  const view = new DataView(buffer);
  const put = (at, s) => { for (let i = 0; i < s.length; i++) view.setUint8(at + i, s.charCodeAt(i)); };
  put(0, 'RIFF');
  view.setUint32(4, 36 + samples.length * 2, true);
  put(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true);
  view.setUint16(22, 1, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, samples.length * 2, true);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.max(-1, Math.min(1, samples[i]));
    view.setInt16(44 + 2 * i, Math.round(v * 32767), true);
  }
  return buffer;
}
