// The screening page: loads the manifest, then the engine and the models in
// a worker (engine-worker.js; these are the only network requests the page
// makes), walks the user through the recordings the model asks for (one
// per branch, `takes` times), checks each one and screens them.
import { EngineClient } from './engine-client.js';
import { describe } from './quality.js';
import { say, alertUser } from './shared/guard.js';
import { combineTakes } from './result.js';
import { $, params, state, run, takesPerBranch, pcmOf } from './page-state.js';
import { buildSteps } from './steps.js';
import { renderResult } from './result-view.js';

const t0 = performance.now();
// Figures and results for tests and the benchmark (never sent anywhere).
window.tm2 = { timings: {}, result: null, engineIn: 'worker' };

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
    `Engine: ${{ relaxed: 'WebAssembly relaxed SIMD', simd: 'WebAssembly SIMD' }[variant] ?? 'WebAssembly without SIMD (slower, same results)'}, ` +
    (pack ? `one models file (${pack.join(', ')}) ` : `model file ${model.name} `) +
    `${(model.modelBytes / 1024).toFixed(1)} KB, ${(model.arenaBytes / 1024).toFixed(0)} KB working memory.`;
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
