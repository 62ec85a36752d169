// Research mode opened from a study link of the real tinym2-study, in real
// Chromium: a participant consents (recorded on the server) and records
// four takes; one take's upload is cut by a reload, another's by killing
// the server. A second participant in another browser context goes
// offline mid-upload and comes back. Every take still arrives exactly once
// and byte-identical, and a third participant's withdrawal deletes their
// files on the server. With TM2_STUDY_PG (with-postgres.sh, npm run
// test:postgres) the server runs on PostgreSQL.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { launch, PHONE, shot } from './browser.mjs';
import { fixtures, root, engineDir } from './paths.mjs';
import { openResearch, waitReady, startParticipant, recordTake, finishSession } from './research-helpers.mjs';
import { binary, startStudyServer, sha256 } from '../study-server/server.mjs';

const COUGH = path.join(fixtures, 'audio', 'coswara_cough_16k.wav');
const PROTOCOL = path.join(root, 'tests/web/fixtures/research-protocol.json');
const UPLOAD_WAIT = 60000;

// SHA-256 of every stored take's WAV, by take id, read in the page.
const storedTakes = (page) => page.evaluate(() => new Promise((resolve, reject) => {
  const open = indexedDB.open('tinym2-research');
  open.onerror = () => reject(open.error);
  open.onsuccess = async () => {
    const t = open.result.transaction(['takes', 'sessions']);
    const all = (n) => new Promise((r) => { const q = t.objectStore(n).getAll(); q.onsuccess = () => r(q.result); });
    const [takes, sessions] = await Promise.all([all('takes'), all('sessions')]);
    const hex = async (b) => Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', b)), (x) => x.toString(16).padStart(2, '0')).join('');
    const out = {};
    for (const k of takes) out[k.id] = { sha256: k.wav ? await hex(k.wav) : null, uploaded: k.upload?.sha256 ?? null };
    open.result.close();
    resolve({ takes: out, remote: sessions.map((s) => s.remote) });
  };
}));

// Polls `ok()` for up to 30 s, running `step()` before each look; a
// failure names what never happened.
async function until(ok, what, step = async () => {}) {
  for (const t0 = Date.now(); (await step(), !ok()); await new Promise((r) => setTimeout(r, 50))) {
    if (Date.now() - t0 > 30000) throw new Error(`timed out waiting for ${what}`);
  }
}

const uploadState = (page, key) => page.getAttribute(`#take-${key}`, 'data-upload');
const waitUpload = (page, key, state = 'uploaded') =>
  page.waitForSelector(`#take-${key}[data-upload="${state}"]`, { timeout: UPLOAD_WAIT });

// Files under DATA/audio/<study>/<participant>/.
function serverFiles(server, participant) {
  const dir = path.join(server.data, 'audio', server.study.id, participant);
  return existsSync(dir) ? readdirSync(dir).map((f) => path.join(dir, f)) : [];
}

test('a participant completes a study through the server; a reload and a server restart mid-upload lose nothing', { skip: !existsSync(binary) && `tinym2-study is not built (${binary}): build the native preset first` }, async () => {
  const server = await startStudyServer({ protocol: PROTOCOL, args: ['--engine', engineDir] });
  const browser = await launch({ mic: { file: COUGH } });
  try {
    const context = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block' });
    const query = `?countdown=0&seconds=1.5&sw=off&study=${server.study.id}&join=${server.study.join}`;
    let { page, errors } = await openResearch(context, `${server.url}/`, query);
    assert.equal(await page.textContent('#study-name'), 'Browser test study', 'the protocol comes from the server');
    await startParticipant(page, 'positive');
    const { remote: [remote] } = await storedTakes(page);
    assert.match(remote.participant, /^[0-9a-f]{16}$/);
    // The code the study team's dashboard deletes on request is shown.
    assert.equal(await page.textContent('#study-participant-id'), remote.participant);
    assert.equal(await page.isVisible('#study-code-line'), true);
    const me = async () => (await fetch(`${server.url}/api/studies/${server.study.id}/me`, { headers: { Authorization: `Bearer ${remote.token}` } })).json();
    assert.equal((await me()).consentVersion, 't1', 'consent recorded on the server with the protocol version');
    assert.equal((await me()).consentLanguage, 'en', 'and the language it was read in');
    assert.deepEqual((await me()).answers, { result: 'positive' }, 'the answers reach the server');
    assert.match(await page.textContent('footer'), /sent to this study's server \(this site\) and to nowhere else/);

    await recordTake(page, 'cough-1');
    await waitUpload(page, 'cough-1');

    // A reload while cough-2's upload waits on its first PATCH.
    let held = [];
    await context.route('**/tus/**', (route) => (route.request().method() === 'PATCH' ? held.push(route) : route.fallback()));
    await recordTake(page, 'cough-2');
    await page.waitForFunction(() => document.querySelector('#take-cough-2').dataset.upload === 'uploading' ||
      document.querySelector('#take-cough-2').dataset.upload === 'waiting');
    await until(() => held.length > 0, 'a PATCH to hold');
    assert.notEqual(await uploadState(page, 'cough-2'), 'uploaded');
    await context.unroute('**/tus/**');
    await page.reload();
    await waitReady(page);
    await page.click('#resume');
    await page.waitForSelector('#tasks-view:not([hidden])');
    await waitUpload(page, 'cough-2');

    // The server is killed while counting-1's PATCH is on its way, and
    // comes back; the page retries with backoff until it is accepted.
    held = [];
    await context.route('**/tus/**', (route) => (route.request().method() === 'PATCH' ? held.push(route) : route.fallback()));
    await recordTake(page, 'counting-1');
    await until(() => held.length > 0, 'a PATCH to hold');
    await server.kill();
    await context.unroute('**/tus/**');
    for (const r of held) await r.abort('connectionreset').catch(() => {});
    await waitUpload(page, 'counting-1', 'retrying');
    await shot(page, 'research-phone-study-retrying');
    await server.start();
    await waitUpload(page, 'counting-1');

    await recordTake(page, 'breathing-1');
    await waitUpload(page, 'breathing-1');
    const before = (await storedTakes(page)).takes;
    await finishSession(page);

    // Exactly once, byte-identical, confirmed in IndexedDB by checksum.
    const takes = before;
    const server4 = (await me()).takes;
    assert.deepEqual(server4.map((t) => `${t.task}-${t.take}`).sort(), ['breathing-1', 'cough-1', 'cough-2', 'counting-1']);
    assert.ok(server4.every((t) => t.status === 'complete' && t.verdict), 'each take has the server verdict');
    const files = serverFiles(server, remote.participant);
    assert.equal(files.length, 4);
    const onServer = files.map((f) => sha256(readFileSync(f))).sort();
    assert.deepEqual(onServer, Object.values(takes).map((t) => t.sha256).sort(), 'byte-identical');
    assert.ok(Object.values(takes).every((t) => t.uploaded === t.sha256), 'IndexedDB marks each take confirmed');
    assert.deepEqual(readdirSync(path.join(server.data, 'partial')), []);
    // Finished: the server knows, and the takes' audio leaves the device
    // (their records and checksums stay).
    let after;
    await until(() => after?.remote[0]?.localAudioDeletedAt, 'the local audio to be deleted', async () => { after = await storedTakes(page); });
    assert.match((await me()).completedAt, /^\d{4}-/);
    assert.equal(after.remote[0].completedAt, (await me()).completedAt);
    assert.deepEqual(Object.values(after.takes).map((t) => t.sha256), [null, null, null, null], 'no audio left on the device');
    assert.deepEqual(Object.values(after.takes).map((t) => t.uploaded).sort(), onServer);
    assert.deepEqual(errors, []);
    await page.close();

    // A second participant in another browser context: the phone goes
    // offline while a take's PATCH is on its way and comes back (the
    // queue retries as soon as the browser is online); every take arrives
    // exactly once and byte-identical, and the session completes.
    const other = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block' });
    ({ page, errors } = await openResearch(other, `${server.url}/`, query));
    await startParticipant(page, 'negative');
    const { remote: [remote2] } = await storedTakes(page);
    held = [];
    await other.route('**/tus/**', (route) => (route.request().method() === 'PATCH' ? held.push(route) : route.fallback()));
    await recordTake(page, 'cough-1');
    await until(() => held.length > 0, 'a PATCH to hold');
    await other.setOffline(true);
    await other.unroute('**/tus/**');
    for (const r of held) await r.abort('internetdisconnected').catch(() => {});
    await waitUpload(page, 'cough-1', 'retrying');
    await other.setOffline(false);
    await waitUpload(page, 'cough-1');
    for (const k of ['cough-2', 'counting-1', 'breathing-1']) {
      await recordTake(page, k);
      await waitUpload(page, k);
    }
    const second = (await storedTakes(page)).takes;
    await finishSession(page);
    const me2 = async () => (await fetch(`${server.url}/api/studies/${server.study.id}/me`, { headers: { Authorization: `Bearer ${remote2.token}` } })).json();
    assert.deepEqual((await me2()).takes.map((t) => `${t.task}-${t.take}`).sort(), ['breathing-1', 'cough-1', 'cough-2', 'counting-1'], 'exactly once');
    assert.deepEqual(serverFiles(server, remote2.participant).map((f) => sha256(readFileSync(f))).sort(),
      Object.values(second).map((t) => t.sha256).sort(), 'byte-identical');
    let m2;
    await until(() => m2?.completedAt, 'the server to record the second session finished', async () => { m2 = await me2(); });

    // The next participant on that phone withdraws: their uploaded take is
    // deleted on the server; the others keep theirs.
    await startParticipant(page, 'negative', { next: true });
    await recordTake(page, 'cough-1');
    await waitUpload(page, 'cough-1');
    const remote3 = (await storedTakes(page)).remote.find((r) => r && r.participant !== remote2.participant);
    assert.equal(serverFiles(server, remote3.participant).length, 1);
    await page.click('#withdraw');
    await page.waitForSelector('#start-view:not([hidden])');
    await page.waitForFunction(() => /deleted from this device and from the study server/.test(document.getElementById('status').textContent));
    assert.deepEqual(serverFiles(server, remote3.participant), []);
    assert.equal(serverFiles(server, remote.participant).length, 4);
    assert.equal(serverFiles(server, remote2.participant).length, 4);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
    await server.stop();
  }
});
