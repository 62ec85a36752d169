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
// 32-bit float); null if this is not a RIFF/WAVE file. Throws a WavError
// with a message meant for the person who chose the file (no chunk names or
// format codes) on a WAV it cannot read or whose header does not add up.
export function parseWav(buffer) {
  const info = readWavHeader(buffer);
  return info && decodeSamples(buffer, info.dataOffset, info.dataBytes, info);
}

export class WavError extends Error {
  constructor(reason, message) {
    super(message);
    this.name = 'WavError';
    this.reason = reason; // 'damaged' | 'encoding' | 'rate' | 'truncated'
  }
}

const DAMAGED = 'The WAV file is damaged: its header does not describe a recording this page can read.';
// Lengths a recorder writes while it streams and cannot know the size yet.
const STREAMING_SIZES = new Set([0, 0xffffffff, 0x7fffffff]);

// The header alone, without touching the samples: {format, channels,
// sampleRate, bits, dataOffset, dataBytes, frames, seconds}; null if this
// is not RIFF/WAVE. Checks what a lying header could claim: a sample rate
// of 0 or beyond any audio device, 0 or hundreds of channels, encodings
// other than PCM/float, a data size larger than the file.
export function readWavHeader(buffer) {
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
    const left = view.byteLength - body;
    if (id === 'data') {
      if (!fmt) throw new WavError('damaged', DAMAGED);
      if (len > left) {
        if (!STREAMING_SIZES.has(len)) {
          const claimed = len / fmt.bytesPerSecond;
          const held = left / fmt.bytesPerSecond;
          throw new WavError('truncated', `The WAV file is incomplete: its header announces ${seconds(claimed)} of sound but the file holds only ${seconds(held)}. It may have been cut off while copying or downloading.`);
        }
        len = left; // written while streaming: the data runs to the end of the file
      }
      const frames = Math.floor(len / fmt.blockAlign);
      return { ...fmt, dataOffset: body, dataBytes: len, frames, seconds: frames / fmt.sampleRate };
    }
    if (len > left) throw new WavError('damaged', DAMAGED);
    if (id === 'fmt ') fmt = readFmt(view, body, len);
    pos = body + len + (len & 1);
  }
  throw new WavError('damaged', fmt ? 'The WAV file holds no sound (it has a header but no audio data).' : DAMAGED);
}

const seconds = (s) => (s >= 120 ? `${(s / 60).toFixed(0)} minutes` : `${s.toFixed(1)} s`);

function readFmt(view, body, len) {
  if (len < 16) throw new WavError('damaged', DAMAGED);
  let format = view.getUint16(body, true);
  if (format === 0xfffe && len >= 40) format = view.getUint16(body + 24, true); // extensible
  const channels = view.getUint16(body + 2, true);
  const sampleRate = view.getUint32(body + 4, true);
  const bits = view.getUint16(body + 14, true);
  const supported = (format === 1 && [8, 16, 24, 32].includes(bits)) || (format === 3 && bits === 32);
  if (!supported) {
    const known = { 1: 'PCM', 2: 'ADPCM', 3: 'floating point', 6: 'A-law', 7: 'µ-law', 17: 'IMA ADPCM', 85: 'MP3' }[format];
    throw new WavError('encoding', known
      ? `This WAV file is stored as ${known}${format === 1 || format === 3 ? ` with ${bits}-bit samples` : ''}, which this page cannot read. Save it as 16-bit PCM WAV (the usual kind) and upload it again.`
      : `${DAMAGED} Save the recording again as 16-bit PCM WAV.`);
  }
  if (channels < 1 || channels > 8) throw new WavError('damaged', DAMAGED);
  if (sampleRate < 1000 || sampleRate > 384000) {
    throw new WavError('rate', `The WAV file is damaged: its header gives a sample rate of ${sampleRate} per second, which no recording has.`);
  }
  const blockAlign = channels * (bits / 8);
  return { format, channels, sampleRate, bits, blockAlign, bytesPerSecond: blockAlign * sampleRate };
}

function decodeSamples(buffer, at, len, { format, channels, sampleRate, bits }) {
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
