// The page-path benchmark's page and input, shared by bench.mjs and
// bench-ab.mjs: the page without its service worker, and three fixture
// clips (cough, counting, breathing) made in the page into three 5-second
// recordings at the rate being measured.
//
//   const page = await openBenchPage(browser, server.url);
//   const clips = readBenchClips();
//   await page.evaluate(async ({ clips, rate }) => {
//     const pcm = await window.benchPcm(clips, rate);  // three Float32Arrays
//   }, { clips, rate });
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures');

// The clips' WAV bytes as plain arrays (page.evaluate passes JSON).
export function readBenchClips() {
  return ['coswara_cough_16k.wav', 'coswara_counting_16k.wav', 'coswara_breathing_16k.wav']
    .map((f) => [...readFileSync(path.join(fixtures, 'audio', f))]);
}

// Runs in the page: each clip looped to 5 s, then resampled by the
// browser (OfflineAudioContext) when `rate` is not the clip's own.
async function benchPcm(clips, rate) {
  const { parseWav } = await import('/wav.js');
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
    node.buffer = buf;
    node.connect(ctx.destination);
    node.start();
    pcm.push((await ctx.startRendering()).getChannelData(0).slice());
  }
  return pcm;
}

// Opens the page (service workers blocked, so every run loads what the
// server has now), waits until it is ready and defines window.benchPcm in
// it (a string expression: evaluated by the debugger protocol, so the
// page's CSP does not apply).
export async function openBenchPage(browser, url) {
  const context = await browser.newContext({ serviceWorkers: 'block' });
  const page = await context.newPage();
  await page.goto(url + '?sw=off');
  await page.waitForFunction(() => document.body.dataset.ready === 'true');
  await page.evaluate(`void (window.benchPcm = ${benchPcm.toString()})`);
  return page;
}
