// The researcher screens' actions: the passcode lock (lock.js holds the
// hash), export and import of the study ZIP, deleting everything, and
// loading another protocol.
import { say, alertUser } from '../shared/guard.js';
import { parseProtocol, ProtocolError } from './protocol.js';
import { formatBytes } from './store.js';
import { exportZip, importZip } from './archive.js';
import { makePasscode, checkPasscode } from './lock.js';
import { $, state, show, resetTasks, updateAccess, download, lockTexts } from './page.js';
import { setProtocol } from './study.js';
import { refreshData, offerResume } from './stored-data.js';

export async function initLock() {
  state.passcode = (await state.store.getMeta('passcode')) ?? null;
  const first = !state.passcode;
  $('passcode-confirm-row').hidden = !first;
  $('passcode-confirm').required = first;
  $('passcode').autocomplete = first ? 'new-password' : 'current-password';
  lockTexts();
}

export async function unlock() {
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
  // The screens open with the stored-data table already filled, never
  // empty for a moment.
  try {
    await refreshData();
  } finally {
    updateAccess();
  }
  await offerResume();
  say('Researcher screens unlocked. They lock again when a participant starts, or with Lock now.');
}

export async function lock() {
  state.unlocked = false;
  updateAccess();
  await offerResume();
  say('Researcher screens locked.');
}

export async function deleteAll() {
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

export async function doExport() {
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

export async function doImport(file) {
  if (!file) return;
  say(`Importing ${file.name}…`);
  const r = await importZip(new Uint8Array(await file.arrayBuffer()), state.store);
  $('import-file').value = '';
  await refreshData();
  await offerResume();
  say(`Imported ${r.imported} session${r.imported === 1 ? '' : 's'} from ${file.name}` +
    `${r.skipped ? `; ${r.skipped} already stored, left as they were` : ''}.`);
}

export async function loadProtocolFile(file) {
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
