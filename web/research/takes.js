// The participant's takes: one step per planned take (record, quality
// gate, playback, record again), each saved take written to IndexedDB in
// its own transaction, and the saved marks re-read from the store after a
// failed write. From a study link, each saved take is queued for upload.
import { Recorder, MicrophoneError } from '../recorder.js';
import { checkQuality, checkSoundType } from '../quality.js';
import { encodeWav } from '../wav.js';
import { say, alertUser } from '../shared/guard.js';
import { plannedTakes } from './protocol.js';
import { StorageFullError, ensureRoom } from './store.js';
import { $, params, state, guard, show, updateReview, setPlayback, t, tn, num, shownProtocol, takeName } from './page.js';
import { refreshData } from './stored-data.js';

// The length range a take is recorded and checked with: the task's, unless
// the test-only `?seconds=` cap is shorter; then the cap is the maximum and
// the minimum never exceeds it (min ≤ max always).
export function takeRange(task) {
  const cap = Number(params.get('seconds'));
  const maxSeconds = cap > 0 ? Math.min(task.maxSeconds, cap) : task.maxSeconds;
  return { minSeconds: Math.min(task.minSeconds, maxSeconds), maxSeconds };
}

// "a cough", "speech"... in the participant's language.
const describe = (modality) => (['cough', 'speech', 'breath'].includes(modality) ? t(modality) : t('otherSound', { modality }));

// A quality verdict (web/quality.js: its reason and figures) in the
// participant's language; the English is quality.js's own wording.
function verdictText(verdict, range, modality) {
  const seconds = verdict.stats?.seconds ?? 0;
  switch (verdict.reason) {
    case 'short':
      return seconds > 0 ? t('qShort', { seconds: num(seconds, 1), min: num(range.minSeconds, 1) }) : t('qEmpty');
    case 'long': return t('qLong', { seconds: num(seconds, 1), max: num(range.maxSeconds, 1) });
    case 'quiet': return t('qQuiet');
    case 'clipped': return t('qClipped');
    case 'kind': return t('qKind', { what: describe(modality), pct: Math.round(verdict.probability * 100) });
    default: return verdict.message;
  }
}

function lengthHint(task) {
  const { minSeconds, maxSeconds } = takeRange(task);
  if (minSeconds >= maxSeconds) return t('fixedLength', { max: maxSeconds });
  return t('lengthRange', { min: minSeconds, max: maxSeconds });
}

export async function showTasks() {
  const s = state.session;
  state.takes = new Map();
  for (const t of await state.store.listTakes(s.id)) state.takes.set(`${t.task}-${t.take}`, t);
  const list = $('take-list');
  list.textContent = '';
  const planned = plannedTakes(shownProtocol(s));
  state.steps = planned.map(({ task, take, key }, i) => {
    const li = $('take-template').content.firstElementChild.cloneNode(true);
    const q = (c) => li.querySelector(c);
    li.id = `take-${key}`;
    li.dataset.modality = task.modality;
    const what = takeName(task, take);
    q('.step-title').textContent = t('stepOf', { step: i + 1, steps: planned.length, what });
    q('.prompt').textContent = `${task.prompt} ${lengthHint(task)}`;
    q('.record').setAttribute('aria-label', `${t('record')} ${what}`);
    li.dataset.what = what;
    q('.meter').setAttribute('aria-label', t('inputLevel', { what }));
    q('.record').addEventListener('click', async () => {
      await guard(() => recordTake(i));
      focusAfterTake(i);
    });
    q('.stop').addEventListener('click', () => state.recorder?.stop());
    list.append(li);
    const step = { li, q, task, take, key, what };
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
  step.q('.record').textContent = t('recordAgain');
  step.q('.record').setAttribute('aria-label', `${t('recordAgain')}: ${step.li.dataset.what}`);
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
  step.q('.quality').textContent = t('savedTake', { seconds: num(take.seconds, 1), rate: take.sampleRate });
  step.q('.quality').className = 'quality good';
  const full = take.wav ? take : await state.store.getTake(take.id);
  setPlayback(step.q('.playback'), full.wav, step.what);
  showUpload(take.id, state.uploads?.state(take.id));
}

// A take's upload to the study server (upload-queue.js), on its step:
// `data-upload` is the state (waiting, uploading, retrying, uploaded,
// refused); nothing is shown for takes that are not uploaded anywhere.
export function showUpload(takeId, st) {
  const step = state.steps.find((s) => `${state.session?.id}/${s.key}` === takeId);
  if (!step || !st) return;
  const p = step.q('.upload');
  p.hidden = false;
  p.textContent = st.key ? t(st.key, st.vars) : st.message;
  p.className = `upload ${st.state === 'refused' ? 'bad' : st.state === 'uploaded' ? 'good' : ''}`;
  step.li.dataset.upload = st.state;
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
      alertUser(`${t('micStopped')} ${keptNote()}`);
    };
  }
}

const keptNote = () => tn('kept', state.takes.size);

// recorder.js's MicrophoneError in the participant's words; research mode
// has no file upload to suggest instead (the screening page does).
function micText(e) {
  if (e.kind === 'failed') return t('micFailed', { detail: e.message.match(/\((.*)\)\.?$/)?.[1] ?? e.message });
  return t({ denied: 'micDenied', missing: 'micMissing', unsupported: 'micUnsupported' }[e.kind] ?? 'micUnavailable');
}

async function recordTake(i) {
  const step = state.steps[i];
  const { q, task } = step;
  try {
    say(t('askingMic'));
    await openMicrophone();
  } catch (e) {
    if (e instanceof MicrophoneError) {
      step.li.dataset.state = `mic-${e.kind}`;
      const message = micText(e);
      q('.quality').textContent = message;
      q('.quality').className = 'quality bad';
      state.recorder = null;
      alertUser(`${message} ${keptNote()}`);
      say(t('micUnavailable'));
      return;
    }
    throw e;
  }
  const countdown = q('.countdown');
  for (let s = Number(params.get('countdown') ?? 3); s > 0; s--) {
    countdown.textContent = t('countdown', { what: describe(task.modality), s });
    await sleep(1000);
  }
  countdown.textContent = t('recordingNow', { prompt: task.prompt });
  say(t('recordingStep', { what: step.what }));
  q('.stop').hidden = false;
  q('.stop').focus();
  const fill = q('.meter-fill');
  const range = takeRange(task);
  const limit = range.maxSeconds;
  const timer = q('.timer');
  const recordedAt = new Date().toISOString();
  const t0 = performance.now();
  const tick = () => {
    timer.textContent = t('secondsLeft', { s: Math.max(0, Math.ceil(limit - (performance.now() - t0) / 1000)) });
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
  countdown.textContent = t('recordingFinished');
  const rate = state.recorder.sampleRate;
  const wav = encodeWav(samples, rate);
  // The checks read the 16-bit samples that are stored and uploaded, as the
  // study server does (take_check.cc): the gate gets the same Int16 PCM, so
  // the page's and the server's probabilities agree bit for bit.
  const pcm16 = new Int16Array(wav, 44, samples.length);
  const audio = { samples: Float32Array.from(pcm16, (v) => v / 32768), sampleRate: rate, channels: 1, frames: samples.length };
  let verdict = checkQuality(audio, range);
  if (verdict.ok) {
    const kind = checkSoundType(state.gate, { ...audio, samples: pcm16 }, task);
    if (!kind.ok) verdict = { ...verdict, ...kind };
  }
  setPlayback(q('.playback'), wav, step.what);
  recordAgain(step);
  if (!verdict.ok) {
    step.li.dataset.state = `rejected-${verdict.reason}`;
    const message = verdictText(verdict, range, task.modality);
    const kept = state.takes.has(step.key) ? ` ${t('keptEarlier')}` : '';
    q('.quality').textContent = `${message}${kept}`;
    q('.quality').className = 'quality bad';
    say(t('needsAgain', { what: step.what, message }));
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
    const kept = state.takes.has(step.key) ? ` ${t('keptEarlierStep')}` : '';
    const message = e instanceof StorageFullError ? t('storageFull', { detail: e.detail }) : `${t('notSaved')} ${e.message}`;
    q('.quality').textContent = `${message}${kept}`;
    q('.quality').className = 'quality bad';
    step.li.dataset.state = e instanceof StorageFullError ? 'storage-full' : 'save-failed';
    alertUser(message);
    say(t('couldNotSave'));
    await refreshData();
    return;
  }
  state.storageProblem = null;
  state.takes.set(step.key, take);
  await refreshData();
  await markSaved(step, take);
  if (state.session.remote) state.uploads?.add(take.id);
  const left = state.steps.filter((s) => !state.takes.has(s.key)).length;
  say(left ? tn('savedLeft', left, { what: step.what }) : t('allSaved'));
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
      setPlayback(step.q('.playback'), full.wav, step.what);
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
