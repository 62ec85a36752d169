// Uploaded audio, checked before it costs anything, with one length policy
// for the screening page and research mode. Every message is for the person
// who chose the file: what is wrong with it and what to do, no internals.
//
//   import { readUpload, checkLength, UPLOAD_LIMITS } from '../shared/audio-input.js';
//   try {
//     const audio = await readUpload(file, { minSeconds: 0.5, maxSeconds: 30 });
//     // {samples, sampleRate, channels, frames, seconds, source}
//   } catch (e) {
//     if (e instanceof AudioInputError) show(e.message);   // e.reason says which check
//   }
//
// The length policy: a recording shorter than the model's min_seconds or
// longer than its max_seconds is refused, never cut: a model shown the first
// 30 s of a 10-minute file would judge something the person did not choose.
// Uploads are checked by size first, then (WAV) by the duration the header
// declares, so a huge or lying file is refused before it is decoded.
import { readWavHeader, parseWav, WavError } from '../wav.js';

export const UPLOAD_LIMITS = {
  // 30 s of 48 kHz stereo 32-bit float is 11.5 MB; compressed files are far
  // smaller. Anything bigger is not a single short recording.
  maxBytes: 32 * 1024 * 1024,
  // The rates the core takes as they are; other WAV rates go through the
  // browser's decoder at 48 kHz.
  minRate: 8000,
  maxRate: 48000,
};

export class AudioInputError extends Error {
  // reason: 'empty' | 'too-big' | 'not-wav' | 'damaged' | 'encoding' |
  // 'truncated' | 'rate' | 'undecodable' | 'short' | 'long'
  constructor(reason, message) {
    super(message);
    this.name = 'AudioInputError';
    this.reason = reason;
  }
}

const secs = (s) => `${s.toFixed(1)} s`;
const mb = (bytes) => `${(bytes / (1024 * 1024)).toFixed(bytes < 10 * 1024 * 1024 ? 1 : 0)} MB`;
const duration = (s) => (s >= 120 ? `${Math.round(s / 60)} minutes` : secs(s));

// The one length rule: {ok, reason: null | 'short' | 'long', message}.
// `limits` is a model branch or a research task ({minSeconds, maxSeconds}).
export function checkLength(seconds, { minSeconds, maxSeconds }) {
  if (!(seconds > 0) || !Number.isFinite(seconds)) {
    return { ok: false, reason: 'short', message: 'The recording holds no sound.' };
  }
  if (seconds < minSeconds) {
    return { ok: false, reason: 'short', message: `Too short: ${secs(seconds)}, and this recording needs at least ${secs(minSeconds)}. Please record again.` };
  }
  if (seconds > maxSeconds) {
    return { ok: false, reason: 'long', message: `Too long: ${duration(seconds)}. This step takes recordings of up to ${secs(maxSeconds)}; please trim the file to the part you want checked, or record here instead.` };
  }
  return { ok: true, reason: null, message: '' };
}

// Size and name checks before reading a byte: {ok, reason, message}.
export function checkFile(file) {
  if (!file || file.size === 0) {
    return { ok: false, reason: 'empty', message: 'The file is empty (0 bytes): there is no recording in it.' };
  }
  if (file.size > UPLOAD_LIMITS.maxBytes) {
    return { ok: false, reason: 'too-big', message: `The file is too big (${mb(file.size)}; at most ${mb(UPLOAD_LIMITS.maxBytes)}). Upload a short recording of the sound asked for.` };
  }
  return { ok: true, reason: null, message: '' };
}

const looksLikeWav = (name) => /\.wave?$/i.test(name ?? '');

// Reads an upload (a File or Blob with a name) into {samples, sampleRate,
// channels, frames, seconds, source}, or throws an AudioInputError. WAV at
// 8-48 kHz keeps its samples and rate (the core resamples, exactly as the
// native CLI does); other formats and rates are decoded by the browser at
// 48 kHz. `limits` ({minSeconds, maxSeconds}) applies the length policy; it
// is checked on the header's duration before decoding when the file is WAV.
export async function readUpload(file, limits) {
  const size = checkFile(file);
  if (!size.ok) throw new AudioInputError(size.reason, size.message);
  const bytes = await file.arrayBuffer();
  let header;
  try {
    header = readWavHeader(bytes);
  } catch (e) {
    if (e instanceof WavError) throw new AudioInputError(e.reason, e.message);
    throw e;
  }
  if (!header && looksLikeWav(file.name)) {
    throw new AudioInputError('not-wav', 'This file is named .wav but holds no WAV recording (it may be a renamed text or other file). Choose the recording itself.');
  }
  if (header && limits) lengthOrThrow(header.seconds, limits);
  let audio;
  if (header && header.sampleRate >= UPLOAD_LIMITS.minRate && header.sampleRate <= UPLOAD_LIMITS.maxRate) {
    audio = parseWav(bytes);
  } else {
    audio = await decodeInBrowser(bytes);
  }
  audio.seconds = audio.frames / audio.sampleRate;
  audio.source = `file ${file.name ?? ''}`.trim();
  if (limits) lengthOrThrow(audio.seconds, limits);
  return audio;
}

function lengthOrThrow(seconds, limits) {
  const v = checkLength(seconds, limits);
  if (!v.ok) throw new AudioInputError(v.reason, v.message);
}

// The browser's decoder (FLAC, OGG, MP3, WAV at unusual rates), resampled
// to 48 kHz and mixed to mono.
async function decodeInBrowser(bytes) {
  const ctx = new OfflineAudioContext(1, 1, 48000);
  let buf;
  try {
    buf = await ctx.decodeAudioData(bytes.slice(0));
  } catch {
    throw new AudioInputError('undecodable', 'This file could not be read as a sound recording: it is damaged or in a format this browser does not know. WAV, FLAC, OGG and MP3 usually work.');
  }
  const mono = new Float32Array(buf.length);
  for (let c = 0; c < buf.numberOfChannels; c++) {
    const d = buf.getChannelData(c);
    for (let i = 0; i < d.length; i++) mono[i] += d[i] / buf.numberOfChannels;
  }
  return { samples: mono, sampleRate: buf.sampleRate, channels: 1, frames: mono.length };
}
