// What every research-mode screen shares: the page's state, DOM helpers,
// which view is shown and who may see what (participant or researcher),
// and the one-action-at-a-time guard.
import { createGuard } from '../shared/guard.js';
import { translate, plural, applyLanguage, formatNumber } from './i18n.js';
import { localizeProtocol } from './protocol.js';

export const params = new URLSearchParams(location.search);
export const $ = (id) => document.getElementById(id);
export const state = {
  takes: new Map(), steps: [], view: 'start-view', unlocked: false, storageProblem: null, exportNames: new Set(),
  evaluation: null,
  // A study link's {study, join} (remote.js) and its upload queue, or null.
  link: null, uploads: null,
  // The researcher's header line and window title (English, like the
  // researcher screens); a participant's are in their language (frameTexts):
  // a participant never reads about exports, models or evaluation.
  header: 'Collect labelled recordings, export them for the model factory, evaluate models. Data stays on this device.',
  title: 'tinym2 research mode — collect, export and evaluate',
  // The WebAssembly variant the engine runs ('simd' or 'scalar'), for the footer.
  engineVariant: null,
};
// For the tests (never sent anywhere).
window.research = { evaluation: null, lastExport: null };
// The session this tab recorded: after a reload it may be resumed without
// the researcher passcode (sessionStorage lives as long as the tab).
export const TAB_SESSION = 'tinym2-research-session';
export const SESSION_VIEWS = ['consent-view', 'questions-view', 'tasks-view', 'review-view'];

export const { guard, isBusy } = createGuard(setBusy, { failed: () => t('wentWrong') });

// The participant's words (i18n.js) in the language of this page or session.
export const t = (key, vars) => translate(state.lang ?? 'en', key, vars);
export const tn = (key, n, vars) => plural(state.lang ?? 'en', key, n, vars);
// A number with `digits` decimals as the participant's language writes it.
export const num = (x, digits) => formatNumber(state.lang ?? 'en', x, digits);
// A session's protocol as its participant reads it (the language they were
// shown at consent; sessions from before translations show the protocol's own).
export const shownProtocol = (s) => localizeProtocol(s.protocol, s.language ?? s.protocol.language ?? 'en');

// Shows the page in `lang`: the static labels (i18n.js) and the texts that
// depend on the page's state (a study link sends data; the engine variant).
export function setLanguage(lang) {
  state.lang = lang;
  applyLanguage(lang);
  frameTexts();
}

function frameTexts() {
  $('privacy-note').textContent = t(state.link ? 'privacyNoteStudy' : 'privacyNote');
  $('save-hint').textContent = t(state.link ? 'saveHintStudy' : 'saveHint');
  if (state.engineVariant) $('engine-info').textContent = t(state.engineVariant === 'simd' ? 'engineSimd' : 'engineScalar');
  lockTexts();
  updateAccess();
}

// The lock form sits on the participant's start and done screens, so it
// speaks their language (the screens it opens stay English).
export function lockTexts() {
  if (state.passcode === undefined) return; // not read yet (researcher.js, initLock)
  $('lock-h').textContent = t(state.passcode ? 'lockH' : 'lockHFirst');
  $('unlock').textContent = t(state.passcode ? 'unlock' : 'unlockFirst');
}

// The name a participant reads for a planned take ("cough, take 1 of 2"):
// the task by its kind of sound in their language (the task's id when the
// kind is none the page knows), and which take when there are several.
const NAMES = { cough: 'nameCough', speech: 'nameSpeech', breath: 'nameBreath' };
export function takeName(task, take) {
  const name = NAMES[task.modality] ? t(NAMES[task.modality]) : task.id;
  return task.takes > 1 ? t('takeOf', { task: name, take, takes: task.takes }) : name;
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

export function show(view) {
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
export function updateAccess() {
  const inSession = SESSION_VIEWS.includes(state.view);
  const open = state.unlocked && !inSession;
  $('researcher').hidden = inSession;
  $('nav-researcher').hidden = inSession;
  $('lock-view').hidden = state.unlocked;
  $('researcher-bar').hidden = !state.unlocked;
  $('researcher-screens').hidden = !open;
  for (const li of document.querySelectorAll('.researcher-only')) li.hidden = !open;
  const mode = open ? 'researcher' : 'participant';
  document.body.dataset.mode = mode;
  $('privacy-tag').textContent = open ? state.header : t(state.link ? 'headerStudy' : 'headerParticipant');
  document.title = open ? state.title : t('titleParticipant');
  if (!open) $('sessions').querySelector('tbody').replaceChildren();
}

export function setBusy(busy) {
  for (const s of state.steps) s.q('.record').disabled = busy;
  for (const id of ['edit-answers', 'review-edit-answers', 'withdraw']) $(id).disabled = busy;
  state.evaluation?.setBusy(busy);
  updateReview();
}

// Review opens once every planned take is saved, and not during an action.
export function updateReview() {
  const done = state.steps.length > 0 && state.steps.every((s) => state.takes.has(s.key));
  $('review-button').disabled = isBusy() || !done;
}

export function resetTasks() {
  state.takes = new Map();
  state.steps = [];
  $('take-list').textContent = '';
}

// `what` is the take's name as the participant reads it (takeName).
export function setPlayback(audio, wav, what) {
  if (audio.src) URL.revokeObjectURL(audio.src);
  audio.src = URL.createObjectURL(new Blob([wav], { type: 'audio/wav' }));
  audio.hidden = false;
  audio.setAttribute('aria-label', t('playBack', { what }));
}

export function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
