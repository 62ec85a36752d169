// Research mode: a study protocol drives consented sessions (participant
// code, questions, recorded takes) stored in IndexedDB take by take; the
// stored data exports as a ZIP in the factory's manifest layout; models are
// evaluated on exported or stored recordings with the WASM engine
// (evaluate.js). Two audiences share one page: the participant view (consent
// to finish) never shows stored data or researcher controls; those sit
// behind the researcher passcode (lock.js, a kiosk lock). All requests
// happen while the page loads; nothing is sent anywhere.
//
// This file starts the page and wires its controls. The screens:
// session.js (participant flow), takes.js (recording and saving takes),
// stored-data.js (stored-data table, storage line, resume offer),
// researcher.js (lock, export, import, protocol), evaluate.js; shared
// state and view switching: page.js; protocol and gate: study.js.
import { loadEngine } from '../engine.js';
import { say, alertUser } from '../shared/guard.js';
import { validateProtocol } from './protocol.js';
import { Store } from './store.js';
import { studyLink, fetchStudyProtocol } from './remote.js';
import { UploadQueue } from './upload-queue.js';
import { setupEvaluation } from './evaluate.js';
import { $, el, params, state, guard, isBusy, setBusy, show, download, t, setLanguage } from './page.js';
import { pageLanguage, translate } from './i18n.js';
import { showUpload } from './takes.js';
import { DEFAULT_PROTOCOL, fetchProtocol, loadGate, setProtocol } from './study.js';
import {
  newSession, giveConsent, askQuestions, saveAnswers, backFromQuestions, withdraw, resume, review, finish,
} from './session.js';
import { refreshData, offerResume } from './stored-data.js';
import { initLock, unlock, lock, deleteAll, doExport, doImport, loadProtocolFile } from './researcher.js';

async function start() {
  if ('serviceWorker' in navigator && params.get('sw') !== 'off') {
    navigator.serviceWorker.register('sw.js').catch((e) => console.warn('service worker not registered:', e));
  }
  state.store = await Store.open();
  state.link = studyLink(params);
  // From a study link the page sends data to the study's server: it says so
  // wherever it would otherwise promise that nothing leaves the device.
  if (state.link) state.header = translate('en', 'headerStudy');
  const engineBase = new URL('../engine/', location.href);
  state.engine = await loadEngine({ base: engineBase, variant: params.get('engine') ?? undefined });
  state.engineVariant = state.engine.variant;
  setLanguage(state.lang);
  state.evaluation = setupEvaluation({
    el, guard, isBusy, store: state.store, engineBase, variant: state.engine.variant, download,
    cacheBytes: params.has('audioCache') ? Number(params.get('audioCache')) : undefined,
  });
  setBusy(false);
  await Promise.all([loadGate(), state.evaluation.prepare()]);
  await initLock();
  show('start-view');
  // A study link runs the server's protocol; otherwise the one stored here.
  const stored = state.link ? null : await state.store.getMeta('protocol');
  if (state.link) setProtocol(validateProtocol(await fetchStudyProtocol(state.link), `study ${state.link.study}`));
  if (stored) {
    try {
      setProtocol(validateProtocol(stored.value, stored.name));
    } catch (e) {
      alertUser(e.message);
    }
  }
  if (!state.protocol) setProtocol(await fetchProtocol(params.get('protocol') ?? DEFAULT_PROTOCOL));
  await refreshData();
  await offerResume();
  if (state.link) {
    state.uploads = new UploadQueue({ store: state.store, onChange: showUpload });
    await state.uploads.resumeAll();
  }
  document.body.dataset.ready = 'true';
  say(t('ready'));
}

// ---- wiring ----------------------------------------------------------

$('new-session').addEventListener('click', () => guard(async () => newSession()));
$('resume').addEventListener('click', () => guard(resume));
$('consent-agree').addEventListener('change', () => { $('consent-continue').disabled = !$('consent-agree').checked; });
$('consent-view').addEventListener('submit', (e) => { e.preventDefault(); if ($('consent-agree').checked) guard(giveConsent); });
$('consent-cancel').addEventListener('click', () => {
  state.session = null;
  show('start-view');
  say(t('cancelled'));
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
  setProtocol(await fetchProtocol(DEFAULT_PROTOCOL));
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

// Until the protocol says which languages the study has, the page speaks
// the one the link (?lang=) or the browser asks for.
setLanguage(pageLanguage([params.get('lang'), ...(navigator.languages ?? [navigator.language])]));
say(t('loading'));
start().catch((e) => {
  console.error(e);
  alertUser(t('couldNotStart', { message: e.message }));
  say(t('notAvailable'));
  document.body.dataset.ready = 'error';
});
