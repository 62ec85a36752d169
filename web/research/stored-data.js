// What is stored, as the researcher sees it: the stored-data table (split
// per session, delete), the storage line with the browser's estimate and
// storage-full state, and the offer to resume an unfinished session.
import { say } from '../shared/guard.js';
import { labelQuestion, plannedTakes } from './protocol.js';
import { storageEstimate, formatBytes } from './store.js';
import { $, el, state, guard, show, resetTasks, TAB_SESSION, SESSION_VIEWS, t } from './page.js';

// Unlocked, the researcher may resume the latest unfinished session; locked,
// only the session this tab recorded is offered (a reload mid-session).
export async function offerResume() {
  const open = (await state.store.listSessions()).filter((s) => s.status !== 'complete');
  const mine = sessionStorage.getItem(TAB_SESSION);
  const last = state.unlocked ? open[open.length - 1] : open.find((s) => s.id === mine);
  state.resumable = last ?? null;
  $('resume').hidden = !last;
  $('resume-note').hidden = !last;
  if (last) {
    const n = (await state.store.listTakes(last.id)).length;
    $('resume-note').textContent = t(last.id === mine ? 'resumeNoteTab' : 'resumeNote', {
      code: last.participant, started: new Date(last.createdAt).toLocaleString(state.lang), n, total: plannedTakes(last.protocol).length,
    });
  }
}

// The stored-data table is filled only while the researcher screens are
// open; the storage line is always up to date (a fresh estimate each time).
export async function refreshData() {
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
