// Research mode: a study protocol drives consented sessions (participant
// code, questions, recorded takes) stored in IndexedDB take by take; the
// stored data exports as a ZIP in the factory's manifest layout; models are
// evaluated on exported or stored recordings with the WASM engine. All
// requests happen while the page loads; nothing is sent anywhere.
import { loadEngine } from '../engine.js';
import { Recorder, MicrophoneError } from '../recorder.js';
import { checkQuality, checkSoundType, describe } from '../quality.js';
import { parseWav, encodeWav } from '../wav.js';
import { say, alertUser, createGuard } from '../shared/guard.js';
import { parseProtocol, validateProtocol, ProtocolError, labelQuestion, plannedTakes } from './protocol.js';
import { Store, StorageFullError, storageEstimate, ensureRoom, formatBytes, newParticipantId } from './store.js';
import { exportZip, importZip, readZip, findDataset } from './archive.js';
import { evaluationItems, takePath, csvField } from './manifest.js';
import { computeMetrics, argmax } from './metrics.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const state = { takes: new Map(), steps: [], models: [], evalData: null, audioCache: new Map() };
// For the tests (never sent anywhere).
window.research = { evaluation: null, lastExport: null };

const { guard, isBusy } = createGuard(setBusy);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function show(view) {
  for (const id of ['start-view', 'consent-view', 'questions-view', 'tasks-view', 'review-view', 'done-view']) {
    $(id).hidden = id !== view;
  }
  $('participant-line').hidden = !['questions-view', 'tasks-view', 'review-view'].includes(view);
}

function setBusy(busy) {
  for (const s of state.steps) s.q('.record').disabled = busy;
  updateReview();
}

// ---- start-up --------------------------------------------------------

async function start() {
  if ('serviceWorker' in navigator && params.get('sw') !== 'off') {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker not registered:', e));
  }
  state.store = await Store.open();
  const engineBase = new URL('../engine/', location.href);
  state.engine = await loadEngine({ base: engineBase, variant: params.get('engine') ?? undefined });
  $('engine-info').textContent = `Engine: ${state.engine.variant === 'simd' ? 'WebAssembly SIMD' : 'WebAssembly without SIMD'}.`;
  await loadGate(engineBase);
  const stored = await state.store.getMeta('protocol');
  if (stored) {
    try {
      setProtocol(validateProtocol(stored.value, stored.name));
    } catch (e) {
      alertUser(e.message);
    }
  }
  if (!state.protocol) setProtocol(await fetchProtocol(params.get('protocol') ?? '../models/protocols/default.json'));
  await refreshData();
  await offerResume();
  document.body.dataset.ready = 'true';
  say('Ready.');
}

async function fetchProtocol(url) {
  const u = new URL(url, location.href);
  if (u.origin !== location.origin) throw new Error('the protocol must come from this site');
  const r = await fetch(u);
  if (!r.ok) throw new Error(`cannot fetch the protocol ${u.pathname} (HTTP ${r.status})`);
  return parseProtocol(await r.text(), u.pathname);
}

// The sound-type model of the screening page's manifest, when it lists one.
async function loadGate(engineBase) {
  state.gate = null;
  try {
    const manifestUrl = new URL(params.get('manifest') ?? '../models/manifest.json', location.href);
    if (manifestUrl.origin !== location.origin) throw new Error('the manifest must come from this site');
    const manifest = await (await fetch(manifestUrl)).json();
    if (!manifest.gate) return;
    const engine = await loadEngine({ base: engineBase, variant: state.engine.variant });
    const bytes = new Uint8Array(await (await fetch(new URL(manifest.gate.url, manifestUrl))).arrayBuffer());
    engine.load(bytes);
    state.gate = { engine, labels: manifest.gate.labels ?? {}, threshold: manifest.gate.threshold ?? 0.5 };
  } catch (e) {
    console.warn('no sound-type check:', e);
  }
}

function setProtocol(protocol) {
  state.protocol = protocol;
  $('study-name').textContent = protocol.study;
  $('study-version').textContent = `(protocol ${protocol.id}, version ${protocol.version})`;
  const takes = plannedTakes(protocol).length;
  const label = labelQuestion(protocol);
  $('study-summary').textContent = `${protocol.tasks.length} task${protocol.tasks.length > 1 ? 's' : ''} ` +
    `(${takes} take${takes > 1 ? 's' : ''}: ${protocol.tasks.map((t) => `${t.id} × ${t.takes}`).join(', ')}), ` +
    `${protocol.questions.length} question${protocol.questions.length > 1 ? 's' : ''}; ` +
    `label: "${label.id}" (${label.values.join(' / ')}). ${protocol.description}`;
}

// ---- sessions --------------------------------------------------------

async function offerResume() {
  const open = (await state.store.listSessions()).filter((s) => s.status !== 'complete');
  const last = open[open.length - 1];
  state.resumable = last ?? null;
  $('resume').hidden = !last;
  $('resume-note').hidden = !last;
  if (last) {
    const n = (await state.store.listTakes(last.id)).length;
    $('resume-note').textContent = `Participant ${last.participant} has an unfinished session ` +
      `(started ${new Date(last.createdAt).toLocaleString()}, ${n} of ${plannedTakes(last.protocol).length} takes saved).`;
  }
}

function newSession() {
  const id = newParticipantId();
  // Nothing is stored before consent.
  state.session = {
    id, participant: id, protocol: state.protocol, createdAt: new Date().toISOString(),
    consentedAt: null, answers: null, status: 'in-progress', split: '',
  };
  const p = state.session.protocol;
  $('consent-text').replaceChildren(...p.consent.text.map((t) => el('p', { text: t })));
  $('consent-agree-label').textContent = p.consent.agree;
  $('consent-agree').checked = false;
  $('consent-continue').disabled = true;
  show('consent-view');
  say(`New participant: read the information, then tick the box.`);
  $('consent-agree').focus();
}

async function giveConsent() {
  const s = state.session;
  s.consentedAt = new Date().toISOString();
  await state.store.putSession(s);
  $('participant-id').textContent = s.participant;
  buildQuestions(s.protocol);
  show('questions-view');
  say(`Consent recorded. Participant code ${s.participant}. Please answer the questions.`);
  $('question-list').querySelector('input')?.focus();
  await refreshData();
}

function buildQuestions(protocol) {
  const list = $('question-list');
  list.textContent = '';
  for (const q of protocol.questions) {
    const fs = el('fieldset', { class: 'question', id: `q-${q.id}` },
      el('legend', { text: `${q.text}${q.required ? ' (required)' : ''}` }));
    if (q.type === 'choice') {
      q.values.forEach((v, i) => {
        const id = `q-${q.id}-${i}`;
        const input = el('input', { type: 'radio', name: q.id, id, value: v });
        if (q.required) input.required = true;
        fs.append(el('label', { for: id }, input, v));
      });
    } else {
      const id = `q-${q.id}-n`;
      const input = el('input', { type: 'number', name: q.id, id, step: 'any' });
      if (q.min !== undefined) input.min = String(q.min);
      if (q.max !== undefined) input.max = String(q.max);
      if (q.required) input.required = true;
      fs.append(el('label', { for: id }, 'Answer', input));
    }
    list.append(fs);
  }
}

async function saveAnswers() {
  const s = state.session;
  const form = $('questions-view');
  if (!form.reportValidity()) return;
  const data = new FormData(form);
  const answers = {};
  for (const q of s.protocol.questions) {
    const v = data.get(q.id);
    if (v === null || v === '') continue;
    answers[q.id] = q.type === 'number' ? Number(v) : String(v);
  }
  s.answers = answers;
  await state.store.putSession(s);
  await showTasks();
  await refreshData();
}

async function resume() {
  const s = await state.store.getSession(state.resumable.id);
  state.session = s;
  $('participant-id').textContent = s.participant;
  if (!s.answers) {
    buildQuestions(s.protocol);
    show('questions-view');
    say(`Resumed participant ${s.participant}: please answer the questions.`);
    return;
  }
  await showTasks();
  say(`Resumed participant ${s.participant}: ${state.takes.size} take${state.takes.size === 1 ? '' : 's'} already saved.`);
}

// ---- takes -----------------------------------------------------------

const recordLimit = (task) => Math.min(task.maxSeconds, Number(params.get('seconds') ?? task.maxSeconds));

async function showTasks() {
  const s = state.session;
  state.takes = new Map();
  for (const t of await state.store.listTakes(s.id)) state.takes.set(`${t.task}-${t.take}`, t);
  const list = $('take-list');
  list.textContent = '';
  const planned = plannedTakes(s.protocol);
  state.steps = planned.map(({ task, take, key }, i) => {
    const li = $('take-template').content.firstElementChild.cloneNode(true);
    const q = (c) => li.querySelector(c);
    li.id = `take-${key}`;
    li.dataset.modality = task.modality;
    const what = task.takes > 1 ? `${task.id}, take ${take} of ${task.takes}` : task.id;
    q('.step-title').textContent = `${i + 1} of ${planned.length}: ${what}`;
    q('.prompt').textContent = `${task.prompt} Between ${task.minSeconds} and ${recordLimit(task)} seconds; press Stop when done.`;
    q('.record').setAttribute('aria-label', `Record ${what}`);
    q('.meter').setAttribute('aria-label', `Input level for ${what}`);
    q('.record').addEventListener('click', () => guard(() => recordTake(i)));
    q('.stop').addEventListener('click', () => state.recorder?.stop());
    list.append(li);
    const step = { li, q, task, take, key };
    const stored = state.takes.get(key);
    if (stored) markSaved(step, stored);
    return step;
  });
  show('tasks-view');
  updateReview();
  (state.steps.find((st) => !state.takes.has(st.key)) ?? state.steps[0])?.q('.record').focus();
}

async function markSaved(step, take) {
  step.li.dataset.state = 'saved';
  step.q('.record').textContent = 'Record again';
  step.q('.quality').textContent = `Saved: ${take.seconds.toFixed(1)} s at ${take.sampleRate} Hz.`;
  step.q('.quality').className = 'quality good';
  const full = take.wav ? take : await state.store.getTake(take.id);
  setPlayback(step.q('.playback'), full.wav, step.key);
}

function setPlayback(audio, wav, what) {
  if (audio.src) URL.revokeObjectURL(audio.src);
  audio.src = URL.createObjectURL(new Blob([wav], { type: 'audio/wav' }));
  audio.hidden = false;
  audio.setAttribute('aria-label', `Play back ${what}`);
}

function updateReview() {
  const done = state.steps.length > 0 && state.steps.every((s) => state.takes.has(s.key));
  $('review-button').disabled = isBusy() || !done;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Opens the microphone, reopening it when its track has ended (permission
// withdrawn, device unplugged).
async function openMicrophone() {
  const tracks = state.recorder?.stream?.getAudioTracks() ?? [];
  if (state.recorder && tracks.some((t) => t.readyState === 'ended')) {
    await state.recorder.close().catch(() => {});
    state.recorder = null;
  }
  state.recorder ??= new Recorder();
  await state.recorder.open();
  for (const t of state.recorder.stream.getAudioTracks()) {
    t.onended = () => {
      alertUser(`The microphone stopped (permission withdrawn or device disconnected). ${keptNote()}`);
    };
  }
}

const keptNote = () => `The ${state.takes.size} take${state.takes.size === 1 ? '' : 's'} already saved for this participant ${state.takes.size === 1 ? 'is' : 'are'} kept.`;

async function recordTake(i) {
  const step = state.steps[i];
  const { q, task } = step;
  try {
    say('Asking for the microphone…');
    await openMicrophone();
  } catch (e) {
    if (e instanceof MicrophoneError) {
      step.li.dataset.state = `mic-${e.kind}`;
      q('.quality').textContent = e.message;
      q('.quality').className = 'quality bad';
      state.recorder = null;
      alertUser(`${e.message} ${keptNote()}`);
      say('The microphone is not available.');
      return;
    }
    throw e;
  }
  const countdown = q('.countdown');
  for (let s = Number(params.get('countdown') ?? 3); s > 0; s--) {
    countdown.textContent = `Recording ${describe(task.modality)} in ${s}…`;
    await sleep(1000);
  }
  countdown.textContent = `Recording now: ${task.prompt}`;
  say(`Recording ${step.key}…`);
  q('.stop').hidden = false;
  q('.stop').focus();
  const fill = q('.meter-fill');
  const samples = await state.recorder.record(recordLimit(task), (peak) => {
    const pct = Math.round(Math.min(1, Math.sqrt(peak)) * 100);
    fill.style.width = `${pct}%`;
    q('.meter').setAttribute('aria-valuenow', String(pct));
  });
  q('.stop').hidden = true;
  fill.style.width = '0%';
  countdown.textContent = 'Recording finished.';
  const rate = state.recorder.sampleRate;
  const audio = { samples, sampleRate: rate, channels: 1, frames: samples.length };
  const wav = encodeWav(samples, rate);
  let verdict = checkQuality(audio, task);
  if (verdict.ok) {
    const kind = checkSoundType(state.gate, audio, task);
    if (!kind.ok) verdict = { ...verdict, ...kind };
  }
  setPlayback(q('.playback'), wav, step.key);
  q('.record').textContent = 'Record again';
  q('.record').focus();
  if (!verdict.ok) {
    step.li.dataset.state = `rejected-${verdict.reason}`;
    const kept = state.takes.has(step.key) ? ' The take saved earlier is kept.' : '';
    q('.quality').textContent = `${verdict.message}${kept}`;
    q('.quality').className = 'quality bad';
    say(`${step.key} needs to be recorded again: ${verdict.message}`);
    return;
  }
  const take = {
    id: `${state.session.id}/${step.key}`, session: state.session.id, task: task.id, take: step.take,
    modality: task.modality, sampleRate: rate, frames: samples.length, seconds: samples.length / rate, wav,
  };
  try {
    await ensureRoom(wav.byteLength);
    await state.store.putTake(take);
  } catch (e) {
    await refreshData();
    q('.quality').textContent = `Not saved. ${e.message}`;
    q('.quality').className = 'quality bad';
    step.li.dataset.state = e instanceof StorageFullError ? 'storage-full' : 'save-failed';
    alertUser(`${e.message}`);
    say('This take could not be saved.');
    return;
  }
  state.takes.set(step.key, take);
  await refreshData();
  await markSaved(step, take);
  const left = state.steps.filter((s) => !state.takes.has(s.key)).length;
  say(left ? `${step.key} saved. ${left} take${left > 1 ? 's' : ''} to go.` : 'All takes saved. Review the session.');
}

async function review() {
  const s = state.session;
  const body = $('review-body');
  body.textContent = '';
  body.append(el('p', {}, 'Participant ', el('strong', { text: s.participant })));
  const answers = el('dl');
  for (const q of s.protocol.questions) {
    answers.append(el('dt', { text: q.text }), el('dd', { text: s.answers?.[q.id] ?? '(no answer)' }));
  }
  body.append(answers);
  const list = el('ul', { class: 'review-takes' });
  for (const step of state.steps) {
    const t = await state.store.getTake(`${s.id}/${step.key}`);
    const audio = el('audio', { controls: '' });
    setPlayback(audio, t.wav, step.key);
    list.append(el('li', {}, `${step.key}: ${t.seconds.toFixed(1)} s at ${t.sampleRate} Hz`, audio));
  }
  body.append(list);
  show('review-view');
  $('review-view').focus();
  say('Check the answers and listen to the takes, then finish.');
}

async function finish() {
  const s = state.session;
  s.status = 'complete';
  s.completedAt = new Date().toISOString();
  await state.store.putSession(s);
  state.session = null;
  await refreshData();
  await offerResume();
  $('done-text').textContent = `Session of participant ${s.participant} is complete and stored (${state.takes.size} takes).`;
  show('done-view');
  $('done-view').focus();
  say('Session saved.');
}

// ---- stored data -----------------------------------------------------

async function refreshData() {
  const sessions = await state.store.listSessions();
  // Rows are built first and swapped in at once, so the table never shows half a refresh.
  const tbody = el('tbody');
  let takes = 0;
  let bytes = 0;
  for (const s of sessions) {
    const ts = await state.store.listTakes(s.id);
    takes += ts.length;
    for (const t of ts) bytes += t.bytes;
    const label = labelQuestion(s.protocol);
    const split = el('select', { 'aria-label': `Split for ${s.participant}` });
    for (const v of ['', 'train', 'validation', 'test']) {
      const o = el('option', { value: v, text: v || '(factory decides)' });
      if ((s.split ?? '') === v) o.selected = true;
      split.append(o);
    }
    split.addEventListener('change', () => guard(async () => {
      const fresh = await state.store.getSession(s.id);
      fresh.split = split.value;
      await state.store.putSession(fresh);
      say(`Split of ${s.participant} set to ${split.value || 'automatic'}.`);
    }));
    const del = el('button', { type: 'button', class: 'danger', text: 'Delete', 'aria-label': `Delete the session of ${s.participant}` });
    del.addEventListener('click', () => guard(() => deleteSession(s, ts.length)));
    tbody.append(el('tr', { 'data-session': s.id },
      el('th', { scope: 'row', text: s.participant }),
      el('td', { text: new Date(s.createdAt).toLocaleString() }),
      el('td', { text: s.answers?.[label.id] ?? '—' }),
      el('td', { text: `${ts.length} / ${plannedTakes(s.protocol).length}` }),
      el('td', { text: s.status === 'complete' ? 'complete' : 'unfinished' }),
      el('td', {}, split), el('td', {}, del)));
  }
  if (!sessions.length) tbody.append(el('tr', {}, el('td', { colspan: '7', text: 'No sessions stored.' })));
  $('sessions').querySelector('tbody').replaceWith(tbody);
  const est = await storageEstimate();
  let text = `${sessions.length} session${sessions.length === 1 ? '' : 's'}, ${takes} take${takes === 1 ? '' : 's'}, ${formatBytes(bytes)} of audio.`;
  if (est && est.quota) {
    const left = Math.max(0, est.quota - est.usage);
    text += ` Browser storage used: ${formatBytes(est.usage)} of ${formatBytes(est.quota)} (${formatBytes(left)} left).`;
    if (left < 50e6) text += ' Storage is nearly full: export and delete sessions before recording more.';
  } else {
    text += ' The browser does not state its storage quota.';
  }
  $('storage').textContent = text;
  window.research.stored = { sessions: sessions.length, takes, bytes, estimate: est };
}

async function deleteSession(s, n) {
  if (!confirm(`Delete the session of participant ${s.participant} and its ${n} recording${n === 1 ? '' : 's'}? This cannot be undone.`)) {
    say('Nothing was deleted.');
    return;
  }
  await state.store.deleteSession(s.id);
  if (state.session?.id === s.id) { state.session = null; show('start-view'); }
  await refreshData();
  await offerResume();
  say(`Deleted the session of ${s.participant}.`);
}

async function deleteAll() {
  const n = (await state.store.listSessions()).length;
  if (!n) { say('There is nothing to delete.'); return; }
  if (!confirm(`Delete ALL ${n} stored session${n === 1 ? '' : 's'} and their recordings from this device? Export them first if you need them. This cannot be undone.`)) {
    say('Nothing was deleted.');
    return;
  }
  await state.store.deleteAll();
  state.session = null;
  show('start-view');
  await refreshData();
  await offerResume();
  say('All stored data was deleted.');
}

function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

async function doExport() {
  say('Preparing the export…');
  const r = await exportZip(state.store, state.protocol, { includeUnfinished: $('include-unfinished').checked });
  download(r.bytes, r.name, 'application/zip');
  window.research.lastExport = { name: r.name, rows: r.rows.length, bytes: r.bytes.length };
  say(`Exported ${r.rows.length} recordings of ${r.participants.length} participant${r.participants.length === 1 ? '' : 's'} ` +
    `(${formatBytes(r.bytes.length)}) as ${r.name}.`);
}

async function doImport(file) {
  if (!file) return;
  say(`Importing ${file.name}…`);
  const r = await importZip(new Uint8Array(await file.arrayBuffer()), state.store);
  $('import-file').value = '';
  await refreshData();
  await offerResume();
  say(`Imported ${r.imported} session${r.imported === 1 ? '' : 's'} from ${file.name}` +
    `${r.skipped ? `; ${r.skipped} already stored, left as they were` : ''}.`);
}

async function loadProtocolFile(file) {
  if (!file) return;
  $('protocol-file').value = '';
  const text = await file.text();
  let protocol;
  try {
    protocol = parseProtocol(text, file.name);
  } catch (e) {
    if (e instanceof ProtocolError) {
      alertUser(e.message);
      say(`${file.name} was not loaded; the study protocol is unchanged.`);
      return;
    }
    throw e;
  }
  await state.store.setMeta('protocol', { name: file.name, value: protocol });
  setProtocol(protocol);
  say(`Loaded the protocol "${protocol.study}" from ${file.name}. It applies to new participants.`);
}

// ---- evaluation ------------------------------------------------------

async function addModels(files) {
  for (const file of files) {
    const bytes = new Uint8Array(await file.arrayBuffer());
    let info;
    try {
      info = state.engine.load(bytes);
    } catch (e) {
      throw new Error(`${file.name}: ${e.message}`);
    }
    state.models.push({ name: file.name, bytes, info });
  }
  $('model-file').value = '';
  const select = $('model-select');
  select.textContent = '';
  state.models.forEach((m, i) => select.append(el('option', { value: String(i), text: m.name })));
  select.disabled = false;
  select.value = String(state.models.length - 1);
  await useModel(state.models.length - 1);
}

async function useModel(i) {
  const m = state.models[i];
  state.model = state.engine.load(m.bytes);
  state.modelName = m.name;
  const info = state.model;
  $('model-info').textContent = `${m.name}: ${info.name}, labels ${info.labels.join(', ')}; ` +
    `${info.branches.length} branch${info.branches.length > 1 ? 'es' : ''} ` +
    `(${info.branches.map((b) => `${b.modality} ${b.sampleRate} Hz`).join(', ')}), ${(info.modelBytes / 1024).toFixed(1)} KB.`;
  say(`Model ${m.name} in use.`);
  if (state.evalData) await evaluate();
}

async function setEvalData(files, source) {
  const data = findDataset(files);
  state.evalData = { ...data, files, source };
  state.audioCache = new Map();
  $('eval-source').textContent = `${source}: ${data.rows.length} recording${data.rows.length === 1 ? '' : 's'}` +
    `${data.labelled ? ` with labels from ${data.csvPath}` : ', no manifest.csv (no labels, no metrics)'}.`;
  if (state.model) await evaluate();
  else say('Recordings loaded; pick a model to evaluate.');
}

async function evalFromZip(file) {
  if (!file) return;
  $('eval-zip').value = '';
  await setEvalData(readZip(new Uint8Array(await file.arrayBuffer())), file.name);
}

async function evalFromFolder(fileList) {
  const files = new Map();
  for (const f of fileList) {
    const rel = f.webkitRelativePath || f.name;
    files.set(rel, new Uint8Array(await f.arrayBuffer()));
  }
  $('eval-folder').value = '';
  const top = [...files.keys()][0]?.split('/')[0] ?? 'folder';
  await setEvalData(files, `folder ${top}`);
}

async function evalFromStore() {
  const files = new Map();
  const rows = [];
  for (const s of await state.store.listSessions()) {
    const label = s.answers?.[labelQuestion(s.protocol).id];
    for (const t of await state.store.listTakes(s.id, { withAudio: true })) {
      const path = takePath(s.participant, t.task, t.take);
      files.set(path, new Uint8Array(t.wav));
      rows.push({ path, label: label ?? '', group: s.participant, modality: t.modality, split: s.split ?? '' });
    }
  }
  if (!rows.length) throw new Error('No takes are stored yet.');
  const csv = ['path,label,group,modality,split', ...rows.map((r) =>
    [r.path, r.label, r.group, r.modality, r.split].map(csvField).join(','))].join('\n');
  const labelled = rows.every((r) => r.label);
  if (labelled) files.set('manifest.csv', new TextEncoder().encode(csv));
  await setEvalData(files, 'stored sessions');
}

// Decoded audio for a path: WAV as its samples at its own rate (what the
// CLI reads), other formats through the browser's decoder at 48 kHz.
async function audioFor(path) {
  if (state.audioCache.has(path)) return state.audioCache.get(path);
  const bytes = state.evalData.files.get(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  let audio;
  try {
    audio = parseWav(buffer);
  } catch (e) {
    throw new Error(`${path}: ${e.message}`);
  }
  if (!audio) {
    const ctx = new OfflineAudioContext(1, 1, 48000);
    let buf;
    try { buf = await ctx.decodeAudioData(buffer); } catch { throw new Error(`${path}: this browser cannot decode it`); }
    const mono = new Float32Array(buf.length);
    for (let c = 0; c < buf.numberOfChannels; c++) {
      const d = buf.getChannelData(c);
      for (let i = 0; i < d.length; i++) mono[i] += d[i] / buf.numberOfChannels;
    }
    audio = { samples: mono, sampleRate: buf.sampleRate, channels: 1, frames: mono.length };
  }
  state.audioCache.set(path, audio);
  return audio;
}

async function evaluate() {
  const model = state.model;
  const { rows, labelled } = state.evalData;
  const { items, skipped } = evaluationItems(rows, model.branches);
  if (!items.length) {
    throw new Error(`None of the recordings fits this model (it needs ${model.branches.map((b) => b.modality).join(' + ')} per group).`);
  }
  say(`Evaluating ${items.length} item${items.length === 1 ? '' : 's'}…`);
  const t0 = performance.now();
  const results = [];
  let cut = 0;
  for (const item of items) {
    for (let b = 0; b < item.paths.length; b++) {
      const a = await audioFor(item.paths[b]);
      // Longer than the branch takes: its first max_seconds, as the factory
      // reads a training file (the engine refuses longer input).
      const limit = Math.floor(model.branches[b].maxSeconds * a.sampleRate);
      let { samples } = a;
      if (a.frames > limit) { samples = samples.subarray(0, limit * a.channels); cut++; }
      state.engine.setInput(b, samples, a.sampleRate, a.channels);
    }
    const r = state.engine.invoke();
    results.push({ ...item, label: labelled ? item.label : '', probabilities: Array.from(r.probabilities) });
  }
  const ms = performance.now() - t0;
  const positive = model.labels.indexOf(model.metadata?.positive_label);
  const metrics = computeMetrics(results, model.labels, positive >= 0 ? positive : model.labels.length - 1);
  window.research.evaluation = { model: state.modelName, labels: model.labels, results, metrics, skipped, cut, ms };
  renderEvaluation(results, metrics, skipped, ms, cut);
}

const fmt = (x, d = 3) => (Number.isFinite(x) ? x.toFixed(d) : '—');

function renderEvaluation(results, metrics, skipped, ms, cut) {
  const { labels } = state.model;
  const thead = $('predictions').querySelector('thead');
  thead.replaceChildren(el('tr', {}, ...['#', 'recording', 'group', 'true label', 'predicted',
    ...labels.map((l) => `p(${l})`)].map((h) => el('th', { scope: 'col', text: h }))));
  const tbody = $('predictions').querySelector('tbody');
  tbody.textContent = '';
  results.forEach((r, i) => {
    const pred = labels[argmax(r.probabilities)];
    const cls = r.label && labels.includes(r.label) && r.label !== pred ? 'wrong' : '';
    tbody.append(el('tr', {},
      el('td', { text: String(i + 1) }),
      el('th', { scope: 'row', text: r.paths.join(' + ') }),
      el('td', { text: r.group }),
      el('td', { text: r.label || '—' }),
      el('td', { class: cls, text: pred }),
      ...r.probabilities.map((p) => el('td', { text: p.toFixed(4) }))));
  });
  let text = `${results.length} item${results.length === 1 ? '' : 's'} evaluated with ${state.modelName} in ${ms.toFixed(0)} ms.`;
  if (skipped) text += ` ${skipped} left out (no recording for a branch's modality).`;
  if (cut) text += ` ${cut} recording${cut === 1 ? ' was' : 's were'} longer than the model takes and ${cut === 1 ? 'was' : 'were'} cut to the first ${state.model.branches.map((b) => b.maxSeconds).join('/')} s.`;
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

// The confusion matrix as a picture: rows = true label, columns = predicted,
// shade = share of the row; counts written in each cell.
function drawConfusion(canvas, labels, metrics) {
  const n = labels.length;
  const cell = Math.max(40, Math.min(90, Math.floor(240 / n)));
  const left = 110;
  const top = 60;
  canvas.width = left + n * cell + 10;
  canvas.height = top + n * cell + 10;
  const ctx = canvas.getContext('2d');
  const dark = matchMedia('(prefers-color-scheme: dark)').matches;
  ctx.fillStyle = dark ? '#121212' : '#ffffff';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.font = '14px system-ui, sans-serif';
  ctx.fillStyle = dark ? '#f2f2f2' : '#111111';
  ctx.textAlign = 'center';
  ctx.fillText('predicted', left + (n * cell) / 2, 16);
  ctx.textAlign = 'right';
  ctx.fillText('true', left - 8, top - 8);
  const parts = [];
  for (let t = 0; t < n; t++) {
    const rowSum = metrics.confusion[t].reduce((a, b) => a + b, 0);
    ctx.fillStyle = dark ? '#f2f2f2' : '#111111';
    ctx.textAlign = 'right';
    ctx.fillText(labels[t].slice(0, 12), left - 8, top + t * cell + cell / 2 + 5);
    for (let p = 0; p < n; p++) {
      if (t === 0) {
        ctx.textAlign = 'center';
        ctx.fillText(labels[p].slice(0, 10), left + p * cell + cell / 2, top - 12);
      }
      const c = metrics.confusion[t][p];
      const share = rowSum ? c / rowSum : 0;
      const shade = Math.round(255 - share * 200);
      ctx.fillStyle = t === p ? `rgb(${shade}, ${Math.round(255 - share * 120)}, ${shade})` : `rgb(255, ${shade}, ${shade})`;
      ctx.fillRect(left + p * cell, top + t * cell, cell - 2, cell - 2);
      ctx.fillStyle = '#111111';
      ctx.textAlign = 'center';
      ctx.fillText(String(c), left + p * cell + cell / 2, top + t * cell + cell / 2 + 5);
      parts.push(`true ${labels[t]}, predicted ${labels[p]}: ${c}`);
    }
  }
  canvas.setAttribute('aria-label', `Confusion matrix (rows: true label, columns: predicted label). ${parts.join('; ')}.`);
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
  download(new TextEncoder().encode(`${lines.join('\n')}\n`), name, 'text/csv');
  say(`Downloaded ${name}.`);
}

// ---- wiring ----------------------------------------------------------

$('new-session').addEventListener('click', () => guard(async () => newSession()));
$('resume').addEventListener('click', () => guard(resume));
$('consent-agree').addEventListener('change', () => { $('consent-continue').disabled = !$('consent-agree').checked; });
$('consent-view').addEventListener('submit', (e) => { e.preventDefault(); if ($('consent-agree').checked) guard(giveConsent); });
$('consent-cancel').addEventListener('click', () => { state.session = null; show('start-view'); say('Cancelled; nothing was stored.'); });
$('questions-view').addEventListener('submit', (e) => { e.preventDefault(); guard(saveAnswers); });
$('review-button').addEventListener('click', () => guard(review));
$('back-to-tasks').addEventListener('click', () => { show('tasks-view'); });
$('finish').addEventListener('click', () => guard(finish));
$('next-participant').addEventListener('click', () => guard(async () => newSession()));
$('export').addEventListener('click', () => guard(doExport));
$('import-file').addEventListener('change', (e) => guard(() => doImport(e.target.files[0])));
$('delete-all').addEventListener('click', () => guard(deleteAll));
$('protocol-file').addEventListener('change', (e) => guard(() => loadProtocolFile(e.target.files[0])));
$('protocol-default').addEventListener('click', () => guard(async () => {
  setProtocol(await fetchProtocol('../models/protocols/default.json'));
  await state.store.setMeta('protocol', null);
  say('Using the default protocol for new participants.');
}));
$('model-file').addEventListener('change', (e) => guard(() => addModels([...e.target.files])));
$('model-select').addEventListener('change', (e) => guard(() => useModel(Number(e.target.value))));
$('eval-zip').addEventListener('change', (e) => guard(() => evalFromZip(e.target.files[0])));
$('eval-folder').addEventListener('change', (e) => guard(() => evalFromFolder([...e.target.files])));
$('eval-stored').addEventListener('click', () => guard(evalFromStore));
$('download-csv').addEventListener('click', () => downloadCsv());
window.addEventListener('pagehide', () => state.recorder?.close());

start().catch((e) => {
  console.error(e);
  alertUser(`Research mode could not start: ${e.message}`);
  say('Not available.');
  document.body.dataset.ready = 'error';
});
