// The study server's researcher dashboard (dashboard.html): log in, see
// each study's progress per task and the takes the server-side gate
// flagged (with playback), export the study as the same ZIP research mode
// exports on a device (archive.js's zipSessions), and read the audit log.
// The session is an HttpOnly cookie; every request that changes or
// exports data carries the CSRF token the login returned.
import { zipSessions } from './archive.js';
import { parseWav } from '../wav.js';

const $ = (sel) => document.querySelector(sel);
let csrf = '';

function say(text) { $('#status').textContent = text; }
function alertText(text) {
  $('#alert').textContent = text;
  $('#alert').hidden = !text;
}

async function api(path, { method = 'GET', body } = {}) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const r = await fetch(`/api/dashboard/${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  if (!r.ok) {
    let text = `HTTP ${r.status}`;
    try { text = (await r.json()).error ?? text; } catch { /* not JSON */ }
    const e = new Error(text);
    e.status = r.status;
    throw e;
  }
  return r;
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props);
  for (const c of children) e.append(c);
  return e;
}

function showLogin(message = '') {
  $('#board').hidden = true;
  $('#login').hidden = false;
  say(message || 'Log in to see the studies.');
}

async function showBoard(researcher) {
  $('#login').hidden = true;
  $('#board').hidden = false;
  $('#who').textContent = `Logged in as ${researcher}.`;
  await refresh();
}

async function refresh() {
  const { studies } = await (await api('studies')).json();
  const root = $('#studies');
  root.replaceChildren(...studies.map(renderStudy));
  const { entries } = await (await api('audit')).json();
  $('#audit tbody').replaceChildren(...entries.map((e) => el('tr', {},
    el('td', { textContent: e.at }), el('td', { textContent: e.actor }), el('td', { textContent: e.action }),
    el('td', { textContent: e.study }), el('td', { textContent: e.detail }))));
  say(`${studies.length} stud${studies.length === 1 ? 'y' : 'ies'}.`);
}

// "1 participant", "2 participants".
const count = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function renderStudy(s) {
  const section = el('section', { id: `study-${s.id}`, className: 'study' });
  section.dataset.study = s.id;
  section.append(el('h2', { textContent: s.name }),
    el('p', { className: 'muted', textContent: `Study ${s.id}, protocol ${s.protocolId} version ${s.version}, created ${s.createdAt}.` }),
    el('p', { className: 'counts', textContent: `${count(s.participants, 'participant')}, ${s.consented} consented, ${s.finished} finished the session, ${s.complete} with every take uploaded.` }));
  const rows = s.tasks.map((t) => {
    const tr = el('tr', {}, el('th', { scope: 'row', textContent: `${t.task} (${t.modality})` }),
      el('td', { textContent: String(t.takes) }), el('td', { textContent: String(t.participantsDone) }),
      el('td', { textContent: String(t.uploaded) }), el('td', { textContent: String(t.flagged) }));
    tr.dataset.task = t.task;
    return tr;
  });
  section.append(el('div', { className: 'table-wrap', tabIndex: 0 }, el('table', { className: 'grid progress' },
    el('caption', { textContent: 'Progress per task' }),
    el('thead', {}, el('tr', {}, ...['Task', 'Takes each', 'Participants done', 'Takes uploaded', 'Flagged'].map((h) => el('th', { scope: 'col', textContent: h })))),
    el('tbody', {}, ...rows))));
  section.append(el('h3', { textContent: `Flagged takes (${s.flagged.length})` }));
  if (!s.flagged.length) section.append(el('p', { className: 'muted', textContent: 'The server-side quality gate flagged no take.' }));
  const list = el('ul', { className: 'review-takes flagged' });
  for (const f of s.flagged) {
    const li = el('li', { id: `flagged-${f.upload}` });
    li.dataset.verdict = f.verdict;
    const audio = el('audio', { controls: true, preload: 'none', src: `/api/dashboard/takes/${f.upload}` });
    audio.setAttribute('aria-label', `${f.task} take ${f.take} of participant ${f.participant}`);
    const del = el('button', { type: 'button', className: 'danger', textContent: 'Delete this take' });
    del.addEventListener('click', () => run(async () => {
      if (!window.confirm(`Delete ${f.task} take ${f.take} of participant ${f.participant}? This is logged.`)) return;
      await api(`takes/${f.upload}`, { method: 'DELETE' });
      await refresh();
    }));
    li.append(el('p', { textContent: `Participant ${f.participant}, ${f.task} take ${f.take}: ${f.verdict}. ${f.message}` }), audio, del);
    list.append(li);
  }
  section.append(list);
  // Earlier exports: a participant who withdrew since is deleted here,
  // but still in every copy of those ZIPs.
  if (s.exports.length) {
    section.append(el('h3', { textContent: 'Exports' }));
    const ul = el('ul', { className: 'exports' });
    for (const e of s.exports) {
      const li = el('li', { textContent: `${e.at} by ${e.researcher}: ${count(e.participants, 'participant')}, ${count(e.takes, 'take')}.` });
      li.dataset.withdrawn = String(e.withdrawnSince);
      if (e.withdrawnSince) {
        li.append(' ', el('strong', { className: 'warning', textContent: `${e.withdrawnSince} of its participants withdrew since: delete every copy of this export and export again.` }));
      }
      ul.append(li);
    }
    section.append(ul);
  }
  const exp = el('button', { type: 'button', className: 'export', textContent: 'Export as ZIP (factory manifest layout)' });
  exp.addEventListener('click', () => run(() => exportStudy(s)));
  section.append(exp, withdrawForm(s));
  return section;
}

// A withdrawal asked of the researcher (by e-mail, say): the participant
// gives the study code their page showed; everything of theirs is deleted
// as if they had withdrawn on the page, and the audit log says who did it.
function withdrawForm(s) {
  const id = `withdraw-${s.id}`;
  const input = el('input', { id, name: 'participant', required: true, pattern: '[0-9a-f]{16}', autocomplete: 'off', spellcheck: false, size: 18 });
  input.setAttribute('aria-describedby', `${id}-hint`);
  const form = el('form', { className: 'withdraw-participant' },
    el('h3', { textContent: 'Delete a participant' }),
    el('p', { className: 'hint', id: `${id}-hint`, textContent: 'On a participant\'s request: their study code (16 characters, shown on their page) deletes their answers, takes and files here, as a withdrawal on the page does. Earlier exports that held them are marked.' }),
    el('p', { className: 'file-label' }, el('label', { htmlFor: id, textContent: 'Study code' }), input),
    el('button', { type: 'submit', className: 'danger', textContent: 'Delete this participant\'s data' }));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    run(async () => {
      const code = input.value.trim();
      if (!window.confirm(`Delete every answer and take of participant ${code}? This cannot be undone and is logged.`)) return;
      const r = await (await api(`studies/${s.id}/participants/${code}`, { method: 'DELETE' })).json();
      await refresh();
      say(`Deleted participant ${r.deleted} and ${r.deletedTakes} take${r.deletedTakes === 1 ? '' : 's'}.`);
    });
  });
  return form;
}

// The export: the server lists the sessions (and logs the export); the
// takes' WAVs are fetched one by one and zipped here exactly as a device's
// export is.
async function exportStudy(s) {
  say('Exporting…');
  const { protocol, sessions } = await (await api(`studies/${s.id}/export`, { method: 'POST' })).json();
  const withTakes = [];
  for (const session of sessions) {
    const takes = [];
    for (const t of session.takes) {
      const wav = await (await api(`takes/${t.upload}`)).arrayBuffer();
      const info = parseWav(wav);
      if (!info) throw new Error(`take ${t.task}-${t.take} of ${session.participant} is not a WAV file`);
      takes.push({
        task: t.task, take: t.take, modality: t.modality, sampleRate: info.sampleRate, frames: info.frames, savedAt: t.savedAt,
        recordedAt: t.recordedAt, inputDevice: t.inputDevice, browser: t.browser, wav,
      });
    }
    withTakes.push({ session: { ...session, split: '' }, takes });
  }
  const zip = zipSessions(protocol, withTakes);
  const a = el('a', { href: URL.createObjectURL(new Blob([zip.bytes], { type: 'application/zip' })), download: zip.name });
  document.body.append(a);
  a.click();
  a.remove();
  $('#board').dataset.exported = `${s.id}:${zip.rows.length}`;
  say(`Exported ${zip.name}: ${zip.rows.length} takes of ${zip.participants.length} participants.`);
  await refresh();
}

async function run(job) {
  alertText('');
  try {
    await job();
  } catch (e) {
    if (e.status === 401) return showLogin('Your session ended: log in again.');
    alertText(e.message);
    say('');
  }
}

$('#login').addEventListener('submit', (ev) => {
  ev.preventDefault();
  run(async () => {
    say('Checking…');
    try {
      const r = await api('login', { method: 'POST', body: { name: $('#login-name').value, password: $('#login-password').value } });
      const s = await r.json();
      csrf = s.csrf;
      $('#login-password').value = '';
      await showBoard(s.researcher);
    } catch (e) {
      if (e.status === 401) { alertText('Wrong name or password.'); say(''); return; }
      throw e;
    }
  });
});

$('#logout').addEventListener('click', () => run(async () => {
  await api('logout', { method: 'POST' });
  csrf = '';
  showLogin('Logged out.');
}));

run(async () => {
  try {
    const s = await (await api('session')).json();
    csrf = s.csrf;
    await showBoard(s.researcher);
  } catch (e) {
    if (e.status === 401) return showLogin();
    throw e;
  }
});
