// model_bench (per layer: reference vs the selected kernels, bytes
// compared) inside headless Chromium, for the engine builds' own V8: node
// 20's V8 compiles i32x4.relaxed_dot_i8x16_i7x16_add_s into five x86
// instructions where Chromium 156 emits one vpdpbusd (AVX-VNNI), so the
// relaxed build's profile is only meaningful here (docs/bench.md).
//
//   node tests/bench/model_bench_chromium.mjs [--build build/wasm] [model_bench args...]
//     --build build/wasm               the SIMD128 build (default)
//     --build build/wasm/web-relaxed   the relaxed-SIMD build
//   model_bench args default to the three embedded shipped models:
//     /kws-dscnn.tm2 /covid-cough.tm2 /sound-gate.tm2
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
let build = 'build/wasm';
const b = args.indexOf('--build');
if (b >= 0) [, build] = args.splice(b, 2);
const dir = path.resolve(root, build, 'tests/bench');
const benchArgs = args.length ? args : ['/kws-dscnn.tm2', '/covid-cough.tm2', '/sound-gate.tm2'];
if (!fs.existsSync(path.join(dir, 'model_bench_web.js'))) {
  console.error(`${dir}/model_bench_web.js is missing: build the model_bench_web target`);
  process.exit(1);
}

const server = http.createServer((req, res) => {
  const u = new URL(req.url, 'http://x').pathname;
  if (u === '/') {
    res.setHeader('Content-Type', 'text/html');
    res.end('<!doctype html><title>model_bench</title>');
    return;
  }
  const f = path.join(dir, path.basename(u));
  if (!/^\/model_bench_web\.(js|wasm)$/.test(u) || !fs.existsSync(f)) {
    res.statusCode = 404;
    res.end();
    return;
  }
  res.setHeader('Content-Type', f.endsWith('.wasm') ? 'application/wasm' : 'text/javascript');
  fs.createReadStream(f).pipe(res);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu'],
});
let status = 0;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  console.log(`# Chromium ${browser.version()}, ${build}`);
  status = await page.evaluate(async (argv) => {
    await new Promise((resolve) => {
      window.Module = { noInitialRun: true, onRuntimeInitialized: resolve };
      const s = document.createElement('script');
      s.src = '/model_bench_web.js';
      document.head.appendChild(s);
    });
    try {
      return window.Module.callMain(argv);
    } catch (e) {
      return e && typeof e.status === 'number' ? e.status : (console.log(String(e)), 1);
    }
  }, benchArgs);
} finally {
  await browser.close();
  server.close();
}
process.exit(status ?? 0);
