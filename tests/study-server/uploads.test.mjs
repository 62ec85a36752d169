// tinym2-study end to end without a browser: a take uploaded in pieces
// arrives byte-identical with the server's verdict; replays are idempotent;
// a cut-off PATCH and a server killed mid-upload lose nothing; withdrawal
// deletes the participant's files and rows.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import net from 'node:net';
import {
  startStudyServer, join, create, head, patch, cutPatch, upload, me, sha256, fixtures, root, dumpDatabase,
} from './server.mjs';

const COUGH = readFileSync(path.join(fixtures, 'coswara_cough_16k.wav'));
const COUNTING = readFileSync(path.join(fixtures, 'coswara_counting_16k.wav'));

// Every file under DATA/audio, as "study/participant/file".
function stored(server) {
  const out = [];
  const audio = path.join(server.data, 'audio');
  for (const s of readdirSync(audio)) {
    for (const p of readdirSync(path.join(audio, s))) {
      for (const f of readdirSync(path.join(audio, s, p))) out.push(`${s}/${p}/${f}`);
    }
  }
  return out;
}

async function takes(server, p) {
  const r = await me(server, p);
  assert.equal(r.status, 200, await r.clone().text());
  return (await r.json()).takes;
}

test('a take uploads in pieces, arrives byte-identical with the server verdict, and replays change nothing', async () => {
  const server = await startStudyServer();
  try {
    const p = await join(server);
    const c = await create(server, p, { task: 'cough', take: 1, bytes: COUGH });
    assert.equal(c.status, 201);
    const location = c.headers.get('location');
    assert.match(location, new RegExp(`^/tus/${server.study.id}/[0-9a-f]{32}$`));
    let h = await head(server, p, location);
    assert.equal(h.status, 200);
    assert.equal(h.headers.get('upload-offset'), '0');
    assert.equal(h.headers.get('upload-length'), String(COUGH.length));
    assert.equal(h.headers.get('tus-resumable'), '1.0.0');
    // 30 bytes: not yet a whole header, so nothing is judged.
    let r = await patch(server, p, location, 0, COUGH.subarray(0, 30));
    assert.equal(r.status, 204, await r.text());
    r = await patch(server, p, location, 30, COUGH.subarray(30, 100000));
    assert.equal(r.headers.get('upload-offset'), '100000');
    h = await head(server, p, location);
    assert.equal(h.headers.get('upload-offset'), '100000');
    r = await patch(server, p, location, 100000, COUGH.subarray(100000));
    assert.equal(r.status, 204, await r.text());
    assert.equal(r.headers.get('upload-offset'), String(COUGH.length));
    assert.equal(r.headers.get('tm2-verdict'), 'ok');

    const [t] = await takes(server, p);
    assert.deepEqual({ task: t.task, take: t.take, status: t.status, verdict: t.verdict, sha256: t.sha256 },
      { task: 'cough', take: 1, status: 'complete', verdict: 'ok', sha256: sha256(COUGH) });
    assert.equal(t.seconds, 5);
    assert.equal(t.sampleRate, 16000);
    // The server's sound-type probability is the core's: `tinym2 run` on
    // the same file prints the same value (4 decimals).
    const cli = path.join(root, 'build/native/native/cli/tinym2');
    if (existsSync(cli)) {
      const out = execFileSync(cli, ['run', path.join(root, 'models/sound-gate.tm2'), path.join(fixtures, 'coswara_cough_16k.wav')], { encoding: 'utf8' });
      assert.equal(t.probability.toFixed(4), out.match(/^cough\s+([\d.]+)/m)[1]);
    }

    // The answers, the label among them, go to the participant's row.
    const put = (body) => fetch(`${server.url}/api/studies/${server.study.id}/answers`, { method: 'PUT', headers: p.auth, body });
    assert.equal((await put(JSON.stringify({ test_result: 'positive', days_since_test: 3 }))).status, 200);
    assert.deepEqual((await (await me(server, p)).json()).answers, { test_result: 'positive', days_since_test: 3 });
    assert.equal((await put('[1]')).status, 400);
    assert.equal((await put(JSON.stringify({ '../x': 'a' }))).status, 400);
    assert.equal((await put(JSON.stringify({ a: { nested: 1 } }))).status, 400);
    assert.equal((await put(JSON.stringify({ a: 'x'.repeat(201) }))).status, 400);

    // Replays: the same creation gives the same upload, complete; the last
    // PATCH again is answered with the final offset; still one file.
    const again = await create(server, p, { task: 'cough', take: 1, bytes: COUGH });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('location'), location);
    assert.equal(again.headers.get('upload-offset'), String(COUGH.length));
    r = await patch(server, p, location, COUGH.length, new Uint8Array(0));
    assert.equal(r.status, 204);
    const files = stored(server);
    assert.deepEqual(files, [`${server.study.id}/${p.participant}/${location.split('/').pop()}.wav`]);
    assert.ok(readFileSync(path.join(server.data, 'audio', files[0])).equals(COUGH), 'byte-identical');
    assert.deepEqual(readdirSync(path.join(server.data, 'partial')), []);

    // A re-recorded take replaces the earlier one for the same step.
    await upload(server, p, 'cough', 1, COUNTING);
    const after = await takes(server, p);
    assert.equal(after.length, 1);
    assert.equal(after[0].sha256, sha256(COUNTING));
    assert.equal(stored(server).length, 1);
  } finally {
    await server.stop();
  }
});

test('a PATCH cut off mid-body and a server killed mid-upload lose nothing', async () => {
  const server = await startStudyServer();
  try {
    const p = await join(server);
    const c = await create(server, p, { task: 'breathing', take: 1, bytes: COUNTING });
    const location = c.headers.get('location');
    // The connection drops after 60 000 of 160 044 bytes: what arrived is kept.
    // The server commits them once it sees the connection gone: poll.
    await cutPatch(server, p, location, 0, COUNTING, 60000);
    let offset = 0;
    for (let i = 0; i < 50 && offset === 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      offset = Number((await head(server, p, location)).headers.get('upload-offset'));
    }
    assert.ok(offset > 0 && offset <= 60000, `offset after a cut-off PATCH: ${offset}`);
    let r = await patch(server, p, location, offset, COUNTING.subarray(offset, 100000));
    assert.equal(r.status, 204);
    // SIGKILL: no chance to tidy up. The committed offset survives.
    await server.restart({ kill: 'SIGKILL' });
    offset = Number((await head(server, p, location)).headers.get('upload-offset'));
    assert.equal(offset, 100000);
    r = await patch(server, p, location, offset, COUNTING.subarray(offset));
    assert.equal(r.status, 204, await r.text());
    const t = await takes(server, p);
    assert.equal(t.length, 1);
    assert.equal(t[0].status, 'complete');
    assert.equal(t[0].sha256, sha256(COUNTING));
    const files = stored(server);
    assert.equal(files.length, 1);
    assert.ok(readFileSync(path.join(server.data, 'audio', files[0])).equals(COUNTING), 'byte-identical');
  } finally {
    await server.stop();
  }
});

test('a request that follows its connection by 2 s is still answered', async () => {
  // A loaded phone may open the connection and send its request a while
  // later; the 1-s keep-alive timeout is for the wait between requests.
  const server = await startStudyServer();
  try {
    const p = await join(server);
    const reply = await new Promise((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1');
      let text = '';
      socket.on('data', (d) => { text += d; });
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
      socket.on('connect', () => setTimeout(() => socket.write(
        `GET /api/studies/${server.study.id}/me HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        `Authorization: ${p.auth.Authorization}\r\nConnection: close\r\n\r\n`), 2000));
    });
    assert.match(reply, /^HTTP\/1\.1 200 /, `reply: ${JSON.stringify(reply.slice(0, 80))}`);
    assert.match(reply, /"takes"/);
  } finally {
    await server.stop();
  }
});

test('withdrawal deletes the participant\'s files, partial uploads and rows; others keep theirs', async () => {
  const server = await startStudyServer();
  try {
    const [a, b] = [await join(server), await join(server)];
    await upload(server, a, 'cough', 1, COUGH);
    await upload(server, a, 'cough', 2, COUNTING);
    const partial = await create(server, a, { task: 'breathing', take: 1, bytes: COUNTING });
    await patch(server, a, partial.headers.get('location'), 0, COUNTING.subarray(0, 5000));
    await upload(server, b, 'cough', 1, COUGH);
    const r = await fetch(`${server.url}/api/studies/${server.study.id}/me`, { method: 'DELETE', headers: a.auth });
    assert.equal(r.status, 200);
    assert.equal((await r.json()).deletedTakes, 3);
    assert.deepEqual(stored(server).map((f) => f.split('/')[1]), [b.participant]);
    assert.deepEqual(readdirSync(path.join(server.data, 'partial')), []);
    assert.equal((await me(server, a)).status, 401, 'the token is gone with the participant');
    assert.equal((await takes(server, b)).length, 1);
    // No row of the participant is left in the database (secure_delete
    // zeroes the freed pages, so not even their bytes), nor in its
    // write-ahead log, checked while the server still runs.
    if (!server.postgres) {
      const files = ['study.sqlite', 'study.sqlite-wal'].map((f) => path.join(server.data, f)).filter(existsSync);
      assert.ok(files.length === 2, 'the server keeps a WAL');
      for (const f of files) assert.equal(readFileSync(f).indexOf(a.participant), -1, `participant id still in ${path.basename(f)}`);
    }
    await server.stop();
    if (server.postgres) {
      // PostgreSQL: no row names the participant (dead row versions stay
      // in its files until VACUUM reuses them; docs/study-server.md).
      const dump = dumpDatabase(server);
      assert.ok(dump.includes(b.participant), 'the dump holds the remaining participant');
      assert.equal(dump.indexOf(a.participant), -1, 'participant id still in the database');
    } else {
      const db = readFileSync(path.join(server.data, 'study.sqlite'));
      assert.equal(db.indexOf(a.participant), -1, 'participant id still in study.sqlite');
    }
  } finally {
    await server.stop();
  }
});

test('a signal right after start-up still stops the server', async () => {
  const server = await startStudyServer();
  for (let i = 0; i < 5; i++) {
    await server.restart({ kill: 'SIGTERM' });
  }
  await server.stop();
  assert.equal(server.proc.signalCode ?? server.proc.exitCode, 0);
});
