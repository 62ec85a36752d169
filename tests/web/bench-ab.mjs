// Page path of two engine builds back to back (a benchmark, not a test):
// the bench.mjs workload (three 5-s recordings through the three-branch
// test model, SIMD) with both engines loaded in one page and their runs
// interleaved, so both see the same load; prints the median and the
// fastest of 70 runs and whether logits and features agree. The fastest
// run is the figure to compare on a loaded machine.
//
//   node tests/web/bench-ab.mjs OLD_ENGINE_DIR NEW_ENGINE_DIR
import { cpSync, mkdtempSync, readFileSync, readdirSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const server = await startServer();
const browser = await launch();
const names = ['old', 'new'];
try {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(server.url + '?sw=off');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  const clips = ['coswara_cough_16k.wav', 'coswara_counting_16k.wav', 'coswara_breathing_16k.wav']
    .map((f) => [...readFileSync(path.join(fixtures, 'audio', f))]);
  for (const rate of [16000, 48000]) {
    const r = await page.evaluate(async ({ clips, rate, names }) => {
      const { loadEngine } = await import('/engine.js');
      const { parseWav } = await import('/wav.js');
      const model = new Uint8Array(await (await fetch('/tests/fixtures/models/parity_multibranch.tm2')).arrayBuffer());
      const pcm = [];
      for (const c of clips) {
        const wav = parseWav(new Uint8Array(c).buffer);
        const src = new Float32Array(5 * wav.sampleRate);
        for (let i = 0; i < src.length; i++) src[i] = wav.samples[i % wav.samples.length] / 32768;
        if (rate === wav.sampleRate) { pcm.push(src); continue; }
        const ctx = new OfflineAudioContext(1, 5 * rate, rate);
        const buf = ctx.createBuffer(1, src.length, wav.sampleRate);
        buf.copyToChannel(src, 0);
        const node = ctx.createBufferSource();
        node.buffer = buf; node.connect(ctx.destination); node.start();
        pcm.push((await ctx.startRendering()).getChannelData(0).slice());
      }
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
  await context.close();
} finally {
  await browser.close();
  await server.close();
}
