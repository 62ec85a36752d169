// What every research-mode screen shares: the page's state, DOM helpers,
// which view is shown and who may see what (participant or researcher),
// and the one-action-at-a-time guard.
import { createGuard } from '../shared/guard.js';
import { translate, plural } from './i18n.js';
import { localizeProtocol } from './protocol.js';

export const params = new URLSearchParams(location.search);
export const $ = (id) => document.getElementById(id);
export const state = {
  takes: new Map(), steps: [], view: 'start-view', unlocked: false, storageProblem: null, exportNames: new Set(),
  evaluation: null,
  // A study link's {study, join} (remote.js) and its upload queue, or null.
  link: null, uploads: null,
  // The header line and the window title for each audience: a participant
  // never reads about exports, models or evaluation (app.js changes them
  // for a study link).
  header: {
    participant: 'Sound recordings for a research study. They stay on this device until the researcher collects them.',
    researcher: 'Collect labelled recordings, export them for the model factory, evaluate models. Data stays on this device.',
  },
  title: {
    participant: 'Research recordings — tinym2',
    researcher: 'tinym2 research mode — collect, export and evaluate',
  },
};
// For the tests (never sent anywhere).
window.research = { evaluation: null, lastExport: null };
// The session this tab recorded: after a reload it may be resumed without
// the researcher passcode (sessionStorage lives as long as the tab).
export const TAB_SESSION = 'tinym2-research-session';
export const SESSION_VIEWS = ['consent-view', 'questions-view', 'tasks-view', 'review-view'];

export const { guard, isBusy } = createGuard(setBusy);

// The participant's words (i18n.js) in the language of this page or session.
export const t = (key, vars) => translate(state.lang ?? 'en', key, vars);
export const tn = (key, n, vars) => plural(state.lang ?? 'en', key, n, vars);
// A session's protocol as its participant reads it (the language they were
// shown at consent; sessions from before translations show the protocol's own).
export const shownProtocol = (s) => localizeProtocol(s.protocol, s.language ?? s.protocol.language ?? 'en');

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
  $('privacy-tag').textContent = state.header[mode];
  document.title = state.title[mode];
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

export function setPlayback(audio, wav, what) {
  if (audio.src) URL.revokeObjectURL(audio.src);
  audio.src = URL.createObjectURL(new Blob([wav], { type: 'audio/wav' }));
  audio.hidden = false;
  audio.setAttribute('aria-label', `Play back ${what}`);
}

export function download(bytes, name, type) {
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
