// Research mode: a study protocol drives consented sessions (participant
// code, questions, recorded takes) stored in IndexedDB take by take; the
// stored data exports as a ZIP in the factory's manifest layout; models are
// evaluated on exported or stored recordings with the WASM engine
// (evaluate.js). Two audiences share one page: the participant view (consent
// to finish) never shows stored data or researcher controls; those sit
// behind the researcher passcode (lock.js, a kiosk lock). All requests
// happen while the page loads; nothing is sent anywhere.
import { loadEngine } from '../engine.js';
import { Recorder, MicrophoneError } from '../recorder.js';
import { checkQuality, checkSoundType, describe } from '../quality.js';
import { parseWav, encodeWav } from '../wav.js';
import { say, alertUser, createGuard } from '../shared/guard.js';
import { parseProtocol, validateProtocol, ProtocolError, labelQuestion, plannedTakes } from './protocol.js';
import { Store, StorageFullError, storageEstimate, ensureRoom, formatBytes, newParticipantId } from './store.js';
import { exportZip, importZip } from './archive.js';
import { makePasscode, checkPasscode } from './lock.js';
import { setupEvaluation } from './evaluate.js';

const params = new URLSearchParams(location.search);
const $ = (id) => document.getElementById(id);
const state = { takes: new Map(), steps: [], view: 'start-view', unlocked: false, storageProblem: null, exportNames: new Set() };
// For the tests (never sent anywhere).
window.research = { evaluation: null, lastExport: null };
// The session this tab recorded: after a reload it may be resumed without
// the researcher passcode (sessionStorage lives as long as the tab).
const TAB_SESSION = 'tinym2-research-session';
const SESSION_VIEWS = ['consent-view', 'questions-view', 'tasks-view', 'review-view'];

const { guard, isBusy } = createGuard(setBusy);
let evaluation = null;

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
  for (const id of ['start-view', ...SESSION_VIEWS, 'done-view']) $(id).hidden = id !== view;
  $('participant-line').hidden = !['questions-view', 'tasks-view', 'review-view'].includes(view);
  state.view = view;
  // A participant's session locks the researcher screens (kiosk).
  if (SESSION_VIEWS.includes(view)) state.unlocked = false;
  updateAccess();
}

// What the current person may see: during a participant's session nothing
// stored and nothing meant for the researcher; outside it, the lock form,
// and once unlocked the researcher screens.
function updateAccess() {
  const inSession = SESSION_VIEWS.includes(state.view);
  const open = state.unlocked && !inSession;
  $('researcher').hidden = inSession;
  $('nav-researcher').hidden = inSession;
  $('lock-view').hidden = state.unlocked;
  $('researcher-bar').hidden = !state.unlocked;
  $('researcher-screens').hidden = !open;
  for (const li of document.querySelectorAll('.researcher-only')) li.hidden = !open;
  document.body.dataset.mode = open ? 'researcher' : 'participant';
  if (!open) $('sessions').querySelector('tbody').replaceChildren();
}

function setBusy(busy) {
  for (const s of state.steps) s.q('.record').disabled = busy;
  for (const id of ['edit-answers', 'review-edit-answers', 'withdraw']) $(id).disabled = busy;
  evaluation?.setBusy(busy);
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
  evaluation = setupEvaluation({
    el, guard, isBusy, store: state.store, engineBase, variant: state.engine.variant, download,
    cacheBytes: params.has('audioCache') ? Number(params.get('audioCache')) : undefined,
  });
  setBusy(false);
  await Promise.all([loadGate(), evaluation.prepare()]);
  await initLock();
  show('start-view');
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

// A same-origin file, or an Error naming it and the HTTP status: an error
// page's bytes must never be read as a manifest or a model.
async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname} could not be loaded (HTTP ${r.status})`);
  return r;
}

// The sound-type model of the screening page's manifest, when it lists one.
// When it cannot be loaded, the page says so and checks length and level.
async function loadGate() {
  state.gate = null;
  $('gate-note').textContent = 'No sound-type model is listed: recordings are checked for length and level only.';
  try {
    const manifestUrl = new URL(params.get('manifest') ?? '../models/manifest.json', location.href);
    if (manifestUrl.origin !== location.origin) throw new Error('the manifest must come from this site');
    const manifest = await (await fetchOk(manifestUrl)).json();
    if (!manifest.gate) return;
    // The main thread's engine runs only the gate; evaluation has its own in a worker.
    const engine = state.engine;
    const bytes = new Uint8Array(await (await fetchOk(new URL(manifest.gate.url, manifestUrl))).arrayBuffer());
    engine.load(bytes);
    state.gate = { engine, labels: manifest.gate.labels ?? {}, threshold: manifest.gate.threshold ?? 0.5 };
    $('gate-note').textContent = `Sound-type check: ${manifest.gate.url}.`;
  } catch (e) {
    console.warn('sound-type check unavailable:', e);
    const text = `The sound-type check is not available: ${e.message}. Recordings are checked for length and level only.`;
    $('gate-note').textContent = text;
    alertUser(text);
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

// Unlocked, the researcher may resume the latest unfinished session; locked,
// only the session this tab recorded is offered (a reload mid-session).
async function offerResume() {
  const open = (await state.store.listSessions()).filter((s) => s.status !== 'complete');
  const mine = sessionStorage.getItem(TAB_SESSION);
  const last = state.unlocked ? open[open.length - 1] : open.find((s) => s.id === mine);
  state.resumable = last ?? null;
  $('resume').hidden = !last;
  $('resume-note').hidden = !last;
  if (last) {
    const n = (await state.store.listTakes(last.id)).length;
    $('resume-note').textContent = `Participant ${last.participant} has an unfinished session${last.id === mine ? ' in this tab' : ''} ` +
      `(started ${new Date(last.createdAt).toLocaleString()}, ${n} of ${plannedTakes(last.protocol).length} takes saved).`;
  }
}

// ---- the researcher lock ----------------------------------------------

async function initLock() {
  state.passcode = await state.store.getMeta('passcode');
  const first = !state.passcode;
  $('lock-h').textContent = first ? 'Set a researcher passcode' : 'Researcher screens are locked';
  $('passcode-confirm-row').hidden = !first;
  $('passcode-confirm').required = first;
  $('passcode').autocomplete = first ? 'new-password' : 'current-password';
  $('unlock').textContent = first ? 'Set the passcode and unlock' : 'Unlock';
}

async function unlock() {
  const code = $('passcode').value;
  if (!state.passcode) {
    if (code !== $('passcode-confirm').value) throw new Error('The two passcodes differ: type the same passcode twice.');
    const record = await makePasscode(code);
    await state.store.setMeta('passcode', record);
  } else if (!(await checkPasscode(state.passcode, code))) {
    $('passcode').value = '';
    throw new Error('Wrong passcode: the researcher screens stay locked.');
  }
  $('passcode').value = '';
  $('passcode-confirm').value = '';
  await initLock();
  state.unlocked = true;
  updateAccess();
  await refreshData();
  await offerResume();
  say('Researcher screens unlocked. They lock again when a participant starts, or with Lock now.');
}

async function lock() {
  state.unlocked = false;
  updateAccess();
  await offerResume();
  say('Researcher screens locked.');
}

function newSession() {
  resetTasks();
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
  sessionStorage.setItem(TAB_SESSION, s.id);
  $('participant-id').textContent = s.participant;
  askQuestions(null);
  say(`Consent recorded. Participant code ${s.participant}. Please answer the questions.`);
  await refreshData();
}

// The questions, filled in with the answers given so far; `back` is the
// view to return to after a change ('tasks-view', 'review-view'), or null
// on the first pass.
function askQuestions(back) {
  const s = state.session;
  buildQuestions(s.protocol, s.answers ?? {});
  state.answersBack = back;
  $('questions-back').hidden = !back;
  $('questions-continue').textContent = back ? 'Save the answers' : 'Continue to the recordings';
  show('questions-view');
  $('question-list').querySelector('input')?.focus();
}

function buildQuestions(protocol, answers = {}) {
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
        if (answers[q.id] === v) input.checked = true;
        fs.append(el('label', { for: id }, input, v));
      });
    } else {
      const id = `q-${q.id}-n`;
      const input = el('input', { type: 'number', name: q.id, id, step: 'any' });
      if (q.min !== undefined) input.min = String(q.min);
      if (q.max !== undefined) input.max = String(q.max);
      if (q.required) input.required = true;
      if (answers[q.id] !== undefined) input.value = String(answers[q.id]);
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
  const changed = s.answers !== null;
  s.answers = answers;
  await state.store.putSession(s);
  const back = state.answersBack;
  state.answersBack = null;
  if (back === 'review-view') await review();
  else await showTasks();
  if (changed) say('Your answers were changed.');
  await refreshData();
}

function backFromQuestions() {
  const back = state.answersBack;
  state.answersBack = null;
  if (back === 'review-view') guard(review);
  else guard(showTasks);
}

// The participant withdraws: their answers and takes are deleted now.
async function withdraw() {
  const s = state.session;
  if (!s) return;
  const n = (await state.store.listTakes(s.id)).length;
  if (!confirm(`Withdraw from the study? Your answers and your ${n} recording${n === 1 ? '' : 's'} are deleted from this device now. This cannot be undone.`)) {
    say('Nothing was deleted; you can go on.');
    return;
  }
  await state.store.deleteSession(s.id);
  sessionStorage.removeItem(TAB_SESSION);
  state.session = null;
  resetTasks();
  show('start-view');
  await refreshData();
  await offerResume();
  say('You have withdrawn: your answers and recordings were deleted from this device. Thank you.');
  $('new-session').focus();
}

async function resume() {
  const s = await state.store.getSession(state.resumable.id);
  state.session = s;
  sessionStorage.setItem(TAB_SESSION, s.id);
  $('participant-id').textContent = s.participant;
  if (!s.answers) {
    askQuestions(null);
    say(`Resumed participant ${s.participant}: please answer the questions.`);
    return;
  }
  await showTasks();
  say(`Resumed participant ${s.participant}: ${state.takes.size} take${state.takes.size === 1 ? '' : 's'} already saved.`);
}

// ---- takes -----------------------------------------------------------

const recordLimit = (task) => Math.min(task.maxSeconds, Number(params.get('seconds') ?? task.maxSeconds));

function resetTasks() {
  state.takes = new Map();
  state.steps = [];
  $('take-list').textContent = '';
}

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
    li.dataset.what = what;
    q('.meter').setAttribute('aria-label', `Input level for ${what}`);
    q('.record').addEventListener('click', async () => {
      await guard(() => recordTake(i));
      focusAfterTake(i);
    });
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

// The button's name starts with its visible text (WCAG 2.5.3).
function recordAgain(step) {
  step.q('.record').textContent = 'Record again';
  step.q('.record').setAttribute('aria-label', `Record again: ${step.li.dataset.what}`);
}

// Focus after a take, once the controls are enabled again: the next take
// to record, else Review; the same take's Record again when it failed.
function focusAfterTake(i) {
  const step = state.steps[i];
  if (!step || state.view !== 'tasks-view') return;
  if (step.li.dataset.state !== 'saved') { step.q('.record').focus(); return; }
  const next = [...state.steps.slice(i + 1), ...state.steps.slice(0, i)].find((st) => !state.takes.has(st.key));
  if (next) next.q('.record').focus();
  else $('review-button').focus();
}

// `data-saved` is the take stored for this step (the ✓ mark); `data-state`
// is the verdict on the latest attempt. A failed attempt changes the second
// only.
async function markSaved(step, take) {
  step.li.dataset.state = 'saved';
  step.li.dataset.saved = take.savedAt ?? 'true';
  recordAgain(step);
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
  const limit = recordLimit(task);
  const timer = q('.timer');
  const recordedAt = new Date().toISOString();
  const t0 = performance.now();
  const tick = () => {
    timer.textContent = `${Math.max(0, Math.ceil(limit - (performance.now() - t0) / 1000))} s left`;
  };
  tick();
  const ticking = setInterval(tick, 250);
  state.recording = true;
  let samples;
  try {
    samples = await state.recorder.record(limit, (peak) => {
      const pct = Math.round(Math.min(1, Math.sqrt(peak)) * 100);
      fill.style.width = `${pct}%`;
      q('.meter').setAttribute('aria-valuenow', String(pct));
    });
  } finally {
    state.recording = false;
    clearInterval(ticking);
    timer.textContent = '';
  }
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
  recordAgain(step);
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
    recordedAt, ...deviceInfo(), browser: browserInfo(), userAgent: navigator.userAgent,
  };
  try {
    await ensureRoom(wav.byteLength);
    await state.store.putTake(take);
  } catch (e) {
    if (e instanceof StorageFullError) state.storageProblem = e.message;
    // What is really stored decides the saved marks, not what the page
    // believed before the failure.
    await checkSavedMarks();
    const kept = state.takes.has(step.key) ? ' The take saved earlier for this step is kept.' : '';
    q('.quality').textContent = `${e instanceof StorageFullError ? '' : 'Not saved. '}${e.message}${kept}`;
    q('.quality').className = 'quality bad';
    step.li.dataset.state = e instanceof StorageFullError ? 'storage-full' : 'save-failed';
    alertUser(`${e.message}`);
    say('This take could not be saved.');
    await refreshData();
    return;
  }
  state.storageProblem = null;
  state.takes.set(step.key, take);
  await refreshData();
  await markSaved(step, take);
  const left = state.steps.filter((s) => !state.takes.has(s.key)).length;
  say(left ? `${step.key} saved. ${left} take${left > 1 ? 's' : ''} to go.` : 'All takes saved. Review the session.');
}

// Re-reads this session's takes from the store and sets every step's saved
// mark and playback from what is there.
async function checkSavedMarks() {
  const stored = new Map((await state.store.listTakes(state.session.id)).map((t) => [`${t.task}-${t.take}`, t]));
  state.takes = stored;
  for (const step of state.steps) {
    const t = stored.get(step.key);
    if (t) {
      step.li.dataset.saved = t.savedAt ?? 'true';
      const full = await state.store.getTake(t.id);
      setPlayback(step.q('.playback'), full.wav, step.key);
    } else if (step.li.dataset.saved) {
      delete step.li.dataset.saved;
    }
  }
}

// Per-take recording details for the manifest: the input device's label
// (given once the microphone is allowed) and its settings.
function deviceInfo() {
  const track = state.recorder?.stream?.getAudioTracks()[0];
  const settings = track?.getSettings?.() ?? {};
  return { inputDevice: (track?.label ?? '').replace(/[\r\n]+/g, ' '), inputChannels: settings.channelCount ?? null };
}

// The browser as User-Agent Client Hints state it (brands, platform,
// mobile), or the user-agent string where they do not exist.
function browserInfo() {
  const d = navigator.userAgentData;
  if (d?.brands?.length) {
    const brands = d.brands.filter((b) => !/not.?a.?brand/i.test(b.brand)).map((b) => `${b.brand} ${b.version}`);
    return `${brands.join(', ')}; ${d.platform || 'unknown platform'}; ${d.mobile ? 'mobile' : 'not mobile'}`;
  }
  return navigator.userAgent;
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
  sessionStorage.removeItem(TAB_SESSION);
  state.session = null;
  await refreshData();
  await offerResume();
  $('done-text').textContent = `Thank you. The session of participant ${s.participant} is complete and stored (${state.takes.size} takes).`;
  resetTasks();
  show('done-view');
  $('next-participant').focus();
  say('Session saved.');
}

// ---- stored data -----------------------------------------------------

// The stored-data table is filled only while the researcher screens are
// open; the storage line is always up to date (a fresh estimate each time).
async function refreshData() {
  const open = state.unlocked && !SESSION_VIEWS.includes(state.view);
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
    if (!open) continue;
    tbody.append(el('tr', { 'data-session': s.id },
      el('th', { scope: 'row', text: s.participant }),
      el('td', { text: new Date(s.createdAt).toLocaleString() }),
      el('td', { text: s.answers?.[label.id] ?? '—' }),
      el('td', { text: `${ts.length} / ${plannedTakes(s.protocol).length}` }),
      el('td', { text: s.status === 'complete' ? 'complete' : 'unfinished' }),
      el('td', {}, split), el('td', {}, del)));
  }
  if (!sessions.length && open) tbody.append(el('tr', {}, el('td', { colspan: '7', text: 'No sessions stored.' })));
  $('sessions').querySelector('tbody').replaceWith(tbody);
  const est = await storageEstimate();
  let text = `${sessions.length} session${sessions.length === 1 ? '' : 's'}, ${takes} take${takes === 1 ? '' : 's'}, ${formatBytes(bytes)} of audio.`;
  if (state.storageProblem) {
    // The estimate is the browser's quota arithmetic; a full disk refuses
    // writes long before it, so a failed write outranks the estimate.
    text += ' Storage is full: the last take could not be written. Export the study and delete exported sessions, or free space on this device.';
    if (est && est.quota) text += ` (The browser estimates ${formatBytes(Math.max(0, est.quota - est.usage))} left, but the device refused the write.)`;
  } else if (est && est.quota) {
    const left = Math.max(0, est.quota - est.usage);
    text += ` Browser storage used: ${formatBytes(est.usage)} of ${formatBytes(est.quota)} (${formatBytes(left)} left).`;
    if (left < 50e6) text += ' Storage is nearly full: export and delete sessions before recording more.';
  } else {
    text += ' The browser does not state its storage quota.';
  }
  $('storage').textContent = text;
  window.research.stored = { sessions: sessions.length, takes, bytes, estimate: est, problem: state.storageProblem };
}

async function deleteSession(s, n) {
  if (!confirm(`Delete the session of participant ${s.participant} and its ${n} recording${n === 1 ? '' : 's'}? This cannot be undone.`)) {
    say('Nothing was deleted.');
    return;
  }
  await state.store.deleteSession(s.id);
  if (state.session?.id === s.id) { state.session = null; resetTasks(); show('start-view'); }
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
  resetTasks();
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
  // Names carry the time to the second; two exports within one second get -2, -3...
  let name = r.name;
  for (let k = 2; state.exportNames.has(name); k++) name = r.name.replace(/\.zip$/, `-${k}.zip`);
  state.exportNames.add(name);
  r.name = name;
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

// ---- wiring ----------------------------------------------------------

$('new-session').addEventListener('click', () => guard(async () => newSession()));
$('resume').addEventListener('click', () => guard(resume));
$('consent-agree').addEventListener('change', () => { $('consent-continue').disabled = !$('consent-agree').checked; });
$('consent-view').addEventListener('submit', (e) => { e.preventDefault(); if ($('consent-agree').checked) guard(giveConsent); });
$('consent-cancel').addEventListener('click', () => {
  state.session = null;
  show('start-view');
  say('Cancelled; nothing was stored.');
  $('new-session').focus();
});
$('questions-view').addEventListener('submit', (e) => { e.preventDefault(); guard(saveAnswers); });
$('questions-back').addEventListener('click', backFromQuestions);
$('edit-answers').addEventListener('click', () => askQuestions('tasks-view'));
$('review-edit-answers').addEventListener('click', () => askQuestions('review-view'));
$('withdraw').addEventListener('click', () => guard(withdraw));
$('review-button').addEventListener('click', () => guard(review));
$('back-to-tasks').addEventListener('click', () => { show('tasks-view'); $('review-button').focus(); });
$('finish').addEventListener('click', () => guard(finish));
$('next-participant').addEventListener('click', () => guard(async () => newSession()));
$('lock-view').addEventListener('submit', (e) => { e.preventDefault(); guard(unlock); });
$('lock').addEventListener('click', () => guard(lock));
$('export').addEventListener('click', () => guard(doExport));
$('import-file').addEventListener('change', (e) => guard(() => doImport(e.target.files[0])));
$('delete-all').addEventListener('click', () => guard(deleteAll));
$('protocol-file').addEventListener('change', (e) => guard(() => loadProtocolFile(e.target.files[0])));
$('protocol-default').addEventListener('click', () => guard(async () => {
  setProtocol(await fetchProtocol('../models/protocols/default.json'));
  await state.store.setMeta('protocol', null);
  say('Using the default protocol for new participants.');
}));
// Leaving the page while a take is being recorded loses that take: the
// browser asks first. (Saved takes survive anyway.)
window.addEventListener('beforeunload', (e) => {
  if (!state.recording) return;
  e.preventDefault();
  e.returnValue = '';
});
window.addEventListener('pagehide', () => state.recorder?.close());

start().catch((e) => {
  console.error(e);
  alertUser(`Research mode could not start: ${e.message}`);
  say('Not available.');
  document.body.dataset.ready = 'error';
});
