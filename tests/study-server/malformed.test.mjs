// Bad requests to tinym2-study: each gets a clear 4xx (status and words),
// none writes outside DATA, none leaves a stray file, and the server keeps
// serving afterwards.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import {
  startStudyServer, join, create, head, patch, metadata, sha256, wavHeader, fixtures,
} from './server.mjs';

const COUGH = readFileSync(path.join(fixtures, 'coswara_cough_16k.wav'));

async function expectError(r, status, words) {
  const text = await r.text();
  assert.equal(r.status, status, `HTTP ${r.status} ${text}`);
  if (words) assert.match(JSON.parse(text).error, words);
}

// Every file under DATA, relative to it (the database files included).
function tree(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory()
    ? tree(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
}

test('malformed tus and API requests get clear 4xx answers and write nothing', async () => {
  const server = await startStudyServer({ args: ['--joins-per-minute', '5'] });
  const { url } = server;
  const study = server.study.id;
  try {
    const p = await join(server);
    const other = await join(server, { consent: false });
    const tusHeaders = { ...p.auth, 'Tus-Resumable': '1.0.0' };
    const post = (headers) => fetch(`${url}/tus/${study}/`, { method: 'POST', headers: { ...tusHeaders, ...headers } });
    const good = { 'Upload-Length': String(COUGH.length), 'Upload-Metadata': metadata({ task: 'cough', take: 1, sha256: sha256(COUGH) }) };

    // Versions, tokens, studies.
    await expectError(await fetch(`${url}/tus/${study}/`, { method: 'POST', headers: { ...p.auth, ...good } }), 412, /Tus-Resumable/);
    await expectError(await post({ ...good, Authorization: '' }), 401, /token/);
    await expectError(await post({ ...good, Authorization: `Bearer ${'0'.repeat(64)}` }), 401, /unknown participant token/);
    await expectError(await post({ ...good, Authorization: `Bearer ${p.token}x` }), 401, /malformed/);
    await expectError(await fetch(`${url}/tus/${'0'.repeat(24)}/`, { method: 'POST', headers: { ...tusHeaders, ...good } }), 404, /no such study/);
    await expectError(await post({ ...good, ...other.auth }), 403, /consent/);
    await expectError(await fetch(`${url}/api/studies/${study}/consent`, { method: 'POST', headers: other.auth, body: '{"version":"2"}' }), 409, /version 2.*version 1/);
    await expectError(await fetch(`${url}/api/studies/${study}/consent`, { method: 'POST', headers: other.auth, body: 'not json' }), 400, /version/);
    await expectError(await fetch(`${url}/api/studies/${study}/participants`, { method: 'POST', body: '{"join":"nope"}' }), 403, /join key/);

    // Creation headers and metadata.
    await expectError(await post({ ...good, 'Upload-Length': '-1' }), 400, /Upload-Length/);
    await expectError(await post({ ...good, 'Upload-Length': '12abc' }), 400, /Upload-Length/);
    await expectError(await post({ ...good, 'Upload-Length': '99999999999999999999' }), 400, /Upload-Length/);
    await expectError(await post({ 'Upload-Defer-Length': '1', 'Upload-Metadata': good['Upload-Metadata'] }), 400, /Defer/);
    await expectError(await post({ ...good, 'Upload-Metadata': 'task !!!notbase64' }), 400, /Upload-Metadata is malformed/);
    await expectError(await post({ ...good, 'Upload-Metadata': metadata({ task: '../../etc', take: 1, sha256: sha256(COUGH) }) }), 400, /not a task/);
    await expectError(await post({ ...good, 'Upload-Metadata': metadata({ task: 'cough', take: 3, sha256: sha256(COUGH) }) }), 400, /take must be 1-2/);
    await expectError(await post({ ...good, 'Upload-Metadata': metadata({ task: 'cough', take: '1/../2', sha256: sha256(COUGH) }) }), 400, /take/);
    await expectError(await post({ ...good, 'Upload-Metadata': metadata({ task: 'cough', take: 1, sha256: 'abc' }) }), 400, /sha256/);
    await expectError(await post({ ...good, 'Upload-Metadata': metadata({ task: 'cough', take: 1, sha256: sha256(COUGH), browser: 'x'.repeat(401) }) }), 400, /browser is over 400 bytes/);
    await expectError(await post({ ...good, 'Upload-Metadata': metadata({ task: 'cough', take: 1, sha256: sha256(COUGH), inputDevice: 'mic\r\nX-Evil: 1' }) }), 400, /inputDevice holds a control character/);
    // A 10-minute take is refused before any byte is sent.
    const tenMinutes = 44 + 600 * 16000 * 2;
    await expectError(await post({ 'Upload-Length': String(tenMinutes), 'Upload-Metadata': metadata({ task: 'cough', take: 1, sha256: 'a'.repeat(64) }) }), 413, /more than a 10-s take/);

    // PATCH headers and bodies.
    const c = await create(server, p, { task: 'cough', take: 1, bytes: COUGH });
    const loc = c.headers.get('location');
    await expectError(await patch(server, p, loc, 0, COUGH.subarray(0, 100), { 'Content-Type': 'application/octet-stream' }), 415, /offset\+octet-stream/);
    await expectError(await patch(server, p, loc, 5, COUGH.subarray(0, 100)), 409, /Upload-Offset 5 does not match the upload's offset 0/);
    await expectError(await patch(server, p, loc, 0, COUGH.subarray(0, 100), { 'Upload-Offset': 'x' }), 400, /Upload-Offset/);
    await expectError(await patch(server, other, loc, 0, COUGH.subarray(0, 100)), 404, /no such upload/);
    await expectError(await patch(server, p, `/tus/${study}/${'f'.repeat(32)}`, 0, COUGH.subarray(0, 100)), 404, /no such upload/);
    await expectError(await patch(server, p, loc, 0, Buffer.concat([COUGH, Buffer.from('extra')])), 413, /past Upload-Length/);
    assert.equal((await head(server, p, loc)).headers.get('upload-offset'), '0', 'a refused body writes nothing');
    // The checksum extension: a body whose digest differs is not kept;
    // a matching one (sha1 or sha256) is.
    const piece = COUGH.subarray(0, 1000);
    const digest = (alg, b) => `${alg} ${createHash(alg).update(b).digest('base64')}`;
    await expectError(await patch(server, p, loc, 0, piece, { 'Upload-Checksum': 'md5 AAAA' }), 400, /not supported \(sha1,sha256\)/);
    await expectError(await patch(server, p, loc, 0, piece, { 'Upload-Checksum': 'sha1 !!' }), 400, /base64 of the 20-byte digest/);
    await expectError(await patch(server, p, loc, 0, piece, { 'Upload-Checksum': digest('sha1', COUGH.subarray(1, 1001)) }), 460, /does not match/);
    assert.equal((await head(server, p, loc)).headers.get('upload-offset'), '0', 'a mismatching body is not kept');
    let ok = await patch(server, p, loc, 0, piece, { 'Upload-Checksum': digest('sha1', piece) });
    assert.equal(ok.status, 204, await ok.text());
    ok = await patch(server, p, loc, 1000, COUGH.subarray(1000, 2000), { 'Upload-Checksum': digest('sha256', COUGH.subarray(1000, 2000)) });
    assert.equal(ok.headers.get('upload-offset'), '2000');
    const options = await fetch(`${url}/tus/${study}/`, { method: 'OPTIONS' });
    assert.equal(options.headers.get('tus-extension'), 'creation,checksum');
    assert.equal(options.headers.get('tus-checksum-algorithm'), 'sha1,sha256');

    // Content: not audio, truncated, too long for the task, wrong checksum.
    const html = Buffer.from('<html><body>not audio</body></html>'.padEnd(2000, ' '));
    let u = await create(server, p, { task: 'cough', take: 2, bytes: html });
    await expectError(await patch(server, p, u.headers.get('location'), 0, html), 415, /not a WAV file.*discarded/);
    assert.equal((await head(server, p, u.headers.get('location'))).status, 404, 'a refused upload is gone');
    const truncated = Buffer.concat([wavHeader(600 * 16000), COUGH.subarray(44, 20044)]);
    u = await create(server, p, { task: 'cough', take: 2, bytes: truncated });
    await expectError(await patch(server, p, u.headers.get('location'), 0, truncated.subarray(0, 1000)), 422, /truncated WAV/);
    const thirty = Buffer.concat([wavHeader(30 * 16000), Buffer.alloc(30 * 16000 * 2)]);
    u = await create(server, p, { task: 'cough', take: 2, bytes: thirty });
    await expectError(await patch(server, p, u.headers.get('location'), 0, thirty.subarray(0, 4096)), 413, /too long: 30\.0 s.*at most 10\.0 s/);
    const wrongSum = Buffer.from(COUGH);
    u = await fetch(`${url}/tus/${study}/`, { method: 'POST', headers: { ...tusHeaders, 'Upload-Length': String(COUGH.length), 'Upload-Metadata': metadata({ task: 'cough', take: 2, sha256: 'b'.repeat(64) }) } });
    await expectError(await patch(server, p, u.headers.get('location'), 0, wrongSum), 460, /checksum mismatch/);

    // Traversal through paths: nothing outside the served folders.
    for (const bad of ['/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '/models/..%2f..%2fREADME.md',
      `/tus/${study}/..%2f..%2fstudy.sqlite`, '/study.sqlite', '/research/../../CMakeLists.txt']) {
      const r = await fetch(url + bad, { headers: tusHeaders });
      const text = await r.text();
      assert.ok(r.status >= 400 && r.status < 500, `${bad}: HTTP ${r.status}`);
      assert.ok(!/root:|SQLite format|cmake_minimum_required/.test(text), `${bad} served a file outside the site`);
    }

    // Join rate limit: 5 a minute from one address (3 tries above).
    await join(server, { consent: false });
    await join(server, { consent: false });
    await expectError(await fetch(`${url}/api/studies/${study}/participants`, { method: 'POST', body: JSON.stringify({ join: server.study.join }) }), 429, /too many new participants/);

    // Only server-made names on disk: the database, the address the server
    // notes for create-study, the one upload in progress (hex id), nothing else.
    const files = tree(server.data).filter((f) => !/^(study\.sqlite(-wal|-shm)?|server-url)$/.test(f));
    assert.deepEqual(files, [`partial/${loc.split('/').pop()}.part`]);
    // The server still works: the upload in progress completes.
    const r = await patch(server, p, loc, 2000, COUGH.subarray(2000));
    assert.equal(r.status, 204, await r.text());
    assert.equal(server.stderr, '', 'no internal error');
  } finally {
    await server.stop();
  }
});
