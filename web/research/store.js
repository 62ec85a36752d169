// Research-mode storage: IndexedDB database "tinym2-research".
//   sessions  {id, participant, protocol, createdAt, updatedAt, consentedAt,
//              answers, status: 'in-progress' | 'complete', split,
//              remote: {study, participant, token, consentedAt} when a study server runs it}
//   takes     {id: `${session}/${task}-${take}`, session, task, take, modality,
//              sampleRate, frames, seconds, wav (ArrayBuffer, 16-bit PCM), savedAt,
//              recordedAt (ISO), inputDevice, inputChannels, browser, userAgent,
//              upload: {sha256, at} once a study server confirmed it}
//   meta      {key, value}   the active protocol, the researcher passcode's hash
// Every write is its own transaction and resolves only when the transaction
// has committed, so a take the page reports as saved survives a reload or a
// crash. A full disk surfaces as StorageFullError; nothing already stored is
// touched by a failed write.

export class StorageFullError extends Error {
  constructor(detail) {
    super(`Storage is full: ${detail} Everything saved before is kept. To make room, export the study and delete the exported sessions, or free space on this device.`);
    this.name = 'StorageFullError';
    // The browser's own words; the page words the rest in the participant's language.
    this.detail = detail;
  }
}

const DB = 'tinym2-research';
const VERSION = 1;

function request(r) {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

// A write refused for lack of room. Browsers say it in several ways:
// QuotaExceededError (the quota), and when the disk itself is full
// Chromium's "UnknownError: Failed to write blobs (IOError)" or an
// "Internal error committing transaction", Firefox's
// NS_ERROR_DOM_QUOTA_REACHED / NS_ERROR_FILE_NO_DEVICE_SPACE. An
// UnknownError during a write is nearly always the disk, and the advice
// (export, free space) is the same.
export function isStorageFull(e) {
  if (!e) return false;
  const name = String(e.name ?? '');
  const message = String(e.message ?? '');
  return name === 'QuotaExceededError' || /QUOTA_REACHED|NO_DEVICE_SPACE/.test(name) || name === 'UnknownError' ||
    /IOError|write blobs|quota|disk|no space|committing transaction/i.test(message);
}

// The browser's own words, for the message (kept short).
const said = (e) => `${e.name ?? 'Error'}: ${String(e.message ?? '').slice(0, 120)}`;

export class Store {
  static async open(name = DB) {
    const open = indexedDB.open(name, VERSION);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains('sessions')) db.createObjectStore('sessions', { keyPath: 'id' });
      if (!db.objectStoreNames.contains('takes')) {
        db.createObjectStore('takes', { keyPath: 'id' }).createIndex('session', 'session');
      }
      if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta', { keyPath: 'key' });
    };
    const s = new Store();
    s.db = await request(open);
    return s;
  }

  // Runs fn(stores) in one transaction; resolves with fn's result once committed.
  async tx(names, mode, fn) {
    const t = this.db.transaction(names, mode, { durability: 'strict' });
    const stores = Object.fromEntries([names].flat().map((n) => [n, t.objectStore(n)]));
    let result;
    const done = new Promise((resolve, reject) => {
      t.oncomplete = () => resolve();
      t.onerror = () => reject(t.error);
      t.onabort = () => reject(t.error ?? new Error('storage transaction aborted'));
    });
    done.catch(() => {}); // awaited below unless fn throws first
    try {
      result = await fn(stores);
      await done;
    } catch (e) {
      try { t.abort(); } catch { /* already finished */ }
      if (mode === 'readwrite' && isStorageFull(e)) {
        throw new StorageFullError(`the device refused to store more (the browser said "${said(e)}"), so this was not saved.`);
      }
      throw e;
    }
    return result;
  }

  putSession(session) {
    session.updatedAt = new Date().toISOString();
    return this.tx('sessions', 'readwrite', ({ sessions }) => request(sessions.put(session)));
  }

  getSession(id) {
    return this.tx('sessions', 'readonly', ({ sessions }) => request(sessions.get(id)));
  }

  async listSessions() {
    const all = await this.tx('sessions', 'readonly', ({ sessions }) => request(sessions.getAll()));
    return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  // Saves one take; its session's updatedAt moves in the same transaction.
  putTake(take) {
    take.savedAt = new Date().toISOString();
    return this.tx(['takes', 'sessions'], 'readwrite', async ({ takes, sessions }) => {
      await request(takes.put(take));
      const s = await request(sessions.get(take.session));
      if (s) {
        s.updatedAt = take.savedAt;
        await request(sessions.put(s));
      }
    });
  }

  // Takes of a session, without their audio unless `withAudio`. With it,
  // only the takes whose audio is still on this device (dropAudio below):
  // exports and evaluations of the device leave out what went to a server.
  async listTakes(sessionId, { withAudio = false } = {}) {
    const all = await this.tx('takes', 'readonly', ({ takes }) =>
      request(takes.index('session').getAll(sessionId)));
    if (withAudio) return all.filter((t) => t.wav);
    for (const t of all) { t.bytes = t.wav ? t.wav.byteLength : 0; delete t.wav; }
    return all;
  }

  // Deletes the audio of a session's takes that a study server confirmed
  // (t.upload); the rest of each take's record stays. Returns how many.
  dropAudio(sessionId) {
    return this.tx('takes', 'readwrite', async ({ takes }) => {
      let n = 0;
      for (const t of await request(takes.index('session').getAll(sessionId))) {
        if (!t.upload || !t.wav) continue;
        t.wav = null;
        t.audioDeletedAt = new Date().toISOString();
        await request(takes.put(t));
        n++;
      }
      return n;
    });
  }

  // Marks a take as confirmed by the study server ({sha256, at}), unless
  // it was saved again (recorded anew) since `savedAt`; true when marked.
  markUploaded(id, savedAt, upload) {
    return this.tx('takes', 'readwrite', async ({ takes }) => {
      const t = await request(takes.get(id));
      if (!t || t.savedAt !== savedAt) return false;
      t.upload = upload;
      await request(takes.put(t));
      return true;
    });
  }

  getTake(id) {
    return this.tx('takes', 'readonly', ({ takes }) => request(takes.get(id)));
  }

  async deleteSession(id) {
    await this.tx(['takes', 'sessions'], 'readwrite', async ({ takes, sessions }) => {
      const keys = await request(takes.index('session').getAllKeys(id));
      for (const k of keys) takes.delete(k);
      await request(sessions.delete(id));
    });
  }

  async deleteAll() {
    await this.tx(['takes', 'sessions'], 'readwrite', async ({ takes, sessions }) => {
      takes.clear();
      await request(sessions.clear());
    });
  }

  async getMeta(key) {
    const row = await this.tx('meta', 'readonly', ({ meta }) => request(meta.get(key)));
    return row?.value;
  }

  setMeta(key, value) {
    return this.tx('meta', 'readwrite', ({ meta }) => request(meta.put({ key, value })));
  }
}

// {usage, quota} in bytes from navigator.storage.estimate(), or null.
export async function storageEstimate() {
  if (!navigator.storage?.estimate) return null;
  try {
    const { usage = 0, quota = 0 } = await navigator.storage.estimate();
    return { usage, quota };
  } catch {
    return null;
  }
}

// Throws StorageFullError when `bytes` more would not fit in the quota the
// browser states (with a 1 MB margin); the write is not attempted then.
export async function ensureRoom(bytes) {
  const e = await storageEstimate();
  if (!e || !e.quota) return;
  const left = e.quota - e.usage;
  if (left < bytes + 1e6) {
    throw new StorageFullError(`this take needs ${formatBytes(bytes)} and only ${formatBytes(Math.max(0, left))} of the ${formatBytes(e.quota)} quota is left, so it was not saved.`);
  }
}

export function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

// A participant code from the browser's cryptographic random source:
// "p-" + 10 characters of a 32-letter alphabet without l, o, 0, 1 (50 bits).
export function newParticipantId() {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789'; // 32: no l, o, 0, 1
  const bytes = new Uint8Array(10);
  crypto.getRandomValues(bytes);
  return `p-${Array.from(bytes, (b) => alphabet[b & 31]).join('')}`;
}
