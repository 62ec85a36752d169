// Runs the real tinym2-study for the tests: a fresh data folder, a study
// created with the CLI, the server on a free port (started, killed with
// SIGKILL, restarted on the same data), and a small tus/API client on
// node's fetch and http.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createHash } from 'node:crypto';
import net from 'node:net';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// CTest passes the binary it built; by hand, the native preset's.
export const binary = process.env.TM2_STUDY_SERVER ?? path.join(root, 'build/native/native/study-server/tinym2-study');
export const fixtures = path.join(root, 'tests/fixtures/audio');

export const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

export async function freePort() {
  const s = net.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

// With TM2_STUDY_PG (set by with-postgres.sh: a libpq connection string
// without dbname), every server gets a new PostgreSQL database instead of
// DATA/study.sqlite, and the same tests run against it.
export const postgres = process.env.TM2_STUDY_PG ?? '';
const psql = () => path.join(process.env.TM2_PG_BIN ?? '', 'psql');
let databases = 0;
export function newDatabase() {
  const name = `tm2_${process.pid}_${++databases}`;
  execFileSync(psql(), [`${postgres} dbname=postgres`, '-qc', `CREATE DATABASE ${name}`]);
  return `${postgres} dbname=${name}`;
}
// Every row of a server's PostgreSQL database as text (pg_dump --data-only).
export function dumpDatabase(server) {
  return execFileSync(path.join(process.env.TM2_PG_BIN ?? '', 'pg_dump'), ['--data-only', server.postgres], { encoding: 'utf8' });
}
const dbArgs = (conninfo) => (conninfo ? ['--postgres', conninfo] : []);

export function createStudy(data, protocol = path.join(root, 'models/protocols/default.json'), conninfo = '') {
  const out = execFileSync(binary, ['create-study', '--data', data, ...dbArgs(conninfo), '--protocol', protocol], { encoding: 'utf8' });
  const link = new URL(out.match(/participant link: (\S+)/)[1]);
  return { id: link.searchParams.get('study'), join: link.searchParams.get('join'), link };
}

// A server on `data` (a new folder by default) with one study of `protocol`
// (the default protocol unless given).
export async function startStudyServer({ data, args = [], protocol } = {}) {
  data ??= mkdtempSync(path.join(os.tmpdir(), 'tm2-study-'));
  const conninfo = postgres ? newDatabase() : '';
  const study = createStudy(data, protocol, conninfo);
  return startInstance({ data, study, postgres: conninfo, args });
}

// A server on an existing study's data folder and database: with
// PostgreSQL, several of these are the instances behind one proxy.
export async function startInstance({ data, study, postgres: conninfo = '', args = [] }) {
  const port = await freePort();
  const s = { data, study, port, url: `http://127.0.0.1:${port}`, args: [...dbArgs(conninfo), ...args], postgres: conninfo };
  await start(s);
  s.restart = async ({ kill = 'SIGKILL' } = {}) => { await stop(s, kill); await start(s); };
  s.kill = () => stop(s, 'SIGKILL');
  s.start = () => start(s);
  s.stop = () => stop(s, 'SIGTERM');
  return s;
}

async function start(s) {
  s.proc = spawn(binary, ['--data', s.data, '--port', String(s.port), '--root', root, ...s.args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  s.stderr = '';
  s.proc.stderr.on('data', (d) => { s.stderr += d; });
  await new Promise((resolve, reject) => {
    let out = '';
    s.proc.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('serving')) return;
      // The server names its database: the suite must run on the one asked for.
      const want = s.postgres ? ', postgresql,' : ', sqlite,';
      if (out.includes(want)) resolve(); else reject(new Error(`expected ${want} in: ${out}`));
    });
    s.proc.on('exit', (code) => reject(new Error(`tinym2-study exited (${code}): ${s.stderr}`)));
  });
}

async function stop(s, signal) {
  if (s.proc.exitCode !== null || s.proc.signalCode !== null) return;
  const exited = new Promise((r) => s.proc.once('exit', r));
  s.proc.kill(signal);
  await exited;
}

// A participant of the server's study: joined, and consented unless told
// not to (in `language` when given).
export async function join(server, { consent = true, language } = {}) {
  const r = await fetch(`${server.url}/api/studies/${server.study.id}/participants`, {
    method: 'POST', body: JSON.stringify({ join: server.study.join }), headers: { 'Content-Type': 'application/json' },
  });
  if (r.status !== 201) throw new Error(`join: HTTP ${r.status} ${await r.text()}`);
  const p = await r.json();
  p.auth = { Authorization: `Bearer ${p.token}` };
  if (consent) {
    const c = await fetch(`${server.url}/api/studies/${server.study.id}/consent`, {
      method: 'POST', headers: p.auth, body: JSON.stringify({ version: '1', language }),
    });
    if (c.status !== 200) throw new Error(`consent: HTTP ${c.status} ${await c.text()}`);
  }
  return p;
}

export const b64 = (s) => Buffer.from(String(s)).toString('base64');
export const metadata = (m) => Object.entries(m).map(([k, v]) => `${k} ${b64(v)}`).join(',');

export async function create(server, p, { task, take = 1, bytes, headers = {}, meta = {} }) {
  return fetch(`${server.url}/tus/${server.study.id}/`, {
    method: 'POST',
    headers: {
      ...p.auth, 'Tus-Resumable': '1.0.0', 'Upload-Length': String(bytes.length),
      'Upload-Metadata': metadata({ task, take, sha256: sha256(bytes), filename: `${task}-${take}.wav`, ...meta }),
      ...headers,
    },
  });
}

export async function head(server, p, location) {
  return fetch(server.url + location, { method: 'HEAD', headers: { ...p.auth, 'Tus-Resumable': '1.0.0' } });
}

export async function patch(server, p, location, offset, body, headers = {}) {
  return fetch(server.url + location, {
    method: 'PATCH', body,
    headers: {
      ...p.auth, 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream',
      'Upload-Offset': String(offset), ...headers,
    },
  });
}

// A PATCH whose connection is cut after `sent` of its announced bytes, as
// when a phone loses its network mid-request.
export function cutPatch(server, p, location, offset, body, sent) {
  return new Promise((resolve) => {
    const req = http.request(server.url + location, {
      method: 'PATCH',
      headers: {
        ...p.auth, 'Tus-Resumable': '1.0.0', 'Content-Type': 'application/offset+octet-stream',
        'Upload-Offset': String(offset), 'Content-Length': String(body.length),
      },
    });
    req.on('error', () => resolve());
    req.write(body.subarray(0, sent), () => setTimeout(() => { req.destroy(); resolve(); }, 200));
  });
}

// Uploads `bytes` in `pieces` PATCHes; returns the Location.
export async function upload(server, p, task, take, bytes, pieces = 3, meta = {}) {
  const c = await create(server, p, { task, take, bytes, meta });
  if (c.status !== 201) throw new Error(`create: HTTP ${c.status} ${await c.text()}`);
  const location = c.headers.get('location');
  let offset = Number(c.headers.get('upload-offset') ?? 0);
  const step = Math.ceil(bytes.length / pieces);
  while (offset < bytes.length) {
    const r = await patch(server, p, location, offset, bytes.subarray(offset, offset + step));
    if (r.status !== 204) throw new Error(`patch: HTTP ${r.status} ${await r.text()}`);
    offset = Number(r.headers.get('upload-offset'));
  }
  return location;
}

export async function me(server, p) {
  return fetch(`${server.url}/api/studies/${server.study.id}/me`, { headers: p.auth });
}

// A 16-bit mono WAV header for `frames` frames at `rate`, followed by `body`
// (which may be shorter or longer than the header says).
export function wavHeader(frames, rate = 16000) {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + frames * 2, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(16, 16); h.writeUInt16LE(1, 20); h.writeUInt16LE(1, 22);
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * 2, 28); h.writeUInt16LE(2, 32); h.writeUInt16LE(16, 34);
  h.write('data', 36); h.writeUInt32LE(frames * 2, 40);
  return h;
}

// A dashboard login on the server (the add-researcher command, the
// password on standard input); returns spawnSync's result.
export const PASSWORD = 'correct horse battery staple';
export function addResearcher(server, name, password = PASSWORD) {
  return spawnSync(binary, ['add-researcher', '--data', server.data,
    ...(server.postgres ? ['--postgres', server.postgres] : []), '--name', name],
  { input: `${password}\n`, encoding: 'utf8' });
}

export async function login(server, name, password = PASSWORD, headers = {}) {
  return fetch(`${server.url}/api/dashboard/login`, {
    method: 'POST', body: JSON.stringify({ name, password }),
    headers: { 'Content-Type': 'application/json', ...headers },
  });
}
