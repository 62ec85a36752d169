// The screening page: loads the manifest, the engine and the models at
// start-up (the only network requests the page makes), then walks the user
// through one recording per model branch, checks each one, and screens.
import { loadEngine } from './engine.js';
import { Recorder, MicrophoneError } from './recorder.js';
import { checkQuality, checkSoundType, describe } from './quality.js';
import { drawSpectrogram } from './spectrogram.js';
import { parseWav, encodeWav } from './wav.js';
import { say, alertUser, createGuard } from './shared/guard.js';

const t0 = performance.now();
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const state = { recordings: [], steps: [] };
const { guard, isBusy } = createGuard(setButtons);
// Figures and results for tests and the benchmark (never sent anywhere).
window.tm2 = { timings: {}, result: null };

async function fetchBytes(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`cannot fetch ${url} (HTTP ${r.status})`);
  return new Uint8Array(await r.arrayBuffer());
}

// ---- start-up ---------------------------------------------------------

// The service worker caches the default manifest's models at install; a
// page opened with another manifest (?manifest=...) asks it to keep that
// manifest and its models too, so the page still opens offline.
// body[data-offline="ready"] tells when everything is kept.
function keepOffline(urls) {
  if (!('serviceWorker' in navigator) || params.get('sw') === 'off') return;
  navigator.serviceWorker.ready.then((reg) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => { document.body.dataset.offline = 'ready'; };
    reg.active?.postMessage({ type: 'keep', urls: urls.map((u) => u.href) }, [channel.port2]);
  }).catch(() => {});
}

async function start() {
  if ('serviceWorker' in navigator && params.get('sw') !== 'off') {
    navigator.serviceWorker.register('sw.js').catch((e) => {
      console.warn('service worker not registered:', e);
    });
  }
  const manifestUrl = new URL(params.get('manifest') ?? 'models/manifest.json', location.href);
  if (manifestUrl.origin !== location.origin) throw new Error('the manifest must come from this site');
  const manifest = await (await fetch(manifestUrl)).json();
  const screening = manifest.screening;
  const engineBase = new URL('engine/', location.href);
  const tLoad = performance.now();
  const [engine, modelBytes] = await Promise.all([
    loadEngine({ base: engineBase, variant: params.get('engine') ?? undefined }),
    fetchBytes(new URL(screening.url, manifestUrl)),
  ]);
  const model = engine.load(modelBytes);
  window.tm2.timings.engineAndModelMs = performance.now() - tLoad;
  state.engine = engine;
  state.model = model;
  state.screening = screening;
  state.gate = null;
  if (manifest.gate) {
    const gateEngine = await loadEngine({ base: engineBase, variant: engine.variant });
    gateEngine.load(await fetchBytes(new URL(manifest.gate.url, manifestUrl)));
    state.gate = { engine: gateEngine, labels: manifest.gate.labels ?? {}, threshold: manifest.gate.threshold ?? 0.5 };
  }
  keepOffline([manifestUrl, new URL(screening.url, manifestUrl),
    ...(manifest.gate ? [new URL(manifest.gate.url, manifestUrl)] : [])]);
  describeModel(model, screening, engine);
  buildSteps(model);
  $('start').disabled = !$('consent').checked;
  window.tm2.timings.interactiveMs = performance.now() - t0;
  document.body.dataset.ready = 'true';
  say('Ready. Read the notes below, then tick the box to start.');
}

function describeModel(model, screening, engine) {
  const card = $('model-card');
  card.textContent = '';
  const title = document.createElement('strong');
  title.textContent = screening.test ? `Test model — outputs mean nothing. ` : `${screening.title ?? model.name}. `;
  card.append(title, screening.note ?? model.description ?? '');
  card.classList.toggle('test-model', !!screening.test);
  const gateNote = state.gate
    ? 'A sound-type model checks that each recording is the kind of sound asked for.'
    : 'No sound-type model is installed yet, so the page cannot check that a recording is the kind of sound asked for (only its length and level are checked).';
  const p = document.createElement('span');
  p.className = 'gate-note';
  p.textContent = ` ${gateNote}`;
  card.append(p);
  $('engine-info').textContent =
    `Engine: ${engine.variant === 'simd' ? 'WebAssembly SIMD' : 'WebAssembly without SIMD (slower, same results)'}, ` +
    `model ${model.name} (${(model.modelBytes / 1024).toFixed(1)} KB, ${(model.arenaBytes / 1024).toFixed(0)} KB working memory).`;
}

// ---- the recording steps ---------------------------------------------

function recordSeconds(branch) {
  const want = Number(params.get('seconds') ?? state.screening.recordSeconds ?? 5);
  return Math.min(branch.maxSeconds, Math.max(branch.minSeconds + 0.5, want));
}

function buildSteps(model) {
  const list = $('step-list');
  list.textContent = '';
  state.steps = model.branches.map((branch, b) => {
    const li = $('step-template').content.firstElementChild.cloneNode(true);
    const q = (c) => li.querySelector(c);
    li.id = `step-${b}`;
    li.dataset.modality = branch.modality;
    q('.step-title').textContent = `Step ${b + 1} of ${model.branches.length}: ${describe(branch.modality)}`;
    const prompt = branch.prompt || `Record ${describe(branch.modality)}`;
    q('.prompt').textContent = `${/[.!?]$/.test(prompt) ? prompt : `${prompt}.`} ` +
      `Recording lasts ${recordSeconds(branch).toFixed(0)} seconds (at least ${branch.minSeconds} s counts).`;
    q('.record').setAttribute('aria-label', `Record ${describe(branch.modality)}`);
    q('.file').setAttribute('aria-label', `Upload a recording of ${describe(branch.modality)}`);
    q('.meter').setAttribute('aria-label', `Input level for ${describe(branch.modality)}`);
    q('.record').addEventListener('click', () => guard(() => recordStep(b)));
    q('.stop').addEventListener('click', () => state.recorder?.stop());
    q('.file').addEventListener('change', (e) => guard(() => uploadStep(b, e.target.files[0])));
    list.append(li);
    return { li, q, branch };
  });
  state.recordings = model.branches.map(() => null);
  updateScreenButton();
}

function setButtons(disabled) {
  for (const s of state.steps) {
    s.q('.record').disabled = disabled;
    s.q('.file').disabled = disabled;
  }
  $('screen').disabled = disabled || !state.recordings.every((r) => r);
}

function updateScreenButton() {
  $('screen').disabled = isBusy() || !state.recordings.every((r) => r);
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function recordStep(b) {
  const step = state.steps[b];
  const { q, branch } = step;
  state.recorder ??= new Recorder();
  try {
    say('Asking for the microphone…');
    await state.recorder.open();
  } catch (e) {
    if (e instanceof MicrophoneError) {
      step.li.dataset.state = `mic-${e.kind}`;
      q('.quality').textContent = e.message;
      alertUser(e.message);
      say('The microphone is not available. You can upload recordings instead.');
      return;
    }
    throw e;
  }
  const countdown = q('.countdown');
  const seconds = Number(params.get('countdown') ?? 3);
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
  const samples = await state.recorder.record(recordSeconds(branch), (peak) => {
    const pct = Math.round(Math.min(1, Math.sqrt(peak)) * 100);
    fill.style.width = `${pct}%`;
    meter.setAttribute('aria-valuenow', String(pct));
  });
  q('.stop').hidden = true;
  fill.style.width = '0%';
  countdown.textContent = 'Recording finished.';
  accept(b, { samples, sampleRate: state.recorder.sampleRate, channels: 1, frames: samples.length, source: 'microphone' });
  q('.record').focus();
}

async function uploadStep(b, file) {
  if (!file) return;
  const bytes = await file.arrayBuffer();
  let audio = null;
  try {
    audio = parseWav(bytes);
  } catch (e) {
    throw new Error(`${file.name}: ${e.message}`);
  }
  if (!audio) {
    // Not WAV: let the browser decode it (FLAC, OGG, MP3, ...). Decoding
    // resamples to the context's rate; 48 kHz loses nothing the models use.
    const ctx = new OfflineAudioContext(1, 1, 48000);
    let buf;
    try {
      buf = await ctx.decodeAudioData(bytes.slice(0));
    } catch {
      throw new Error(`${file.name}: this browser cannot decode this audio file. Try WAV.`);
    }
    const mono = new Float32Array(buf.length);
    for (let c = 0; c < buf.numberOfChannels; c++) {
      const d = buf.getChannelData(c);
      for (let i = 0; i < d.length; i++) mono[i] += d[i] / buf.numberOfChannels;
    }
    audio = { samples: mono, sampleRate: buf.sampleRate, channels: 1, frames: mono.length };
  }
  audio.source = `file ${file.name}`;
  const step = state.steps[b];
  step.q('.file').value = '';
  accept(b, audio);
}

function accept(b, audio) {
  const step = state.steps[b];
  const { q, branch } = step;
  state.recordings[b] = null;
  let verdict = checkQuality(audio, branch);
  if (verdict.ok) {
    const kind = checkSoundType(state.gate, audio, branch);
    if (!kind.ok) verdict = { ...verdict, ...kind };
  }
  const playback = q('.playback');
  if (playback.src) URL.revokeObjectURL(playback.src);
  playback.src = URL.createObjectURL(new Blob([encodeWav(toFloat(audio), audio.sampleRate)], { type: 'audio/wav' }));
  playback.hidden = false;
  playback.setAttribute('aria-label', `Play back the recording of ${describe(branch.modality)}`);
  q('.quality').textContent = verdict.message;
  q('.quality').className = `quality ${verdict.ok ? 'good' : 'bad'}`;
  step.li.dataset.state = verdict.ok ? 'accepted' : `rejected-${verdict.reason}`;
  q('.record').textContent = 'Record again';
  if (verdict.ok) {
    state.recordings[b] = audio;
    const left = state.recordings.filter((r) => !r).length;
    say(left ? `${describe(branch.modality)} accepted. ${left} recording${left > 1 ? 's' : ''} to go.` :
      'All recordings accepted. Press "Get the result".');
  } else {
    say(`${describe(branch.modality)} needs to be recorded again: ${verdict.message}`);
  }
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

// ---- screening -------------------------------------------------------

function positiveIndex() {
  const label = state.screening.positiveLabel ?? state.model.metadata.positive_label;
  const i = label ? state.model.labels.indexOf(label) : -1;
  return i;
}

async function screen() {
  const { engine, model, recordings } = state;
  say('Computing…');
  recordings.forEach((a, b) => engine.setInput(b, a.samples, a.sampleRate, a.channels));
  const full = engine.invoke();
  const features = model.branches.map((_, b) => engine.features(b));
  const computeMs = full.preprocessMs + full.inferenceMs;
  // What each recording contributed: the shown probability with that
  // recording replaced by silence, every other recording kept.
  const shown = positiveIndex() >= 0 ? positiveIndex() : argmax(full.probabilities);
  const contributions = model.branches.map((branch, b) => {
    engine.setInput(b, new Float32Array(Math.ceil(branch.maxSeconds * branch.sampleRate)), branch.sampleRate, 1);
    const p = engine.invoke().probabilities[shown];
    engine.setInput(b, recordings[b].samples, recordings[b].sampleRate, recordings[b].channels);
    return full.probabilities[shown] - p;
  });
  const result = {
    labels: model.labels,
    probabilities: Array.from(full.probabilities),
    logits: Array.from(full.logits),
    shown,
    contributions,
    preprocessMs: full.preprocessMs,
    inferenceMs: full.inferenceMs,
    computeMs,
  };
  window.tm2.result = result;
  renderResult(result, features);
  say(`Result ready, computed in ${computeMs.toFixed(1)} ms.`);
}

function argmax(a) {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

const pct = (p) => `${(p * 100).toFixed(0)} %`;

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function renderResult(r, features) {
  const body = $('result-body');
  body.textContent = '';
  const { screening, model } = state;
  const p = r.probabilities[r.shown];
  const label = model.labels[r.shown];
  const u = Number(screening.uncertainty ?? model.metadata.uncertainty ?? NaN);
  let words;
  if (positiveIndex() >= 0) {
    const level = p < 0.25 ? 'low' : p < 0.6 ? 'unclear' : 'raised';
    words = `The model gives a ${level} probability, ${pct(p)}, that these recordings belong to the group "${label}".`;
  } else {
    words = `The model's most likely answer is "${label}", with a probability of ${pct(p)}.`;
  }
  const uncertainty = Number.isFinite(u)
    ? `Its uncertainty is about ±${pct(u)}: the true figure could be anywhere from ${pct(Math.max(0, p - u))} to ${pct(Math.min(1, p + u))}.`
    : 'This model states no calibration uncertainty, so treat the number as rough.';
  if (screening.test) {
    body.append(el('p', { class: 'test-model' },
      el('strong', {}, 'Test model — outputs mean nothing. '),
      'The numbers below only show that the page works.'));
  }
  body.append(el('p', { class: 'headline', id: 'headline' }, words));
  body.append(el('p', {}, uncertainty,
    ' This is not a diagnosis: it says how similar your sounds are to recordings the model was trained on, not whether you are ill.'));

  const table = el('table', { id: 'probabilities' },
    el('caption', {}, 'Probability per class'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'class'), el('th', { scope: 'col' }, 'probability'))));
  const tbody = el('tbody');
  r.labels.forEach((l, i) => tbody.append(el('tr', {}, el('th', { scope: 'row' }, l),
    el('td', { 'data-label': l }, r.probabilities[i].toFixed(4)))));
  table.append(tbody);
  body.append(table);

  body.append(el('h3', {}, 'What each recording contributed'));
  const list = el('ul', { class: 'recordings' });
  model.branches.forEach((branch, b) => {
    const c = r.contributions[b];
    const canvas = el('canvas', {
      class: 'spectrogram', role: 'img',
      'aria-label': `Spectrogram of the ${describe(branch.modality)} recording: time from left to right, pitch from bottom to top, brightness is loudness.`,
    });
    drawSpectrogram(canvas, features[b]);
    const rec = state.recordings[b];
    list.append(el('li', {},
      el('strong', {}, `${describe(branch.modality)}: `),
      `${c >= 0 ? '+' : '−'}${Math.abs(c * 100).toFixed(1)} points on "${label}" compared with silence in its place `,
      el('span', { class: 'source' }, `(${rec.source}, ${(rec.frames / rec.sampleRate).toFixed(1)} s at ${rec.sampleRate} Hz)`),
      canvas));
  });
  body.append(list);
  body.append(el('p', { id: 'compute-time' },
    `Computed on this device in ${r.computeMs.toFixed(1)} ms: preprocessing ${r.preprocessMs.toFixed(1)} ms, ` +
    `inference ${r.inferenceMs.toFixed(2)} ms (${state.engine.model.kernels}). Nothing was sent anywhere.`));
  $('result').hidden = false;
  $('result').focus();
}

// ---- wiring ----------------------------------------------------------

$('consent').addEventListener('change', () => {
  $('start').disabled = !$('consent').checked || !state.engine;
});
$('consent-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!$('consent').checked || !state.engine) return;
  $('steps').hidden = false;
  say(`Step 1 of ${state.model.branches.length}: ${describe(state.model.branches[0].modality)}.`);
  state.steps[0]?.q('.record').focus();
});
$('screen').addEventListener('click', () => guard(screen));
$('again').addEventListener('click', () => {
  $('result').hidden = true;
  buildSteps(state.model);
  say('Start again: record each sound.');
  state.steps[0]?.q('.record').focus();
});
window.addEventListener('pagehide', () => state.recorder?.close());

start().catch((e) => {
  console.error(e);
  alertUser(`The screening could not start: ${e.message}`);
  say('Not available.');
  document.body.dataset.ready = 'error';
});
