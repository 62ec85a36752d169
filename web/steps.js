// The recording steps of the screening page: one per branch and take, each
// recorded from the microphone or uploaded, checked (length, level, and the
// sound-type model when there is one) and kept for screening.
import { Recorder, MicrophoneError } from './recorder.js';
import { checkQuality, soundTypeVerdict, describe } from './quality.js';
import { encodeWav } from './wav.js';
import { readUpload, AudioInputError } from './shared/audio-input.js';
import { say, alertUser } from './shared/guard.js';
import { $, params, state, run, takesPerBranch, pcmOf, updateScreenButton } from './page-state.js';

function recordSeconds(branch) {
  const want = Number(params.get('seconds') ?? state.screening.recordSeconds ?? 5);
  return Math.min(branch.maxSeconds, Math.max(branch.minSeconds + 0.5, want));
}

export function buildSteps(model) {
  const list = $('step-list');
  list.textContent = '';
  const takes = takesPerBranch();
  const plan = [];
  for (let t = 0; t < takes; t++) model.branches.forEach((branch, b) => plan.push({ b, t, branch }));
  state.steps = plan.map(({ b, t, branch }, k) => {
    const li = $('step-template').content.firstElementChild.cloneNode(true);
    const q = (c) => li.querySelector(c);
    const what = describe(branch.modality);
    const name = takes > 1 ? `${what.replace(/^an? /, '')} ${t + 1} of ${takes}` : what;
    li.id = `step-${k}`;
    li.dataset.modality = branch.modality;
    q('.step-title').textContent = takes > 1
      ? `Recording ${k + 1} of ${plan.length}: ${what}`
      : `Step ${k + 1} of ${plan.length}: ${what}`;
    q('.step-title').id = `step-${k}-title`;
    const prompt = branch.prompt || `Record ${what}`;
    q('.prompt').textContent = `${/[.!?]$/.test(prompt) ? prompt : `${prompt}.`} ` +
      `Recording lasts ${recordSeconds(branch).toFixed(0)} seconds (at least ${branch.minSeconds} s counts).` +
      (takes > 1 && t > 0 ? ' Record it again separately: the page compares the recordings.' : '');
    const record = q('.record');
    record.textContent = `Record ${name}`;
    record.dataset.name = name;
    q('.upload-text').textContent = `Or upload a recording of ${name}`;
    q('.meter').setAttribute('aria-label', `Input level, ${name}`);
    q('.quality').id = `step-${k}-quality`;
    record.addEventListener('click', () => run(() => recordStep(k)));
    q('.stop').addEventListener('click', () => state.recorder?.stop());
    q('.file').addEventListener('change', (e) => run(() => uploadStep(k, e.target.files[0])));
    list.append(li);
    return { li, q, branch, b, t, name };
  });
  state.recordings = state.steps.map(() => null);
  updateScreenButton();
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function recordStep(k) {
  const step = state.steps[k];
  const { q, branch } = step;
  state.recorder ??= new Recorder();
  try {
    say('Asking for the microphone…');
    await state.recorder.open();
  } catch (e) {
    if (e instanceof MicrophoneError) {
      step.li.dataset.state = `mic-${e.kind}`;
      q('.quality').textContent = e.message;
      q('.quality').className = 'quality bad';
      alertUser(e.message);
      say('The microphone is not available. You can upload recordings instead.');
      return;
    }
    throw e;
  }
  const countdown = q('.countdown');
  const timer = q('.timer');
  const seconds = Number(params.get('countdown') ?? 3);
  state.recording = true; // from here on, leaving the page asks first
  try {
    for (let s = seconds; s > 0; s--) {
      countdown.textContent = `Recording ${describe(branch.modality)} in ${s}…`;
      await sleep(1000);
    }
    countdown.textContent = `Recording now: ${branch.prompt || describe(branch.modality)}`;
    say(`Recording ${describe(branch.modality)}…`);
    q('.stop').hidden = false;
    q('.stop').disabled = false;
    q('.stop').focus();
    const meter = q('.meter');
    const fill = q('.meter-fill');
    const limit = recordSeconds(branch);
    const began = performance.now();
    const tick = () => {
      const left = Math.max(0, Math.ceil(limit - (performance.now() - began) / 1000));
      timer.textContent = `${left} s left`;
    };
    tick();
    timer.hidden = false;
    const interval = setInterval(tick, 200);
    let samples;
    try {
      samples = await state.recorder.record(limit, (peak) => {
        const pct = Math.round(Math.min(1, Math.sqrt(peak)) * 100);
        fill.style.width = `${pct}%`;
        meter.setAttribute('aria-valuenow', String(pct));
      });
    } finally {
      clearInterval(interval);
      timer.hidden = true;
      q('.stop').hidden = true;
      fill.style.width = '0%';
    }
    countdown.textContent = 'Recording finished.';
    await accept(k, { samples, sampleRate: state.recorder.sampleRate, channels: 1, frames: samples.length, source: 'microphone' });
  } finally {
    state.recording = false;
  }
}

async function uploadStep(k, file) {
  if (!file) return;
  const step = state.steps[k];
  step.q('.file').value = '';
  // The step's last microphone status ("Recording finished.") is not about this file.
  step.q('.countdown').textContent = '';
  let audio;
  try {
    audio = await readUpload(file, step.branch);
  } catch (e) {
    if (!(e instanceof AudioInputError)) throw e;
    showRejection(k, e.reason, `${file.name}: ${e.message}`);
    return;
  }
  await accept(k, audio);
}

// A recording that cannot be used: the step forgets its previous one (the
// result must never screen a recording the step no longer shows), the
// message sits in the step and takes focus.
function showRejection(k, reason, message) {
  const step = state.steps[k];
  const { q } = step;
  state.recordings[k] = null;
  const playback = q('.playback');
  if (playback.src) URL.revokeObjectURL(playback.src);
  playback.removeAttribute('src');
  playback.hidden = true;
  q('.quality').textContent = message;
  q('.quality').className = 'quality bad';
  step.li.dataset.state = `rejected-${reason}`;
  say(`${step.name[0].toUpperCase()}${step.name.slice(1)} needs to be recorded again: ${message}`);
  state.focusAfter = q('.quality');
  updateScreenButton();
}

async function accept(k, audio) {
  const step = state.steps[k];
  const { q, branch } = step;
  state.recordings[k] = null;
  updateScreenButton();
  let verdict = checkQuality(audio, branch);
  let note = '';
  // The sound-type model hears 16 kHz audio: a recording made at a lower
  // rate lacks the upper half of what it listens to, and its verdict drops
  // (a cough at 11 kHz scores 18-33 % "cough" instead of 43-93 %). Such a
  // recording is checked for length and level only, and the step says so.
  const gateRate = state.gate ? Math.max(...state.gate.model.branches.map((g) => g.sampleRate)) : 0;
  if (verdict.ok && state.gate && audio.sampleRate < gateRate) {
    note = ` It was made at ${audio.sampleRate / 1000} kHz, too narrow for the sound-type check (${gateRate / 1000} kHz or more), so only its length and level were checked.`;
  } else if (verdict.ok && state.gate) {
    const probabilities = await state.client.call('gate', { audio: pcmOf(audio) });
    const kind = soundTypeVerdict(state.gate, state.gate.model.labels, probabilities, branch);
    if (!kind.ok) verdict = { ...verdict, ...kind };
  }
  if (!verdict.ok) {
    showRejection(k, verdict.reason, verdict.message);
  } else {
    state.recordings[k] = audio;
    q('.quality').textContent = `Recording quality is fine.${note}`;
    q('.quality').className = 'quality good';
    step.li.dataset.state = 'accepted';
    const left = state.recordings.filter((r) => !r).length;
    say(left ? `${step.name[0].toUpperCase()}${step.name.slice(1)} accepted. ${left} recording${left > 1 ? 's' : ''} to go.` :
      'All recordings accepted. Press "Get the result".');
    const next = state.steps.find((s, i) => i > k && !state.recordings[i]) ??
      state.steps.find((s, i) => !state.recordings[i]);
    state.focusAfter = next ? next.q('.record') : $('screen');
  }
  const playback = q('.playback');
  if (playback.src) URL.revokeObjectURL(playback.src);
  playback.src = URL.createObjectURL(new Blob([encodeWav(toFloat(audio), audio.sampleRate)], { type: 'audio/wav' }));
  playback.hidden = false;
  playback.setAttribute('aria-label', `Play back ${step.name}`);
  q('.record').textContent = `Record ${step.name} again`;
  updateScreenButton();
}

function toFloat(audio) {
  const { samples, channels } = audio;
  const scale = samples instanceof Int16Array ? 1 / 32768 : 1;
  const out = new Float32Array(audio.frames);
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (let c = 0; c < channels; c++) s += samples[i * channels + c];
    out[i] = (s * scale) / channels;
  }
  return out;
}
