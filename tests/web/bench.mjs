// Figures for docs/web.md (a benchmark, not a timed test): engine size,
// model load + preprocessing + inference for three 5-second recordings
// (cough, counting, breathing) in headless Chromium, and time to
// interactive of the page from localhost.
//
//   npm run bench        (builds the engine first)
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { startServer, launch } from './browser.mjs';
import { engineDir } from './paths.mjs';
import { openBenchPage, readBenchClips } from './bench-page.mjs';

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

for (const variant of ['relaxed', 'simd', 'scalar']) {
  const sizes = ['js', 'wasm'].map((ext) => {
    const bytes = readFileSync(path.join(engineDir, `tinym2-${variant}.${ext}`));
    return { raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
  });
  console.log(`engine ${variant}: js ${kb(sizes[0].gz)} + wasm ${kb(sizes[1].gz)} = ` +
    `${kb(sizes[0].gz + sizes[1].gz)} gzipped (${kb(sizes[0].raw + sizes[1].raw)} raw)`);
}

const server = await startServer();
const browser = await launch();
try {
  // Time to interactive: navigation start -> engine and model loaded and the
  // consent form enabled, in fresh contexts (cold cache, no service worker).
  const tti = [];
  for (let i = 0; i < 5; i++) {
    const context = await browser.newContext({ serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true');
    tti.push(await page.evaluate(() => window.tm2.timings.interactiveMs));
    await context.close();
  }
  console.log(`time to interactive (localhost, cold, median of 5): ${median(tti).toFixed(0)} ms ` +
    `[${tti.map((t) => t.toFixed(0)).join(', ')}]`);

  const page = await openBenchPage(browser, server.url);
  const clips = readBenchClips();
  for (const variant of ['relaxed', 'simd', 'scalar']) {
    for (const rate of [16000, 48000]) {
      const r = await page.evaluate(async ({ clips, rate, variant }) => {
        const { loadEngine } = await import('/engine.js');
        const model = new Uint8Array(await (await fetch('/tests/fixtures/models/parity_multibranch.tm2')).arrayBuffer());
        const pcm = await window.benchPcm(clips, rate);
        const engine = await loadEngine({ base: new URL('/engine/', location.href), variant });
        const runs = [];
        for (let i = 0; i < 60; i++) {
          const t0 = performance.now();
          engine.load(model);
          const t1 = performance.now();
          pcm.forEach((p, b) => engine.setInput(b, p, rate, 1));
          const t2 = performance.now();
          engine.invoke();
          const t3 = performance.now();
          runs.push([t1 - t0, t2 - t1, t3 - t2, t3 - t0]);
        }
        return { runs: runs.slice(10), kernels: engine.model.kernels };
      }, { clips, rate, variant });
      const col = (k) => median(r.runs.map((x) => x[k])).toFixed(2);
      console.log(`${variant} (${r.kernels}), 3 x 5 s at ${rate} Hz, median of 50: load ${col(0)} ms + ` +
        `preprocess ${col(1)} ms + inference ${col(2)} ms = ${col(3)} ms`);
    }
  }
  await page.context().close();
} finally {
  await browser.close();
  await server.close();
}
