// Page path of two engine builds back to back (a benchmark, not a test):
// the bench.mjs workload (three 5-s recordings through the three-branch
// test model, SIMD) with both engines loaded in one page and their runs
// interleaved, so both see the same load; prints the median and the
// fastest of 70 runs and whether logits and features agree. The fastest
// run is the figure to compare on a loaded machine.
//
//   node tests/web/bench-ab.mjs OLD_ENGINE_DIR NEW_ENGINE_DIR
import { cpSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openBenchPage, readBenchClips } from './bench-page.mjs';

const [oldDir, newDir] = process.argv.slice(2).map((d) => path.resolve(d));
if (!oldDir || !newDir) {
  console.error('usage: node tests/web/bench-ab.mjs OLD_ENGINE_DIR NEW_ENGINE_DIR');
  process.exit(2);
}
// One folder served as /engine/: the page's own engine (the new one) at
// its root, the two builds under /engine/old/ and /engine/new/.
const serve = mkdtempSync(path.join(os.tmpdir(), 'tm2-bench-ab-'));
for (const f of readdirSync(newDir)) cpSync(path.join(newDir, f), path.join(serve, f));
symlinkSync(oldDir, path.join(serve, 'old'));
symlinkSync(newDir, path.join(serve, 'new'));
process.env.TM2_WEB_ENGINE = serve;
const { startServer, launch } = await import('./browser.mjs');
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const server = await startServer();
const browser = await launch();
const names = ['old', 'new'];
try {
  const page = await openBenchPage(browser, server.url);
  const clips = readBenchClips();
  for (const rate of [16000, 48000]) {
    const r = await page.evaluate(async ({ clips, rate, names }) => {
      const { loadEngine } = await import('/engine.js');
      const model = new Uint8Array(await (await fetch('/tests/fixtures/models/parity_multibranch.tm2')).arrayBuffer());
      const pcm = await window.benchPcm(clips, rate);
      const engines = [];
      for (const n of names) engines.push(await loadEngine({ base: new URL(`/engine/${n}/`, location.href), variant: 'simd' }));
      const out = names.map(() => []);
      const probs = names.map(() => null);
      for (let i = 0; i < 80; i++) {
        engines.forEach((engine, e) => {
          const t0 = performance.now();
          engine.load(model);
          const t1 = performance.now();
          pcm.forEach((p, b) => engine.setInput(b, p, rate, 1));
          const t2 = performance.now();
          const res = engine.invoke();
          const t3 = performance.now();
          if (i >= 10) out[e].push([t1 - t0, t2 - t1, t3 - t2, t3 - t0]);
          probs[e] = Array.from(res.logits ?? []).join(',') + '|' + [0,1,2].map((b) => { const f = engine.features(b); return Array.from(f.values ?? f).reduce((h, v) => (h * 31 + (v|0)) | 0, 7); }).join(',');
        });
      }
      return { out, probs };
    }, { clips, rate, names });
    names.forEach((n, e) => {
      const col = (k) => median(r.out[e].map((x) => x[k])).toFixed(2);
      const mn = (k) => Math.min(...r.out[e].map((x) => x[k])).toFixed(2);
      console.log(`${n} ${rate} Hz median of 70: load ${col(0)} + pre ${col(1)} + inf ${col(2)} = ${col(3)} ms (min total ${mn(3)}, min pre ${mn(1)})`);
    });
    console.log('outputs equal:', r.probs.every((p) => p === r.probs[0]), r.probs[0].slice(0, 80));
  }
  await page.context().close();
} finally {
  await browser.close();
  await server.close();
}
