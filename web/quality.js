// The quality gate a recording passes before it is screened: long enough
// for its branch (the model's min_seconds), not too quiet, not clipped, and
// - when the manifest lists a sound-type model - the kind of sound asked for.
// The length rule is the one uploads use (shared/audio-input.js).
import { checkLength } from './shared/audio-input.js';

// Thresholds on samples in [-1, 1].
export const QUALITY = {
  quietRms: 0.003,        // ~ -50 dBFS over the loudest second: nothing was heard
  quietPeak: 0.02,
  clipLevel: 0.999,       // a sample at full scale
  clipFraction: 0.002,    // more than 0.2 % of samples at full scale = clipped
  clipMinSamples: 20,
};

// Level statistics: peak, RMS of the loudest 1-second window, clipped share.
export function levelStats(samples, sampleRate, scale = 1) {
  const n = samples.length;
  const win = Math.max(1, Math.min(n, sampleRate));
  let peak = 0;
  let clipped = 0;
  let sum = 0;
  let best = 0;
  for (let i = 0; i < n; i++) {
    const v = samples[i] * scale;
    const a = Math.abs(v);
    if (a > peak) peak = a;
    if (a >= QUALITY.clipLevel) clipped++;
    sum += v * v;
    if (i >= win) {
      const old = samples[i - win] * scale;
      sum -= old * old;
    }
    if (i >= win - 1 && sum > best) best = sum;
  }
  if (n < win) best = sum;
  return { peak, rms: Math.sqrt(Math.max(0, best) / win), clippedFraction: n ? clipped / n : 0, clipped };
}

// Returns {ok, reason, message, stats}. `audio` is {samples, sampleRate,
// channels, frames}; Int16Array samples are scaled by 1/32768.
export function checkQuality(audio, branch) {
  const scale = audio.samples instanceof Int16Array ? 1 / 32768 : 1;
  const seconds = audio.frames / audio.sampleRate;
  const stats = { ...levelStats(audio.samples, audio.sampleRate * audio.channels, scale), seconds };
  const fail = (reason, message) => ({ ok: false, reason, message, stats });
  const length = checkLength(seconds, branch);
  if (!length.ok) return fail(length.reason, length.message);
  if (stats.rms < QUALITY.quietRms || stats.peak < QUALITY.quietPeak) {
    return fail('quiet', 'Too quiet: almost nothing was heard. Check that the microphone is on and not muted, move closer, and record again.');
  }
  if (stats.clipped >= QUALITY.clipMinSamples && stats.clippedFraction > QUALITY.clipFraction) {
    return fail('clipped', 'Too loud: the recording is clipped (distorted). Move the device a little further away and record again.');
  }
  return { ok: true, reason: null, message: 'Recording quality is fine.', stats };
}

// The sound-type check. `gate` is {engine, labels, threshold} built from
// the manifest's "gate" entry, or null when no sound-type model is shipped.
// The recording goes to every branch of the gate model (a sound-type model
// has one); the probability of the label the manifest maps this branch's
// modality to must reach the threshold.
export function checkSoundType(gate, audio, branch) {
  if (!gate || !gateIndex(gate, gate.engine.model.labels, branch)) return { ok: true, checked: false };
  for (let b = 0; b < gate.engine.model.branches.length; b++) {
    gate.engine.setInput(b, audio.samples, audio.sampleRate, audio.channels);
  }
  return soundTypeVerdict(gate, gate.engine.model.labels, gate.engine.invoke().probabilities, branch);
}

// The label index the gate must confirm for this branch, or null (no check).
export function gateIndex(gate, labels, branch) {
  const label = gate?.labels[branch.modality];
  const index = label ? labels.indexOf(label) : -1;
  return index < 0 ? null : { index };
}

// The same verdict from the gate model's probabilities computed elsewhere
// (the screening page runs its models in a worker).
export function soundTypeVerdict(gate, labels, probabilities, branch) {
  const at = gateIndex(gate, labels, branch);
  if (!at) return { ok: true, checked: false };
  const p = probabilities[at.index];
  if (p < gate.threshold) {
    return {
      ok: false, checked: true, reason: 'kind', probability: p,
      message: `This does not sound like ${describe(branch.modality)} (sound-type check: ${Math.round(p * 100)} %). Please record ${describe(branch.modality)} again.`,
    };
  }
  return { ok: true, checked: true, probability: p };
}

export function describe(modality) {
  return { cough: 'a cough', speech: 'speech', breath: 'breathing' }[modality] ?? `the requested sound (${modality})`;
}
