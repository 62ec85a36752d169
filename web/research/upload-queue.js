// Uploads the saved takes of server-run sessions (remote.js) with tus 1.0
// (tus-js-client), one at a time. A take is marked uploaded in IndexedDB
// only when the server has completed its upload, and the server completes
// one only when the bytes' SHA-256 equals the one sent at creation: that
// mark is the server's confirmation by checksum. Until then the take stays
// queued: an upload resumes from the server's offset after a reload (tus
// fingerprints in localStorage; the server also answers a repeated creation
// of the same take with the same upload), and a failure is retried with
// exponential backoff. A take the server refuses (4xx) is not retried.
// Once a session is finished, the server is told so (settle); once that
// and every take's upload are confirmed, the takes' audio is deleted from
// this device: the server holds the study's copy.
import { authHeader, completeRemote } from './remote.js';
import { translate } from './i18n.js';

const CHUNK = 256 * 1024;
// tus-js-client's own quick retries inside one attempt, then ours.
const QUICK_RETRIES = [0, 1000, 3000];
const MAX_BACKOFF = 60000;

async function loadTus() {
  if (!window.tus) await import('../vendor/tus/tus.min.js');  // UMD: sets window.tus
  return window.tus;
}

async function sha256Hex(bytes) {
  const d = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return Array.from(d, (b) => b.toString(16).padStart(2, '0')).join('');
}

// A device field as the server takes it: no control characters, at most
// 100 characters (the server's limit is 400 bytes of UTF-8).
const deviceText = (v) => String(v ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 100);

export class UploadQueue {
  // onChange(takeId, {state, progress, message, key, vars}); states:
  // waiting, uploading, retrying, uploaded, refused. `message` is English;
  // `key` and `vars` name it in i18n-messages.js for the participant's language.
  constructor({ store, onChange }) {
    this.store = store;
    this.onChange = onChange;
    this.states = new Map();
    this.queue = [];
    this.running = false;
    this.attempts = new Map();
    // Back online, or a phone woken up (the page visible again): takes
    // waiting out a backoff go now instead of at the end of it.
    const retryNow = () => {
      for (const [id, st] of this.states) if (st.state === 'retrying') this.add(id);
    };
    globalThis.addEventListener?.('online', retryNow);
    globalThis.document?.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') retryNow();
    });
  }

  state(takeId) {
    return this.states.get(takeId) ?? null;
  }

  set(takeId, st) {
    st.message = translate('en', st.key, st.vars);
    this.states.set(takeId, st);
    this.onChange(takeId, st);
  }

  // Queues every stored take of a server-run session that the server has
  // not confirmed (after a reload, or for an earlier participant).
  async resumeAll() {
    for (const s of await this.store.listSessions()) {
      if (!s.remote) continue;
      for (const t of await this.store.listTakes(s.id)) {
        if (t.upload) this.set(t.id, { state: 'uploaded', key: 'upUploaded' });
        else this.add(t.id);
      }
      await this.settle(s.id);
    }
  }

  // For a finished server-run session: tells the server (once), then,
  // when every take is confirmed, deletes the takes' audio here. Retried
  // with backoff while the server cannot be reached.
  async settle(sessionId, attempt = 0) {
    const s = await this.store.getSession(sessionId);
    if (!s?.remote || s.status !== 'complete' || s.remote.localAudioDeletedAt) return;
    try {
      if (!s.remote.completedAt) {
        s.remote.completedAt = (await completeRemote(s.remote)).completedAt;
        await this.store.putSession(s);
      }
    } catch {
      setTimeout(() => this.settle(sessionId, attempt + 1), Math.min(MAX_BACKOFF, 2000 * 2 ** attempt));
      return;
    }
    if ((await this.store.listTakes(sessionId)).some((t) => !t.upload)) return;  // the last upload settles again
    await this.store.dropAudio(sessionId);
    s.remote.localAudioDeletedAt = new Date().toISOString();
    await this.store.putSession(s);
    this.onSettled?.(sessionId);
  }

  add(takeId) {
    if (!this.queue.includes(takeId)) this.queue.push(takeId);
    if (this.states.get(takeId)?.state !== 'uploading') this.set(takeId, { state: 'waiting', key: 'upWaiting' });
    this.run();
  }

  async run() {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length) {
        const id = this.queue.shift();
        await this.uploadOne(id);
      }
    } finally {
      this.running = false;
    }
  }

  async uploadOne(id) {
    const take = await this.store.getTake(id);
    const session = take && await this.store.getSession(take.session);
    if (!take || !session?.remote) { this.states.delete(id); return; }  // deleted or withdrawn
    if (take.upload) { this.set(id, { state: 'uploaded', key: 'upUploaded' }); return; }
    const sha = await sha256Hex(take.wav);
    try {
      await this.send(take, session.remote, sha);
    } catch (e) {
      const status = e.originalResponse?.getStatus?.() ?? 0;
      const refused = status >= 400 && status < 500 && ![409, 423, 429].includes(status);
      if (refused) {
        let reason = e.originalResponse.getBody?.() ?? '';
        try { reason = JSON.parse(reason).error; } catch { /* plain text */ }
        this.set(id, { state: 'refused', key: 'upRefused', vars: { status, reason } });
        return;
      }
      const n = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, n);
      const wait = Math.min(MAX_BACKOFF, 1000 * 2 ** n);
      this.set(id, { state: 'retrying', key: 'upRetrying', vars: { s: Math.round(wait / 1000) } });
      setTimeout(() => this.add(id), wait);
      return;
    }
    this.attempts.delete(id);
    // Only the content that was uploaded is marked: a take recorded again
    // meanwhile is queued again by its own save.
    if (await this.store.markUploaded(id, take.savedAt, { sha256: sha, at: new Date().toISOString() })) {
      this.set(id, { state: 'uploaded', key: 'upUploaded' });
      await this.settle(take.session);
    }
  }

  async send(take, remote, sha) {
    const tus = await loadTus();
    await new Promise((resolve, reject) => {
      const upload = new tus.Upload(new Blob([take.wav], { type: 'audio/wav' }), {
        endpoint: `/tus/${remote.study}/`,
        headers: authHeader(remote),
        metadata: {
          task: take.task, take: String(take.take), sha256: sha,
          // For the export's recorded_at, input_device and browser columns.
          recordedAt: deviceText(take.recordedAt), inputDevice: deviceText(take.inputDevice), browser: deviceText(take.browser),
        },
        chunkSize: CHUNK,
        retryDelays: QUICK_RETRIES,
        fingerprint: async () => `tinym2-${remote.study}-${take.id}-${sha}`,
        removeFingerprintOnSuccess: true,
        onProgress: (sent, total) => this.set(take.id, {
          state: 'uploading', progress: sent / total, key: 'upUploading', vars: { pct: Math.floor((100 * sent) / total) },
        }),
        onSuccess: resolve,
        onError: reject,
      });
      upload.findPreviousUploads().then((previous) => {
        if (previous.length) upload.resumeFromPreviousUpload(previous[0]);
        upload.start();
      }, reject);
    });
  }
}
