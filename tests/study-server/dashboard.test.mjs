// The researcher dashboard's API on the real server: an Argon2id login
// with an HttpOnly SameSite cookie and a CSRF token, progress per task,
// the takes flagged by the server-side gate (with their audio), the export
// listing, deletions, and the audit log of who exported and deleted what.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import {
  startStudyServer, join, upload, wavHeader, fixtures, addResearcher, login, PASSWORD,
} from './server.mjs';

const COUGH = readFileSync(path.join(fixtures, 'coswara_cough_16k.wav'));
// 2 s of silence: the gate flags it "quiet".
const SILENCE = Buffer.concat([wavHeader(32000), Buffer.alloc(64000)]);
test('dashboard: login, progress, flagged takes with audio, export, deletions and the audit log', async () => {
  const server = await startStudyServer({ args: ['--logins-per-minute', '100'] });
  const { url } = server;
  const study = server.study.id;
  try {
    assert.equal(addResearcher(server, 'ada', 'short').status, 2, 'a short password is refused');
    const added = addResearcher(server, 'ada');
    assert.equal(added.status, 0, added.stderr);
    // Only an Argon2id hash is stored.
    if (!server.postgres) {
      // The database and its write-ahead log (the server holds it open).
      const db = Buffer.concat(['study.sqlite', 'study.sqlite-wal'].map((f) => path.join(server.data, f))
        .filter(existsSync).map((f) => readFileSync(f)));
      assert.equal(db.indexOf(PASSWORD), -1);
      assert.ok(db.indexOf('$argon2id$') >= 0);
    }

    // Participants: a finished one (both cough takes, one silent), a partial one.
    const [a, b] = [await join(server), await join(server)];
    const answer = (p, v) => fetch(`${url}/api/studies/${study}/answers`, { method: 'PUT', headers: p.auth, body: JSON.stringify({ test_result: v }) });
    await answer(a, 'positive');
    await answer(b, 'negative');
    const good = (await upload(server, a, 'cough', 1, COUGH)).split('/').pop();
    const quiet = (await upload(server, a, 'cough', 2, SILENCE)).split('/').pop();
    await upload(server, b, 'cough', 1, COUGH);
    // b finishes the session (the page's Finish): once; repeats keep the time.
    const complete = () => fetch(`${url}/api/studies/${study}/complete`, { method: 'POST', headers: b.auth });
    const first = await (await complete()).json();
    assert.match(first.completedAt, /^\d{4}-\d\d-\d\dT/);
    assert.equal(first.takes, 1);
    assert.equal((await (await complete()).json()).completedAt, first.completedAt);
    assert.equal((await fetch(`${url}/api/studies/${study}/complete`, { method: 'POST' })).status, 401);

    // Not logged in: nothing.
    assert.equal((await fetch(`${url}/api/dashboard/studies`)).status, 401);
    assert.equal((await fetch(`${url}/api/dashboard/takes/${good}`)).status, 401);
    assert.equal((await fetch(`${url}/api/dashboard/studies`, { headers: { Cookie: `tm2_dashboard=${'0'.repeat(64)}` } })).status, 401);

    // Logins: wrong password, unknown name, a form post, another site.
    assert.equal((await login(server, 'ada', 'wrong password')).status, 401);
    assert.equal((await login(server, 'bob')).status, 401);
    const form = await fetch(`${url}/api/dashboard/login`, { method: 'POST', body: `name=ada&password=${PASSWORD}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 403);
    assert.equal((await login(server, 'ada', PASSWORD, { Origin: 'https://evil.example' })).status, 403);
    const ok = await login(server, 'ada');
    assert.equal(ok.status, 200);
    const cookie = ok.headers.get('set-cookie');
    assert.match(cookie, /^tm2_dashboard=[0-9a-f]{64}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=\d+$/);
    const { csrf, researcher } = await ok.json();
    assert.equal(researcher, 'ada');
    assert.match(csrf, /^[0-9a-f]{64}$/);
    const session = { Cookie: cookie.split(';')[0] };
    const write = { ...session, 'X-CSRF-Token': csrf };
    // Behind a TLS proxy the cookie is Secure.
    const tls = await login(server, 'ada', PASSWORD, { 'X-Forwarded-Proto': 'https' });
    assert.match(tls.headers.get('set-cookie'), /; Secure$/);

    // Progress per task and the flagged take.
    const r = await fetch(`${url}/api/dashboard/studies`, { headers: session });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('access-control-allow-origin'), null, 'no CORS');
    assert.match(r.headers.get('content-security-policy'), /default-src 'none'.*frame-ancestors 'none'/);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    const [s] = (await r.json()).studies;
    assert.equal(s.id, study);
    assert.deepEqual({ participants: s.participants, consented: s.consented, finished: s.finished, complete: s.complete },
      { participants: 2, consented: 2, finished: 1, complete: 0 });
    const cough = s.tasks.find((t) => t.task === 'cough');
    assert.deepEqual(cough, { task: 'cough', modality: 'cough', takes: 2, participantsDone: 1, uploaded: 3, flagged: 1 });
    assert.deepEqual(s.tasks.find((t) => t.task === 'counting'),
      { task: 'counting', modality: 'speech', takes: 1, participantsDone: 0, uploaded: 0, flagged: 0 });
    assert.equal(s.flagged.length, 1);
    assert.deepEqual({ upload: s.flagged[0].upload, verdict: s.flagged[0].verdict, task: s.flagged[0].task, take: s.flagged[0].take },
      { upload: quiet, verdict: 'quiet', task: 'cough', take: 2 });
    assert.match(s.flagged[0].message, /quiet/i);
    // Its audio, byte for byte.
    const audio = await fetch(`${url}/api/dashboard/takes/${quiet}`, { headers: session });
    assert.equal(audio.headers.get('content-type'), 'audio/wav');
    assert.ok(Buffer.from(await audio.arrayBuffer()).equals(SILENCE));
    assert.equal((await fetch(`${url}/api/dashboard/takes/${'0'.repeat(32)}`, { headers: session })).status, 404);

    // The dashboard page carries the strict policy too.
    const page = await fetch(`${url}/research/dashboard.html`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy'), /default-src 'none'; script-src 'self';.*frame-ancestors 'none'/);
    assert.doesNotMatch(page.headers.get('content-security-policy'), /unsafe/);

    // Export: CSRF token and this site required.
    const exportUrl = `${url}/api/dashboard/studies/${study}/export`;
    assert.equal((await fetch(exportUrl, { method: 'POST', headers: session })).status, 403);
    assert.equal((await fetch(exportUrl, { method: 'POST', headers: { ...session, 'X-CSRF-Token': '0'.repeat(64) } })).status, 403);
    assert.equal((await fetch(exportUrl, { method: 'POST', headers: { ...write, Origin: 'https://evil.example' } })).status, 403);
    assert.equal((await fetch(exportUrl, { method: 'POST', headers: { ...write, 'Sec-Fetch-Site': 'cross-site' } })).status, 403);
    const ex = await fetch(exportUrl, { method: 'POST', headers: write });
    assert.equal(ex.status, 200);
    const listing = await ex.json();
    assert.equal(listing.protocol.id, 'cough-speech-breath');
    const pa = listing.sessions.find((x) => x.participant === a.participant);
    assert.deepEqual(pa.answers, { test_result: 'positive' });
    assert.equal(pa.status, 'unfinished');
    assert.equal(listing.sessions.find((x) => x.participant === b.participant).status, 'complete');
    assert.deepEqual(pa.takes.map((t) => [t.task, t.take, t.modality]).sort(), [['cough', 1, 'cough'], ['cough', 2, 'cough']]);

    // Deletions: a take, then a participant (files and rows).
    const bad = { ...session, 'X-CSRF-Token': 'x' };
    assert.equal((await fetch(`${url}/api/dashboard/takes/${quiet}`, { method: 'DELETE', headers: bad })).status, 403);
    assert.equal((await fetch(`${url}/api/dashboard/takes/${quiet}`, { method: 'DELETE', headers: write })).status, 200);
    assert.equal((await fetch(`${url}/api/dashboard/takes/${quiet}`, { headers: session })).status, 404);
    const del = await fetch(`${url}/api/dashboard/studies/${study}/participants/${b.participant}`, { method: 'DELETE', headers: write });
    assert.equal(del.status, 200);
    assert.equal((await del.json()).deletedTakes, 1);
    assert.equal(existsSync(path.join(server.data, 'audio', study, b.participant)), false);
    assert.equal((await fetch(`${url}/api/studies/${study}/me`, { headers: b.auth })).status, 401);
    // A participant's own withdrawal is logged too, and counted on the
    // export that held them (a copy of that ZIP may still exist).
    const exportsNow = async () => (await (await fetch(`${url}/api/dashboard/studies`, { headers: session })).json()).studies[0].exports;
    assert.deepEqual((await exportsNow()).map((e) => [e.researcher, e.participants, e.takes, e.withdrawnSince]), [['ada', 2, 3, 1]]);
    assert.equal((await fetch(`${url}/api/studies/${study}/me`, { method: 'DELETE', headers: a.auth })).status, 200);
    assert.equal((await exportsNow())[0].withdrawnSince, 2);

    const log = (await (await fetch(`${url}/api/dashboard/audit`, { headers: session })).json()).entries;
    const seen = log.map((e) => `${e.actor} ${e.action}`).reverse();
    assert.deepEqual(seen, ['ada login', 'ada login', 'ada export', 'ada delete take', 'ada delete participant', 'participant withdrawal']);
    assert.match(log.find((e) => e.action === 'export').detail, /^2 participants, 3 takes$/);
    assert.match(log.find((e) => e.action === 'delete take').detail, /^cough take 2 \(quiet\)/);
    const text = JSON.stringify(log);
    for (const p of [a, b]) assert.equal(text.indexOf(p.participant), -1, 'the log names no participant');

    // Logging out ends the session.
    assert.equal((await fetch(`${url}/api/dashboard/logout`, { method: 'POST', headers: write })).status, 200);
    assert.equal((await fetch(`${url}/api/dashboard/studies`, { headers: session })).status, 401);
  } finally {
    await server.stop();
  }
});

test('dashboard logins are rate-limited per address, before any password is hashed', async () => {
  const server = await startStudyServer({ args: ['--logins-per-minute', '2'] });
  try {
    // Empty attempts (400) count too, and cost no Argon2id: quick even on
    // a busy machine, so all three fall in one minute's window.
    const empty = () => fetch(`${server.url}/api/dashboard/login`, { method: 'POST', body: '{}', headers: { 'Content-Type': 'application/json' } });
    assert.deepEqual([(await empty()).status, (await empty()).status], [400, 400]);
    const r = await empty();
    assert.equal(r.status, 429);
    assert.equal(r.headers.get('retry-after'), '60');
    assert.match((await r.json()).error, /too many login attempts/);
  } finally {
    await server.stop();
  }
});
