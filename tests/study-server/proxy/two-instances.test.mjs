// tinym2-study behind TLS: Debian's nginx running the shipped site config
// (native/study-server/nginx-study.conf; ports, addresses and certificate
// paths replaced) in front of two server instances on one PostgreSQL
// database and one data folder. A participant completes the study over
// HTTPS with the certificate checked; nginx's log shows requests reaching
// both instances; one instance is killed mid-upload and the study goes on
// through the other; the restarted one then sees everything the other
// wrote. The dashboard's login over the proxy gets a Secure cookie and the
// participant's address comes from nginx's X-Real-IP. Runs under
// with-postgres.sh and with-tls.sh (CTest study_server_tls_proxy).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {
  root, fixtures, postgres, newDatabase, createStudy, startInstance, freePort, join, create, patch, upload, me,
  sha256, addResearcher, login,
} from '../server.mjs';

const tls = process.env.TM2_TLS_DIR;
const skip = !tls || !postgres ? 'run through with-postgres.sh and with-tls.sh (CTest study_server_tls_proxy)' : false;
const SITE = path.join(root, 'native/study-server/nginx-study.conf');
const COUGH = readFileSync(path.join(fixtures, 'coswara_cough_16k.wav'));
const COUNTING = readFileSync(path.join(fixtures, 'coswara_counting_16k.wav'));

// The shipped site file with this test's ports and certificate.
function siteFor({ a, b, https, http }) {
  let site = readFileSync(SITE, 'utf8');
  const swaps = [
    [/server 127\.0\.0\.1:8091 /, `server 127.0.0.1:${a} `],
    [/server 127\.0\.0\.1:8092 /, `server 127.0.0.1:${b} `],
    [/listen 80;/, `listen 127.0.0.1:${http};`],
    [/listen 443 ssl http2;/, `listen 127.0.0.1:${https} ssl http2;`],
    [/ssl_certificate .*;/, `ssl_certificate ${tls}/cert.pem;`],
    [/ssl_certificate_key .*;/, `ssl_certificate_key ${tls}/key.pem;`],
  ];
  for (const [from, to] of swaps) {
    assert.match(site, from, `the site file still has ${from}`);
    site = site.replace(from, to);
  }
  // No IPv6 in every container.
  return site.replace(/^\s*listen \[::\].*$/gm, '');
}

async function startNginx(dir, site) {
  writeFileSync(path.join(dir, 'site.conf'), site);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((k) => `${k}_temp_path ${dir}/${k};`).join('\n  ');
  writeFileSync(path.join(dir, 'nginx.conf'), `daemon off;
${process.getuid() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 256; }
http {
  log_format upstreams '$request_method $uri $status $upstream_addr';
  access_log ${dir}/access.log upstreams;
  ${temp}
  include ${dir}/site.conf;
}
`);
  const nginx = spawn('nginx', ['-p', dir, '-c', path.join(dir, 'nginx.conf'), '-e', path.join(dir, 'error.log')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } });
  let err = '';
  nginx.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => nginx.once('exit', r));
  nginx.stop = async () => { if (nginx.exitCode === null) { nginx.kill('SIGQUIT'); await exited; } };
  return { nginx, failed: () => err + (() => { try { return readFileSync(path.join(dir, 'error.log'), 'utf8'); } catch { return ''; } })() };
}

async function waitForPort(port) {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((r) => {
      const s = net.connect(port, '127.0.0.1', () => { s.destroy(); r(true); });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

test('a study completes through nginx with TLS in front of two instances on one PostgreSQL', { skip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tm2-nginx-'));
  const data = mkdtempSync(path.join(os.tmpdir(), 'tm2-study-'));
  const conninfo = newDatabase();
  const [https, http] = [await freePort(), await freePort()];
  const study = createStudy(data, undefined, conninfo);
  const args = ['--trust-proxy', '--joins-per-minute', '2'];
  const a = await startInstance({ data, study, postgres: conninfo, args });
  const b = await startInstance({ data, study, postgres: conninfo, args });
  const { nginx, failed } = await startNginx(dir, siteFor({ a: a.port, b: b.port, https, http }));
  try {
    await waitForPort(https).catch((e) => { throw new Error(`${e.message}: ${failed()}`); });
    // The helpers of the HTTP suite, pointed at the proxy.
    const proxy = { url: `https://127.0.0.1:${https}`, study, data };

    // Plain HTTP is sent to HTTPS; the page comes over TLS (node checks
    // the certificate against the one openssl made), HSTS on.
    const plain = await fetch(`http://127.0.0.1:${http}/research/`, { redirect: 'manual' });
    assert.equal(plain.status, 301);
    assert.match(plain.headers.get('location'), /^https:\/\/127\.0\.0\.1\/research\/$/);
    const page = await fetch(`${proxy.url}/research/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<h1[^>]*>Research mode<\/h1>/);
    assert.match(page.headers.get('strict-transport-security'), /max-age=/);

    // A participant joins and uploads through the proxy: PATCHes land on
    // both instances in turn (a take's pieces cross instances).
    const p = await join(proxy);
    assert.equal((await me(proxy, p)).status, 200);
    await upload(proxy, p, 'cough', 1, COUGH, 4);
    await upload(proxy, p, 'cough', 2, COUGH, 4);

    // Instance a is killed in the middle of the next take; nginx sends the
    // rest to b, and the take completes there.
    const c = await create(proxy, p, { task: 'counting', take: 1, bytes: COUNTING });
    assert.equal(c.status, 201, await c.clone().text());
    const location = c.headers.get('location');
    const half = COUNTING.length >> 1;
    assert.equal((await patch(proxy, p, location, 0, COUNTING.subarray(0, half))).status, 204);
    await a.kill();
    const rest = await patch(proxy, p, location, half, COUNTING.subarray(half));
    assert.equal(rest.status, 204, await rest.clone().text());
    assert.equal(rest.headers.get('upload-offset'), String(COUNTING.length));
    await upload(proxy, p, 'breathing', 1, COUGH, 2);
    const done = await fetch(`${proxy.url}/api/studies/${study.id}/complete`, { method: 'POST', headers: p.auth });
    assert.equal(done.status, 200, await done.clone().text());

    // a, restarted on the same database, sees everything b wrote; with b
    // gone every answer comes from a.
    await a.start();
    await new Promise((r) => setTimeout(r, 2100)); // past nginx's fail_timeout (1 s, counted in whole seconds) for a
    await b.kill();
    const r = await me(proxy, p);
    assert.equal(r.status, 200);
    const mine = await r.json();
    assert.ok(mine.completedAt);
    const want = { 'cough-1': COUGH, 'cough-2': COUGH, 'counting-1': COUNTING, 'breathing-1': COUGH };
    assert.deepEqual(mine.takes.map((t) => `${t.task}-${t.take}`).sort(), Object.keys(want).sort());
    for (const t of mine.takes) {
      const bytes = want[`${t.task}-${t.take}`];
      assert.equal(t.status, 'complete');
      assert.equal(t.sha256, sha256(bytes));
      const file = readFileSync(path.join(data, 'audio', study.id, p.participant, `${t.upload}.wav`));
      assert.ok(file.equals(bytes), `${t.task}-${t.take} is byte-identical on disk`);
    }

    // nginx's log: requests went to both instances, none failed with 5xx.
    const log = readFileSync(path.join(dir, 'access.log'), 'utf8').trim().split('\n');
    const upstreams = new Set(log.flatMap((l) => l.split(' ')[3].split(/[ ,]+/)).filter((u) => /:\d+$/.test(u)));
    assert.ok(upstreams.has(`127.0.0.1:${a.port}`) && upstreams.has(`127.0.0.1:${b.port}`), [...upstreams].join(' '));
    assert.ok(log.filter((l) => l.includes(' PATCH ') || l.startsWith('PATCH')).length >= 10, 'the takes went up in PATCHes');
    assert.deepEqual(log.filter((l) => / 5\d\d /.test(l)), [], 'no request failed');

    // The dashboard over TLS: the cookie is Secure (X-Forwarded-Proto).
    assert.equal(addResearcher(a, 'ada').status, 0);
    const l = await login(proxy, 'ada', undefined, { Origin: proxy.url });
    assert.equal(l.status, 200, await l.clone().text());
    assert.match(l.headers.get('set-cookie'), /; Secure/);

    // The join limit counts per client address as nginx reports it
    // (X-Real-IP), and nginx overwrites any X-Real-IP a client sends: the
    // third join from this address is refused however it names itself.
    const joinAs = (url, ip) => fetch(`${url}/api/studies/${study.id}/participants`, {
      method: 'POST', body: JSON.stringify({ join: study.join }),
      headers: { 'Content-Type': 'application/json', 'X-Real-IP': ip },
    }).then((res) => res.status);
    const joins = [];
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) joins.push(await joinAs(proxy.url, ip));
    assert.deepEqual(joins, [201, 201, 429], 'over --joins-per-minute 2 for 127.0.0.1 on instance a');
    // The instance itself reads X-Real-IP from its loopback proxy: another
    // address has its own count.
    assert.equal(await joinAs(a.url, '10.0.0.9'), 201);
  } catch (e) {
    console.error(`nginx: ${failed()}\ninstance a: ${a.stderr}\ninstance b: ${b.stderr}`);
    throw e;
  } finally {
    await nginx.stop();
    await a.kill();
    await b.kill();
  }
});
