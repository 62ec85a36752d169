// Upload throughput of tinym2-study on loopback: P participants upload T
// 5-s takes each (the Coswara cough clip at 16 kHz, 160 KB, made unique per
// take), all participants at once, in 256 KB PATCHes as the page sends
// them. Prints takes/s, MB/s, per-take latency (p50, p99) and checks that
// every take arrived byte-identical, and the server's peak memory. On PostgreSQL:
//   tests/study-server/with-postgres.sh node tests/study-server/bench.mjs P T
//   node tests/study-server/bench.mjs [participants=20] [takes=2]
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStudyServer, join, create, patch, me, fixtures } from './server.mjs';

const P = Number(process.argv[2] ?? 20);
const T = Math.min(2, Number(process.argv[3] ?? 2));  // the default protocol's cough task has 2 takes
const CLIP = readFileSync(path.join(fixtures, 'coswara_cough_16k.wav'));
const CHUNK = 256 * 1024;

const server = await startStudyServer({ args: ['--joins-per-minute', '100000', '--uploads-per-minute', '100000'] });
try {
  const people = [];
  const sent = new Map();  // participant -> take -> bytes
  for (let i = 0; i < P; i++) people.push(await join(server));
  const latencies = [];
  const t0 = performance.now();
  await Promise.all(people.map(async (p, i) => {
    for (let take = 1; take <= T; take++) {
      const bytes = Buffer.from(CLIP);
      bytes.writeUInt32LE(i * 16 + take, bytes.length - 4);  // unique content per take
      if (!sent.has(p.participant)) sent.set(p.participant, new Map());
      sent.get(p.participant).set(take, bytes);
      const s = performance.now();
      const c = await create(server, p, { task: 'cough', take, bytes });
      if (c.status !== 201) throw new Error(`create: HTTP ${c.status}`);
      const loc = c.headers.get('location');
      for (let off = 0; off < bytes.length; off += CHUNK) {
        const r = await patch(server, p, loc, off, bytes.subarray(off, off + CHUNK));
        if (r.status !== 204) throw new Error(`patch: HTTP ${r.status} ${await r.text()}`);
      }
      latencies.push(performance.now() - s);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  // Arrived: completed on the server, and the file on disk byte-identical
  // to what was sent.
  let arrived = 0;
  for (const p of people) {
    for (const t of (await (await me(server, p)).json()).takes) {
      if (t.status !== 'complete') continue;
      const file = readFileSync(path.join(server.data, 'audio', server.study.id, p.participant, `${t.upload}.wav`));
      if (file.equals(sent.get(p.participant).get(t.take))) arrived++;
    }
  }
  latencies.sort((a, b) => a - b);
  const q = (f) => latencies[Math.min(latencies.length - 1, Math.floor(f * latencies.length))].toFixed(0);
  // The server's peak resident memory (Linux).
  const peak = readFileSync(`/proc/${server.proc.pid}/status`, 'utf8').match(/VmHWM:\s+(\d+) kB/)?.[1];
  console.log(`${P} participants x ${T} takes of ${CLIP.length} bytes on ${server.postgres ? 'PostgreSQL' : 'SQLite'}: ` +
    `${(P * T / seconds).toFixed(1)} takes/s, ` +
    `${(P * T * CLIP.length / seconds / 1e6).toFixed(2)} MB/s; latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms; ` +
    `${arrived} of ${P * T} arrived; server peak RSS ${peak ? (peak / 1024).toFixed(0) : '?'} MB`);
  if (arrived !== P * T) process.exitCode = 1;
} finally {
  await server.stop();
}
