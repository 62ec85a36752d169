// A study run by the study server (tinym2-study, docs/study-server.md).
// Opened from a participant link (/research/?study=ID&join=KEY), the page
// takes the study's protocol from the server, joins it at consent (a
// random participant id and a bearer token, kept in the session record),
// records consent there with the protocol version and language, sends the answers, uploads every saved
// take (upload-queue.js) and withdraws there too. Without a link the page
// sends nothing anywhere. Its errors are in the participant's language
// (i18n-screens.js); the server's own reason is quoted as it came.
import { t } from './page.js';

// {study, join} from the page's query, or null when it is not a study link.
export function studyLink(params) {
  const study = params.get('study');
  const join = params.get('join');
  if (!study && !join) return null;
  if (!/^[0-9a-f]{24}$/.test(study ?? '') || !/^[0-9a-f]{32}$/.test(join ?? '')) {
    throw new Error(t('linkDamaged'));
  }
  return { study, join };
}

// The server's answer as JSON, or an Error with its own words; `what` is
// the step's key in i18n-screens.js.
async function answer(r, what) {
  const text = await r.text();
  let body = null;
  try { body = JSON.parse(text); } catch { /* not JSON: quoted below */ }
  if (!r.ok) throw new Error(t('serverAnswered', { what: t(what), status: r.status, detail: body?.error ?? text.slice(0, 120) }));
  return body;
}

async function call(url, what, init) {
  let r;
  try {
    r = await fetch(url, init);
  } catch (e) {
    throw new Error(t('serverUnreachable', { what: t(what), detail: e.message }));
  }
  return answer(r, what);
}

export async function fetchStudyProtocol(link) {
  const body = await call(`/api/studies/${link.study}`, 'doLoadStudy');
  return body.protocol;
}

// Joins the study and records consent to protocol `version`, read in
// `language` (a tag of the protocol's); returns what the session keeps:
// {study, participant, token, consentedAt}.
export async function joinStudy(link, version, language) {
  const json = { 'Content-Type': 'application/json' };
  const p = await call(`/api/studies/${link.study}/participants`, 'doJoin',
    { method: 'POST', headers: json, body: JSON.stringify({ join: link.join }) });
  const remote = { study: link.study, participant: p.participant, token: p.token };
  const c = await call(`/api/studies/${link.study}/consent`, 'doConsent',
    { method: 'POST', headers: { ...json, ...authHeader(remote) }, body: JSON.stringify({ version, language }) });
  return { ...remote, consentedAt: c.consentedAt };
}

// The participant's answers (the label among them), sent again whenever
// they change.
export async function sendAnswers(remote, answers) {
  await call(`/api/studies/${remote.study}/answers`, 'doAnswers', {
    method: 'PUT', headers: { 'Content-Type': 'application/json', ...authHeader(remote) }, body: JSON.stringify(answers),
  });
}

export const authHeader = (remote) => ({ Authorization: `Bearer ${remote.token}` });

// Tells the server the participant finished the session; -> {completedAt, takes}.
export async function completeRemote(remote) {
  return call(`/api/studies/${remote.study}/complete`, 'doComplete',
    { method: 'POST', headers: authHeader(remote) });
}

// Deletes the participant's files and rows on the server. A token the
// server no longer knows means it is already done.
export async function withdrawRemote(remote) {
  let r;
  try {
    r = await fetch(`/api/studies/${remote.study}/me`, { method: 'DELETE', headers: authHeader(remote) });
  } catch (e) {
    throw new Error(t('withdrawUnreachable', { detail: e.message }));
  }
  if (r.status === 401) return;
  await answer(r, 'doWithdraw');
}
