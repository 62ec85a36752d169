// create-study's participant link names the address the study's server
// serves: --base-url, else the --host/--port given, else the address the
// server last started on the data folder noted (DATA/server-url), and only
// before any server ran the defaults (with a note on stderr).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { binary, root, startStudyServer, postgres, newDatabase } from './server.mjs';

const protocol = path.join(root, 'models/protocols/default.json');

// `conninfo`: the server's PostgreSQL database when the suite runs on one.
function link(data, args = [], conninfo = postgres ? newDatabase() : '') {
  const db = conninfo ? ['--postgres', conninfo] : [];
  const r = spawnSync(binary, ['create-study', '--data', data, ...db, '--protocol', protocol, ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return { url: new URL(r.stdout.match(/participant link: (\S+)/)[1]), stderr: r.stderr };
}

test('create-study links to the port the server serves, not a fixed 8090', async () => {
  const fresh = mkdtempSync(path.join(os.tmpdir(), 'tm2-study-'));
  const before = link(fresh);
  assert.equal(before.url.origin, 'http://127.0.0.1:8090');
  assert.match(before.stderr, /no server has run on .* yet/);

  const server = await startStudyServer();
  try {
    assert.notEqual(server.port, 8090);
    assert.equal(readFileSync(path.join(server.data, 'server-url'), 'utf8'), `${server.url}\n`);
    const noted = link(server.data, [], server.postgres);
    assert.equal(noted.url.origin, server.url);
    assert.equal(noted.stderr, '');
    // The link works: the study it names answers on that address.
    const r = await fetch(`${noted.url.origin}/api/studies/${noted.url.searchParams.get('study')}`);
    assert.equal(r.status, 200, await r.text());
    // What the caller gives wins.
    assert.equal(link(server.data, ['--port', '9123']).url.origin, 'http://127.0.0.1:9123');
    assert.equal(link(server.data, ['--base-url', 'https://study.example.org']).url.origin, 'https://study.example.org');
  } finally {
    await server.stop();
  }
});
