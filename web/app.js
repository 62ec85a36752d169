// The screening page: loads the manifest, then the engine and the models in
// a worker (engine-worker.js; these are the only network requests the page
// makes), walks the user through the recordings the model asks for (one
// per branch, `takes` times), checks each one and screens them.
import { EngineClient } from './engine-client.js';
import { Recorder, MicrophoneError } from './recorder.js';
import { checkQuality, soundTypeVerdict, describe } from './quality.js';
import { drawSpectrogram } from './spectrogram.js';
import { encodeWav } from './wav.js';
import { readUpload, AudioInputError } from './shared/audio-input.js';
import { say, alertUser, createGuard } from './shared/guard.js';
import { combineTakes } from './result.js';

const t0 = performance.now();
const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const state = { recordings: [], steps: [], focusAfter: null, recording: false };
const { guard, isBusy } = createGuard(setButtons);
// Figures and results for tests and the benchmark (never sent anywhere).
window.tm2 = { timings: {}, result: null, engineIn: 'worker' };

// Runs a user action one at a time; afterwards moves focus to where the
// action asked (buttons are disabled while it runs, so focusing them inside
// the action would drop focus to <body>). An error the action did not
// handle goes to the alert, which takes focus.
async function run(fn) {
  state.focusAfter = null;
  await guard(fn);
  const target = !$('alert').hidden ? $('alert') : state.focusAfter;
  state.focusAfter = null;
  if (target) {
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'center' });
  }
}

async function fetchJson(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch {
    throw new Error(`the ${what} could not be downloaded (no connection). Connect to the internet and reload the page.`);
  }
  if (!res.ok) throw new Error(`the ${what} is missing on the server (${url.pathname}: HTTP ${res.status}). Reload the page later.`);
  try {
    return await res.json();
  } catch {
    throw new Error(`the ${what} (${url.pathname}) is damaged.`);
  }
}

// ---- start-up ---------------------------------------------------------

// The service worker caches the default manifest's files at install; a
// page opened with another manifest (?manifest=...) asks it to keep that
// manifest and its files too, so the page still opens offline.
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
  const manifest = await fetchJson(manifestUrl, 'list of models');
  const screening = manifest.screening;
  const at = (u) => new URL(u, manifestUrl);
  const tLoad = performance.now();
  const client = await EngineClient.start({
    base: new URL('engine/', location.href).href,
    variant: params.get('engine') ?? undefined,
    screening: at(screening.url).href,
    gate: manifest.gate ? at(manifest.gate.url).href : null,
    // One download for both models when the manifest names a pack.
    pack: manifest.pack
      ? { url: at(manifest.pack.url).href, screening: manifest.pack.screening, gate: manifest.gate ? manifest.pack.gate : null }
      : null,
  });
  window.tm2.timings.engineAndModelMs = performance.now() - tLoad;
  state.client = client;
  state.model = client.info.screening;
  state.screening = screening;
  state.gate = manifest.gate
    ? { labels: manifest.gate.labels ?? {}, threshold: manifest.gate.threshold ?? 0.5, model: client.info.gate, card: manifest.gate.card && at(manifest.gate.card) }
    : null;
  const modelFiles = manifest.pack ? [at(manifest.pack.url)]
    : [at(screening.url), ...(manifest.gate ? [at(manifest.gate.url)] : [])];
  keepOffline([manifestUrl, ...modelFiles,
    ...(screening.card ? [at(screening.card)] : []),
    ...(state.gate?.card ? [state.gate.card] : [])]);
  describeModel(state.model, screening, client.info.variant, screening.card && at(screening.card), client.info.pack);
  buildSteps(state.model);
  $('start').disabled = !$('consent').checked;
  window.tm2.timings.interactiveMs = performance.now() - t0;
  document.body.dataset.ready = 'true';
  say('Ready. Tick the box, then press Start.');
}

const takesPerBranch = () => Math.max(1, Math.round(Number(state.screening.takes ?? 1)));

function joinWords(words) {
  return words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

function describeModel(model, screening, variant, cardUrl, pack) {
  // The title and the request follow the model: what its branches record.
  const kinds = [...new Set(model.branches.map((b) => b.modality))];
  const names = { cough: 'cough', speech: 'speech', breath: 'breath' };
  const title = joinWords(kinds.map((k) => names[k] ?? k));
  $('title').textContent = `${title[0].toUpperCase()}${title.slice(1)} check`;
  document.title = `tinym2 — ${title} check (research demo)`;
  const n = takesPerBranch();
  const what = joinWords(model.branches.map((b) => describe(b.modality)));
  $('purpose').textContent = screening.purpose ? ` ${screening.purpose}` : '';
  $('ask').textContent = n > 1
    ? `${['', 'one', 'two', 'three', 'four', 'five'][n] ?? n} separate recordings of ${what}`
    : `${model.branches.length > 1 ? `${model.branches.length} short recordings: ` : 'a short recording of '}${what}`;

  const card = $('model-card');
  card.textContent = '';
  const head = document.createElement('strong');
  head.textContent = screening.test ? 'Test model — outputs mean nothing. ' : `${screening.title ?? model.name}. `;
  card.append(head, screening.note ?? model.description ?? '');
  card.classList.toggle('test-model', !!screening.test);
  const gateNote = state.gate
    ? ' A sound-type model checks that each recording is the kind of sound asked for.'
    : ' No sound-type model is installed yet, so the page cannot check that a recording is the kind of sound asked for (only its length and level are checked).';
  card.append(gateNote);
  const links = [];
  if (cardUrl) links.push(['The model card', cardUrl, 'models-card-link']);
  if (state.gate?.card) links.push(['the sound check\'s model card', state.gate.card, 'gate-card-link']);
  if (links.length) {
    card.append(' Read more: ');
    links.forEach(([text, url, id], i) => {
      const a = document.createElement('a');
      a.href = url.href;
      a.id = id;
      a.textContent = text;
      card.append(i ? ', ' : '', a);
    });
    card.append('.');
  }
  $('engine-info').textContent =
    `Engine: ${variant === 'simd' ? 'WebAssembly SIMD' : 'WebAssembly without SIMD (slower, same results)'}, ` +
    (pack ? `one models file (${pack.join(', ')}) ` : `model file ${model.name} `) +
    `${(model.modelBytes / 1024).toFixed(1)} KB, ${(model.arenaBytes / 1024).toFixed(0)} KB working memory.`;
}

// ---- the recording steps ---------------------------------------------

function recordSeconds(branch) {
  const want = Number(params.get('seconds') ?? state.screening.recordSeconds ?? 5);
  return Math.min(branch.maxSeconds, Math.max(branch.minSeconds + 0.5, want));
}

function buildSteps(model) {
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

const pcmOf = (a) => ({ samples: a.samples, sampleRate: a.sampleRate, channels: a.channels });

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
  return label ? state.model.labels.indexOf(label) : -1;
}

async function screen() {
  const { client, model, recordings } = state;
  if (!recordings.every((r) => r)) throw new Error('Every step needs a good recording first.');
  say('Computing…');
  const takes = takesPerBranch();
  const inputsOf = (t) => model.branches.map((_, b) => pcmOf(recordings[t * model.branches.length + b]));
  const runs = [];
  const alignments = Math.max(1, Math.round(Number(state.screening.alignments ?? 1)));
  const span = Number(state.screening.alignmentSeconds ?? 0);
  for (let t = 0; t < takes; t++) runs.push(await client.call('screen', { inputs: inputsOf(t), alignments, span }));
  const pos = positiveIndex();
  const combined = combineTakes(runs.map((r) => r.probabilities), {
    positive: pos, spreadLimit: state.screening.spreadLimit, bands: state.screening.bands,
  });
  const shown = pos >= 0 ? pos : argmax(combined.probabilities);
  // What each recording contributed (models with several branches): the
  // shown probability with that recording replaced by silence.
  const contributions = model.branches.length > 1
    ? await Promise.all(model.branches.map(async (_, b) =>
      combined.probabilities[shown] - (await client.call('silence', { inputs: inputsOf(0), branch: b }))[shown]))
    : null;
  const preprocessMs = runs.reduce((s, r) => s + r.preprocessMs, 0);
  const inferenceMs = runs.reduce((s, r) => s + r.inferenceMs, 0);
  const result = {
    labels: model.labels,
    ...combined,
    logits: runs[0].logits,
    // Per take, the model's probabilities at each alignment (the first is
    // what the native CLI computes for the same file).
    alignments: runs.map((r) => r.alignments),
    shown,
    contributions,
    preprocessMs,
    inferenceMs,
    computeMs: preprocessMs + inferenceMs,
    kernels: runs[0].kernels,
  };
  window.tm2.result = result;
  renderResult(result, runs.map((r) => r.features));
  say('Result ready.');
}

function argmax(a) {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function headline(r) {
  const s = state.screening;
  const groups = s.groups ?? {};
  const pos = groups.positive ?? `recordings labelled "${state.model.labels[r.shown]}"`;
  const neg = groups.negative ?? 'the other recordings';
  const many = takesPerBranch() > 1 ? 'recordings' : 'recording';
  return {
    unstable: [`No result: your ${many} disagreed.`,
      `The model gave your ${many} very different scores, so any single figure would mislead. ` +
      'You may record again in a quiet place; if the answer keeps changing, this model cannot say anything about your sounds.'],
    low: [`Your ${many} sound more like the ${neg}.`, `This does not mean that you are well${s.condition ? ` or free of ${s.condition}` : ''}.`],
    middle: ['The model cannot place your recordings.', `They sit between the ${neg} and the ${pos}.`],
    high: [`Your ${many} sound more like the ${pos}.`, `This does not mean that you are ill${s.condition ? ` or have ${s.condition}` : ''}.`],
  }[r.category];
}

function renderResult(r, features) {
  const body = $('result-body');
  body.textContent = '';
  const { screening, model } = state;
  const label = model.labels[r.shown];
  body.dataset.category = r.category ?? 'none';
  if (screening.test) {
    body.append(el('p', { class: 'test-model' },
      el('strong', {}, 'Test model — outputs mean nothing. '),
      'The numbers below only show that the page works.'));
  }
  if (r.category) {
    const [head, more] = headline(r);
    body.append(el('p', { class: 'headline', id: 'headline' }, head));
    body.append(el('p', {}, more));
    body.append(el('h3', {}, 'What this means'));
    body.append(el('p', { id: 'meaning' }, screening.meaning ?? screening.note ?? ''));
    body.append(el('p', { class: 'not-diagnosis' }, el('strong', {}, 'This is not a diagnosis. '),
      'If you feel unwell or are worried, talk to a doctor or your local health service, whatever this page says.'));
  } else {
    body.append(el('p', { class: 'headline', id: 'headline' },
      `The model's most likely answer is "${label}", with a probability of ${(r.probabilities[r.shown] * 100).toFixed(0)} %.`));
    body.append(el('p', {}, 'This is not a diagnosis: it says how similar your sounds are to recordings the model was trained on, not whether you are ill.'));
  }
  if (r.category === 'unstable') {
    finish();
    return;
  }
  const details = el('details', { id: 'details', open: '' }, el('summary', {}, 'Details'));
  if (r.takes.length > 1) {
    const t = el('table', { id: 'takes' }, el('caption', {}, `Score of each recording for "${label}" (0 to 100)`),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'recording'), el('th', { scope: 'col' }, 'score'))));
    const tb = el('tbody');
    r.takes.forEach((p, i) => tb.append(el('tr', {}, el('th', { scope: 'row' }, `${i + 1}`), el('td', {}, (p[r.shown] * 100).toFixed(0)))));
    t.append(tb);
    details.append(t, el('p', {}, `The result uses the middle one (median) of these scores. Scores under ${(r.bands[0] * 100).toFixed(0)} count as one side, ` +
      `over ${(r.bands[1] * 100).toFixed(0)} as the other, and recordings that differ by more than ${(r.spreadLimit * 100).toFixed(0)} give no result.`));
  }
  const table = el('table', { id: 'probabilities' },
    el('caption', {}, r.takes.length > 1 ? 'Model output per class (median of the recordings)' : 'Model output per class'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'class'), el('th', { scope: 'col' }, 'probability'))));
  const tbody = el('tbody');
  r.labels.forEach((l, i) => tbody.append(el('tr', {}, el('th', { scope: 'row' }, l),
    el('td', { 'data-label': l }, r.probabilities[i].toFixed(4)))));
  table.append(tbody);
  details.append(table);
  const list = el('ul', { class: 'recordings' });
  state.steps.forEach((step, k) => {
    const f = features[step.t][step.b];
    const canvas = el('canvas', {
      class: 'spectrogram', role: 'img',
      'aria-label': `Spectrogram of ${step.name}: time from left to right, pitch from bottom to top, brightness is loudness.`,
    });
    drawSpectrogram(canvas, f);
    const rec = state.recordings[k];
    const c = r.contributions?.[step.b];
    list.append(el('li', {},
      el('strong', {}, `${step.name[0].toUpperCase()}${step.name.slice(1)}: `),
      c == null ? '' : `${c >= 0 ? '+' : '−'}${Math.abs(c * 100).toFixed(1)} points on "${label}" compared with silence in its place `,
      el('span', { class: 'source' }, `(${rec.source}, ${(rec.frames / rec.sampleRate).toFixed(1)} s at ${rec.sampleRate} Hz)`),
      canvas));
  });
  details.append(el('h3', {}, r.contributions ? 'What each recording contributed' : 'The recordings as the model hears them'), list);
  details.append(el('p', { id: 'compute-time' },
    `Computed on this device in ${r.computeMs.toFixed(1)} ms: preprocessing ${r.preprocessMs.toFixed(1)} ms, ` +
    `inference ${r.inferenceMs.toFixed(2)} ms (${r.kernels}). Nothing was sent anywhere.`));
  body.append(details);
  finish();
}

function finish() {
  $('result').hidden = false;
  $('result').focus();
  $('result').scrollIntoView({ block: 'start' });
}

// ---- wiring ----------------------------------------------------------

$('consent').addEventListener('change', () => {
  $('start').disabled = !$('consent').checked || !state.client;
});
$('consent-form').addEventListener('submit', (e) => {
  e.preventDefault();
  if (!$('consent').checked || !state.client) return;
  $('steps').hidden = false;
  say(`${state.steps[0].q('.step-title').textContent}.`);
  state.steps[0]?.q('.record').focus();
});
$('screen').addEventListener('click', () => run(screen));
$('again').addEventListener('click', () => {
  $('result').hidden = true;
  buildSteps(state.model);
  say('Start again: record each sound.');
  state.steps[0]?.q('.record').focus();
});
// Closing or reloading the tab while recording would lose the recording
// without a word: the browser asks first.
window.addEventListener('beforeunload', (e) => {
  if (!state.recording) return;
  e.preventDefault();
  e.returnValue = '';
});
window.addEventListener('pagehide', () => state.recorder?.close());

start().catch((e) => {
  console.error(e);
  alertUser(`The page could not start: ${e.message}`);
  say('Not available.');
  document.body.dataset.ready = 'error';
  $('alert').focus();
});
