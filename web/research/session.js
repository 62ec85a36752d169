// The participant's way through a session: consent, participant code,
// questions (and changing the answers), resume after a reload, withdrawal,
// review and finish. The takes themselves are takes.js.
import { say } from '../shared/guard.js';
import { newParticipantId } from './store.js';
import {
  $, el, state, guard, show, resetTasks, setPlayback, TAB_SESSION, t, tn, num, shownProtocol, setLanguage, takeName,
} from './page.js';
import { showTasks } from './takes.js';
import { joinStudy, withdrawRemote, sendAnswers } from './remote.js';
import { refreshData, offerResume } from './stored-data.js';

export function newSession() {
  resetTasks();
  const id = newParticipantId();
  // Nothing is stored before consent.
  state.session = {
    id, participant: id, protocol: state.protocol, createdAt: new Date().toISOString(),
    consentedAt: null, answers: null, status: 'in-progress', split: '',
    // The language the participant reads (and consents in).
    language: state.lang,
  };
  const p = shownProtocol(state.session);
  $('consent-text').replaceChildren(...p.consent.text.map((t) => el('p', { text: t })));
  $('consent-agree-label').textContent = p.consent.agree;
  $('consent-agree').checked = false;
  $('consent-continue').disabled = true;
  show('consent-view');
  say(t('newParticipant'));
  $('consent-agree').focus();
}

export async function giveConsent() {
  const s = state.session;
  // From a study link, the server records the consent first: no session
  // exists anywhere until both agree.
  if (state.link) s.remote = await joinStudy(state.link, s.protocol.version, s.language);
  s.consentedAt = new Date().toISOString();
  await state.store.putSession(s);
  sessionStorage.setItem(TAB_SESSION, s.id);
  // The next view appears as the action ends: a click on it is never
  // dropped as "busy" (shared/guard.js) while the stored data refreshes.
  await refreshData();
  showParticipant(s);
  askQuestions(null);
  say(t('consented', { code: s.participant }));
}

// The participant's code; from a study link also the server's id of them,
// which the study team's dashboard deletes on request.
function showParticipant(s) {
  $('participant-id').textContent = s.participant;
  $('study-code-line').hidden = !s.remote;
  $('study-participant-id').textContent = s.remote?.participant ?? '';
}

// The questions, filled in with the answers given so far; `back` is the
// view to return to after a change ('tasks-view', 'review-view'), or null
// on the first pass.
export function askQuestions(back) {
  const s = state.session;
  buildQuestions(shownProtocol(s), s.answers ?? {});
  state.answersBack = back;
  $('questions-back').hidden = !back;
  $('questions-continue').textContent = t(back ? 'saveAnswers' : 'continueToRecordings');
  show('questions-view');
  $('question-list').querySelector('input')?.focus();
}

function buildQuestions(protocol, answers = {}) {
  const list = $('question-list');
  list.textContent = '';
  for (const q of protocol.questions) {
    const fs = el('fieldset', { class: 'question', id: `q-${q.id}` },
      el('legend', { text: `${q.text}${q.required ? ` ${t('required')}` : ''}` }));
    if (q.type === 'choice') {
      q.values.forEach((v, i) => {
        const id = `q-${q.id}-${i}`;
        const input = el('input', { type: 'radio', name: q.id, id, value: v });
        if (q.required) input.required = true;
        if (answers[q.id] === v) input.checked = true;
        fs.append(el('label', { for: id }, input, q.shown?.[v] ?? v));
      });
    } else {
      const id = `q-${q.id}-n`;
      const input = el('input', { type: 'number', name: q.id, id, step: 'any' });
      if (q.min !== undefined) input.min = String(q.min);
      if (q.max !== undefined) input.max = String(q.max);
      if (q.required) input.required = true;
      if (answers[q.id] !== undefined) input.value = String(answers[q.id]);
      fs.append(el('label', { for: id }, t('answer'), input));
    }
    list.append(fs);
  }
}

export async function saveAnswers() {
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
  // The study's server has them before the page moves on.
  if (s.remote) await sendAnswers(s.remote, answers);
  s.answers = answers;
  await state.store.putSession(s);
  await refreshData();
  const back = state.answersBack;
  state.answersBack = null;
  if (back === 'review-view') await review();
  else await showTasks();
  if (changed) say(t('answersChanged'));
}

export function backFromQuestions() {
  const back = state.answersBack;
  state.answersBack = null;
  if (back === 'review-view') guard(review);
  else guard(showTasks);
}

// The participant withdraws: their answers and takes are deleted now.
export async function withdraw() {
  const s = state.session;
  if (!s) return;
  const n = (await state.store.listTakes(s.id)).length;
  if (!confirm(tn('confirmWithdraw', n, { remote: s.remote ? t('andServer') : '' }))) {
    say(t('nothingDeleted'));
    return;
  }
  if (s.remote) await withdrawRemote(s.remote);
  await state.store.deleteSession(s.id);
  sessionStorage.removeItem(TAB_SESSION);
  state.session = null;
  resetTasks();
  await refreshData();
  await offerResume();
  // The start view and the confirmation appear together, so nothing reads
  // the previous take's status on the new screen.
  show('start-view');
  say(t(s.remote ? 'withdrawnRemote' : 'withdrawn'));
  $('new-session').focus();
}

export async function resume() {
  const s = await state.store.getSession(state.resumable.id);
  state.session = s;
  if (s.language) setLanguage(s.language);
  sessionStorage.setItem(TAB_SESSION, s.id);
  showParticipant(s);
  if (!s.answers) {
    askQuestions(null);
    say(t('resumedQuestions', { code: s.participant }));
    return;
  }
  await showTasks();
  say(tn('resumedTakes', state.takes.size, { code: s.participant }));
}

export async function review() {
  const s = state.session;
  const body = $('review-body');
  body.textContent = '';
  body.append(el('p', {}, `${t('reviewParticipant')} `, el('strong', { text: s.participant })));
  const answers = el('dl');
  for (const q of shownProtocol(s).questions) {
    const a = s.answers?.[q.id];
    answers.append(el('dt', { text: q.text }), el('dd', { text: a === undefined ? t('noAnswer') : q.shown?.[a] ?? String(a) }));
  }
  body.append(answers);
  const list = el('ul', { class: 'review-takes' });
  for (const step of state.steps) {
    const take = await state.store.getTake(`${s.id}/${step.key}`);
    const audio = el('audio', { controls: '' });
    const what = takeName(step.task, step.take);
    setPlayback(audio, take.wav, what);
    list.append(el('li', {}, t('reviewTake', { what, seconds: num(take.seconds, 1), rate: take.sampleRate }), audio));
  }
  body.append(list);
  show('review-view');
  $('review-view').focus();
  say(t('reviewStatus'));
}

export async function finish() {
  const s = state.session;
  s.status = 'complete';
  s.completedAt = new Date().toISOString();
  await state.store.putSession(s);
  sessionStorage.removeItem(TAB_SESSION);
  state.session = null;
  await refreshData();
  await offerResume();
  $('done-text').textContent = tn(s.remote ? 'doneStudy' : 'done', state.takes.size, { code: s.participant });
  // The server learns the session is finished; confirmed takes leave the device.
  if (s.remote && state.uploads) state.uploads.settle(s.id).catch((e) => console.warn(`settling the session: ${e.message}`));
  resetTasks();
  show('done-view');
  $('next-participant').focus();
  say(t('sessionSaved'));
}
