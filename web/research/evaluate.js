// Research mode's evaluation screen: models (.tm2) checked and run in a Web
// Worker (eval-worker.js), recordings from a ZIP, a folder or the stored
// sessions, the predictions table, metrics, confusion matrix and CSV.
// Recordings longer than a branch takes are refused (the one length policy, shared/audio-input.js),
// never cut. Decoded audio is cached within a byte budget (audio-cache.js).
import { say } from '../shared/guard.js';
import { checkLength, readUpload, AudioInputError } from '../shared/audio-input.js';
import { readZip, findDataset } from './archive.js';
import { evaluationItems, takePath, csvField } from './manifest.js';
import { computeMetrics, argmax } from './metrics.js';
import { labelQuestion } from './protocol.js';
import { AudioCache, DEFAULT_CACHE_BYTES } from './audio-cache.js';

const $ = (id) => document.getElementById(id);
const INPUTS = ['model-file', 'model-select', 'eval-zip', 'eval-folder', 'eval-stored'];

// ctx: {el, guard, isBusy, store, engineBase, variant, download, cacheBytes}
export function setupEvaluation(ctx) {
  const { el, guard, isBusy } = ctx;
  const state = {
    models: [], model: null, modelName: '', data: null, queue: [],
    cache: new AudioCache(ctx.cacheBytes ?? DEFAULT_CACHE_BYTES),
  };

  // ---- the worker --------------------------------------------------
  let worker = null;
  let ready = null;
  let seq = 0;
  const waiting = new Map();
  function call(type, msg = {}) {
    if (!worker) {
      worker = new Worker(new URL('eval-worker.js', import.meta.url), { type: 'module' });
      worker.onmessage = (e) => {
        const w = waiting.get(e.data.id);
        waiting.delete(e.data.id);
        if (e.data.ok) w.resolve(e.data.result);
        else w.reject(new Error(e.data.error));
      };
      worker.onerror = (e) => {
        for (const w of waiting.values()) w.reject(new Error(`the evaluation worker failed (${e.message ?? 'no message'})`));
        waiting.clear();
      };
    }
    return new Promise((resolve, reject) => {
      const id = ++seq;
      waiting.set(id, { resolve, reject });
      worker.postMessage({ id, type, ...msg });
    });
  }
  const start = () => (ready ??= call('init', { base: ctx.engineBase.href, variant: ctx.variant }));
  const engine = (type, msg) => start().then(() => call(type, msg));

  // ---- one evaluation action at a time; later ones queue -------------
  // A model or recordings picked while an evaluation runs (a file dialog
  // opened before it started) wait for it, with a visible note; they are
  // never dropped.
  function act(fn, what) {
    if (isBusy()) {
      state.queue.push({ fn, what });
      showQueue();
      say(`Queued: ${what}. It starts when the current work ends.`);
      return;
    }
    guard(fn);
  }
  function showQueue() {
    $('eval-queue').textContent = state.queue.length
      ? `Queued: ${state.queue.map((q) => q.what).join('; ')}. ${state.queue.length === 1 ? 'It starts' : 'They start'} when the current work ends.`
      : '';
  }
  function drain() {
    if (isBusy() || !state.queue.length) return;
    const { fn } = state.queue.shift();
    showQueue();
    guard(fn);
  }

  function setBusy(busy) {
    for (const id of INPUTS) $(id).disabled = busy || (id === 'model-select' && !state.models.length);
    $('evaluate').setAttribute('aria-busy', String(busy));
    if (!busy) queueMicrotask(drain);
  }

  // ---- models ------------------------------------------------------
  // Each file is verified by a second engine instance in the worker, so a
  // rejected file leaves the model in use loaded and usable.
  async function addModels(files) {
    const problems = [];
    let added = 0;
    for (const file of files) {
      const bytes = new Uint8Array(await file.arrayBuffer());
      try {
        const info = await engine('check', { bytes });
        state.models.push({ name: file.name, bytes, info });
        added++;
      } catch (e) {
        problems.push(`${file.name} is not a usable model (${e.message}).`);
      }
    }
    const select = $('model-select');
    if (added) {
      select.textContent = '';
      state.models.forEach((m, i) => select.append(el('option', { value: String(i), text: m.name })));
      select.value = String(state.models.length - 1);
      await useModel(state.models.length - 1);
    }
    if (problems.length) {
      const still = state.model ? ` The model in use is still ${state.modelName}.` : '';
      throw new Error(`${problems.join(' ')}${still}`);
    }
  }

  async function useModel(i) {
    const m = state.models[i];
    $('model-select').value = String(i);
    state.model = await engine('use', { bytes: m.bytes });
    state.modelName = m.name;
    const info = state.model;
    $('model-info').textContent = `${m.name}: ${info.name}, labels ${info.labels.join(', ')}; ` +
      `${info.branches.length} branch${info.branches.length > 1 ? 'es' : ''} ` +
      `(${info.branches.map((b) => `${b.modality} ${b.sampleRate} Hz, up to ${b.maxSeconds} s`).join(', ')}), ${(info.modelBytes / 1024).toFixed(1)} KB.`;
    say(`Model ${m.name} in use.`);
    if (state.data) await evaluate();
  }

  // ---- recordings --------------------------------------------------
  async function setData(files, source) {
    const data = findDataset(files);
    state.data = { ...data, files, source };
    state.cache.clear();
    $('eval-source').textContent = `${source}: ${data.rows.length} recording${data.rows.length === 1 ? '' : 's'}` +
      `${data.labelled ? ` with labels from ${data.csvPath}` : ', no manifest.csv (no labels, no metrics)'}.`;
    if (state.model) await evaluate();
    else say('Recordings loaded; pick a model to evaluate.');
  }

  async function fromZip(file) {
    if (!file) return;
    await setData(readZip(new Uint8Array(await file.arrayBuffer())), file.name);
  }

  async function fromFolder(fileList) {
    const files = new Map();
    for (const f of fileList) files.set(f.webkitRelativePath || f.name, new Uint8Array(await f.arrayBuffer()));
    const top = [...files.keys()][0]?.split('/')[0] ?? 'folder';
    await setData(files, `folder ${top}`);
  }

  async function fromStore() {
    const files = new Map();
    const rows = [];
    for (const s of await ctx.store.listSessions()) {
      const label = s.answers?.[labelQuestion(s.protocol).id];
      for (const t of await ctx.store.listTakes(s.id, { withAudio: true })) {
        const path = takePath(s.participant, t.task, t.take);
        files.set(path, new Uint8Array(t.wav));
        rows.push({ path, label: label ?? '', group: s.participant, modality: t.modality, split: s.split ?? '' });
      }
    }
    if (!rows.length) throw new Error('No takes are stored yet.');
    const csv = ['path,label,group,modality,split', ...rows.map((r) =>
      [r.path, r.label, r.group, r.modality, r.split].map(csvField).join(','))].join('\n');
    if (rows.every((r) => r.label)) files.set('manifest.csv', new TextEncoder().encode(csv));
    await setData(files, 'stored sessions');
  }

  // Decoded audio for a path, read by the same checks as every upload
  // (shared/audio-input.js): WAV as its samples at its own rate (what the
  // CLI reads), other formats through the browser's decoder at 48 kHz
  // (OfflineAudioContext exists on the main thread only, so decoding
  // stays here and only inference runs in the worker). A file that cannot
  // be read throws an AudioInputError with the shared plain message.
  async function audioFor(path) {
    const hit = state.cache.get(path);
    if (hit) return hit;
    const bytes = state.data.files.get(path);
    const file = new Blob([bytes]);
    Object.defineProperty(file, 'name', { value: path.split('/').pop() });
    const audio = await readUpload(file);
    state.cache.set(path, audio);
    return audio;
  }

  async function evaluate() {
    const model = state.model;
    const { rows, labelled } = state.data;
    const { items, skipped } = evaluationItems(rows, model.branches);
    if (!items.length) {
      throw new Error(`None of the recordings fits this model (it needs ${model.branches.map((b) => b.modality).join(' + ')} per group).`);
    }
    window.research.evalRunning = true;
    say(`Evaluating ${items.length} item${items.length === 1 ? '' : 's'}…`);
    const t0 = performance.now();
    const results = [];
    const refused = [];
    try {
      for (const [n, item] of items.entries()) {
        const inputs = [];
        let problem = null;
        for (let b = 0; b < item.paths.length && !problem; b++) {
          let a;
          try {
            a = await audioFor(item.paths[b]);
          } catch (e) {
            // One unreadable file refuses its item; the others go on.
            if (!(e instanceof AudioInputError)) throw e;
            problem = { reason: e.reason, message: `${item.paths[b]}: ${e.message}` };
            break;
          }
          const fit = checkLength(a.frames / a.sampleRate, { minSeconds: 0, maxSeconds: model.branches[b].maxSeconds });
          if (!fit.ok) problem = { reason: fit.reason, message: `${item.paths[b]}: ${fit.message}` };
          else inputs.push({ samples: a.samples, sampleRate: a.sampleRate, channels: a.channels });
        }
        if (problem) { refused.push({ ...item, ...problem }); continue; }
        const r = await engine('run', { inputs });
        results.push({ ...item, label: labelled ? item.label : '', probabilities: r.probabilities });
        if (n % 25 === 24) say(`Evaluating… ${n + 1} of ${items.length} items.`);
      }
    } finally {
      window.research.evalRunning = false;
    }
    const ms = performance.now() - t0;
    const positive = model.labels.indexOf(model.metadata?.positive_label);
    const metrics = computeMetrics(results, model.labels, positive >= 0 ? positive : model.labels.length - 1);
    window.research.evaluation = { model: state.modelName, labels: model.labels, results, metrics, skipped, refused, ms };
    window.research.audioCache = { bytes: state.cache.bytes, entries: state.cache.size, limit: state.cache.limit };
    render(results, metrics, skipped, refused, ms);
  }

  const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');

  function render(results, metrics, skipped, refused, ms) {
    const { labels } = state.model;
    $('predictions').querySelector('thead').replaceChildren(el('tr', {}, ...['#', 'recording', 'group', 'true label', 'predicted',
      ...labels.map((l) => `p(${l})`)].map((h) => el('th', { scope: 'col', text: h }))));
    const tbody = el('tbody');
    results.forEach((r, i) => {
      const pred = labels[argmax(r.probabilities)];
      const cls = r.label && labels.includes(r.label) && r.label !== pred ? 'wrong' : '';
      tbody.append(el('tr', {},
        el('td', { text: String(i + 1) }),
        el('th', { scope: 'row', text: r.paths.join(' + ') }),
        el('td', { text: r.group }),
        el('td', { text: r.label || '—' }),
        el('td', { class: cls, text: pred }),
        ...r.probabilities.map((p) => el('td', { class: 'num', text: p.toFixed(4) }))));
    });
    $('predictions').querySelector('tbody').replaceWith(tbody);
    const shown = refused.slice(0, 20).map((r) => el('li', { text: r.message }));
    if (refused.length > 20) shown.push(el('li', { text: `… and ${refused.length - 20} more.` }));
    $('refused').replaceChildren(...shown);
    let text = `${results.length} item${results.length === 1 ? '' : 's'} evaluated with ${state.modelName} in ${ms.toFixed(0)} ms.`;
    if (skipped) text += ` ${skipped} left out (no recording for a branch's modality).`;
    const long = refused.filter((r) => r.reason === 'long').length;
    const unreadable = refused.length - long;
    if (long) {
      text += ` ${long} refused: longer than the model takes (listed below; cut them or use a model that takes longer recordings).`;
    }
    if (unreadable) {
      text += ` ${unreadable} refused: the recording could not be read or holds no sound (listed below with the reason).`;
    }
    if (metrics.scored) {
      text += ` Accuracy ${fmt(metrics.accuracy)} on ${metrics.scored} labelled item${metrics.scored === 1 ? '' : 's'}.`;
      if (metrics.positive) text += ` AUC (${metrics.positive} as positive) ${fmt(metrics.auc)}.`;
    } else {
      text += ' No item has one of the model\'s labels, so there are no metrics.';
    }
    if (metrics.unscored && metrics.scored) text += ` ${metrics.unscored} item(s) have labels the model does not know.`;
    $('metrics').textContent = text;
    drawConfusion($('confusion'), labels, metrics);
    $('confusion').hidden = !metrics.scored;
    $('eval-results').hidden = false;
    say(text);
  }

  function downloadCsv() {
    const ev = window.research.evaluation;
    if (!ev) return;
    const header = ['item', 'paths', 'group', 'label', 'predicted', ...ev.labels.map((l) => `p_${l}`), 'correct'];
    const lines = [header.map(csvField).join(',')];
    for (const r of ev.results) {
      const pred = ev.labels[argmax(r.probabilities)];
      lines.push([r.name, r.paths.join(' '), r.group, r.label, pred, ...r.probabilities.map((p) => p.toFixed(6)),
        r.label && ev.labels.includes(r.label) ? String(r.label === pred) : ''].map(csvField).join(','));
    }
    const name = `predictions-${ev.model.replace(/\.tm2$/, '')}.csv`;
    ctx.download(new TextEncoder().encode(`${lines.join('\n')}\n`), name, 'text/csv');
    say(`Downloaded ${name}.`);
  }

  // ---- wiring --------------------------------------------------------
  const names = (files) => files.map((f) => f.name).join(', ');
  $('model-file').addEventListener('change', (e) => {
    const files = [...e.target.files];
    e.target.value = '';
    if (files.length) act(() => addModels(files), `adding the model ${names(files)}`);
  });
  $('model-select').addEventListener('change', (e) => {
    const i = Number(e.target.value);
    act(() => useModel(i), `switching to ${state.models[i]?.name}`);
  });
  $('eval-zip').addEventListener('change', (e) => {
    const file = e.target.files[0];
    e.target.value = '';
    if (file) act(() => fromZip(file), `the recordings in ${file.name}`);
  });
  $('eval-folder').addEventListener('change', (e) => {
    const files = [...e.target.files];
    e.target.value = '';
    if (files.length) act(() => fromFolder(files), 'the recordings of the folder');
  });
  $('eval-stored').addEventListener('click', () => act(fromStore, 'the stored sessions'));
  $('download-csv').addEventListener('click', () => downloadCsv());

  // Started while the page loads, so evaluating later makes no request.
  async function prepare() {
    try {
      await start();
    } catch (e) {
      $('model-info').textContent = `Evaluation is not available in this browser: ${e.message}`;
    }
  }

  return { setBusy, prepare };
}

// The confusion matrix as a picture: rows = true label, columns = predicted,
// shade = share of the row; counts written in each cell.
function drawConfusion(canvas, labels, metrics) {
  const n = labels.length;
  const cell = Math.max(40, Math.min(90, Math.floor(240 / n)));
  const left = 110;
  const top = 60;
  canvas.width = left + n * cell + 10;
  canvas.height = top + n * cell + 10;
  const c = canvas.getContext('2d');
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  c.fillStyle = dark ? '#121212' : '#ffffff';
  c.fillRect(0, 0, canvas.width, canvas.height);
  c.font = '14px system-ui, sans-serif';
  c.fillStyle = dark ? '#f2f2f2' : '#111111';
  c.textAlign = 'center';
  c.fillText('predicted', left + (n * cell) / 2, 16);
  c.textAlign = 'right';
  c.fillText('true', left - 8, top - 8);
  const parts = [];
  for (let t = 0; t < n; t++) {
    const rowSum = metrics.confusion[t].reduce((a, b) => a + b, 0);
    c.fillStyle = dark ? '#f2f2f2' : '#111111';
    c.textAlign = 'right';
    c.fillText(labels[t].slice(0, 12), left - 8, top + t * cell + cell / 2 + 5);
    for (let p = 0; p < n; p++) {
      if (t === 0) {
        c.textAlign = 'center';
        c.fillText(labels[p].slice(0, 10), left + p * cell + cell / 2, top - 12);
      }
      const count = metrics.confusion[t][p];
      const share = rowSum ? count / rowSum : 0;
      const shade = Math.round(255 - share * 200);
      c.fillStyle = t === p ? `rgb(${shade}, ${Math.round(255 - share * 120)}, ${shade})` : `rgb(255, ${shade}, ${shade})`;
      c.fillRect(left + p * cell, top + t * cell, cell - 2, cell - 2);
      c.fillStyle = '#111111';
      c.textAlign = 'center';
      c.fillText(String(count), left + p * cell + cell / 2, top + t * cell + cell / 2 + 5);
      parts.push(`true ${labels[t]}, predicted ${labels[p]}: ${count}`);
    }
  }
  canvas.setAttribute('aria-label', `Confusion matrix (rows: true label, columns: predicted label). ${parts.join('; ')}.`);
}
