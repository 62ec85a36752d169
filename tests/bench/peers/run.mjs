// tinym2 against ONNX Runtime Web and TensorFlow.js in one headless
// Chromium (Debian's, via playwright-core): the shipped models in the
// project's WASM SIMD engine, and their float32 twins (same layers,
// dequantized weights; tm2_twin.mjs) in the peers, batch 1, one thread,
// WASM SIMD. Prints one table of p50 latencies (median over launches) and
// the ratios. A benchmark, not a test: see docs/bench.md.
//
//   npm run bench:peers                         (builds the engine first)
//   node tests/bench/peers/run.mjs [--launches 3] [--runs 300] [--warmup-ms 1000]
//                                  [--models kws-dscnn,covid-cough] [--json out.json]
//                                  [--variant relaxed|simd|scalar]  (default: the page's choice)
//                                  [--runtimes tinym2,ort,tfjs,tfjs-folded]  (default: all four)
import http from 'node:http';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { readTwin, macs } from './tm2_twin.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../../..');
const engineDir = path.resolve(root, process.env.TM2_WEB_ENGINE ?? 'build/wasm/web-engine');

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : def;
};
const launches = Number(opt('launches', 3));
const runs = Number(opt('runs', 300));
const warmupMs = Number(opt('warmup-ms', 1000));
// The engine build tinym2 runs: the page's own choice unless forced.
const variant = opt('variant', '');
const models = opt('models', 'kws-dscnn,covid-cough,sound-gate').split(',');
const RUNTIMES = opt('runtimes', 'tinym2,ort,tfjs,tfjs-folded').split(',');
const KNOWN = ['tinym2', 'ort', 'tfjs', 'tfjs-folded'];
if (!RUNTIMES.includes('tinym2') || RUNTIMES.some((k) => !KNOWN.includes(k))) {
  console.error(`--runtimes: a comma-separated list of ${KNOWN.join(', ')}, with tinym2 in it`);
  process.exit(2);
}

// Static files with cross-origin isolation (ORT's wasm needs shared memory).
const ROUTES = [
  ['/engine/', engineDir],
  ['/web/', path.join(root, 'web')],
  ['/models/', path.join(root, 'models')],
  ['/node_modules/onnxruntime-web/dist/', path.join(root, 'node_modules/onnxruntime-web/dist')],
  ['/node_modules/@tensorflow/', path.join(root, 'node_modules/@tensorflow')],
  ['/bench/', here],
];
const TYPES = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.tm2': 'application/octet-stream' };

function serve() {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x').pathname;
    const route = ROUTES.find(([prefix]) => url.startsWith(prefix));
    const file = route && path.resolve(route[1], url.slice(route[0].length));
    if (!file || !file.startsWith(route[1] + path.sep) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, {
      'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (const f of ['tinym2-relaxed.js', 'tinym2-relaxed.wasm', 'tinym2-simd.js', 'tinym2-simd.wasm']) {
  if (!fs.existsSync(path.join(engineDir, f))) {
    console.error(`${path.join(engineDir, f)} is missing: run npm run build:web first`);
    process.exit(1);
  }
}
if (!fs.existsSync(path.join(root, 'node_modules/onnxruntime-web'))) {
  console.error('the peers are not installed: run npm ci');
  process.exit(1);
}

const server = await serve();
const base = `http://127.0.0.1:${server.address().port}/bench/page.html`;
const load0 = os.loadavg()[0];
const results = {}; // model -> runtime -> [result per launch]
let chromiumVersion;
try {
  for (let l = 0; l < launches; l++) {
    const browser = await chromium.launch({
      executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    chromiumVersion = browser.version();
    try {
      for (const model of models) {
        // Rotate the order per launch so that no runtime always runs first.
        const order = RUNTIMES.map((_, i) => RUNTIMES[(i + l) % RUNTIMES.length]);
        for (const runtime of order) {
          const page = await browser.newPage();
          await page.goto(`${base}?model=${model}&runtime=${runtime}&runs=${runs}&warmupMs=${warmupMs}&variant=${variant}`, { timeout: 120000 });
          await page.waitForFunction(() => window.benchResult, null, { timeout: 120000, polling: 500 });
          const r = await page.evaluate(() => window.benchResult);
          await page.close();
          if (r.error) throw new Error(`${model} in ${runtime}: ${r.error}`);
          ((results[model] ??= {})[runtime] ??= []).push(r);
          process.stderr.write(`launch ${l + 1}/${launches} ${model} ${runtime}: p50 ${r.p50.toFixed(3)} ms\n`);
        }
      }
    } finally {
      await browser.close();
    }
  }
} finally {
  server.close();
}

const pkg = (name) => JSON.parse(fs.readFileSync(path.join(root, 'node_modules', name, 'package.json'))).version;
console.log(`# tinym2 against its peers, ${new Date().toISOString().slice(0, 16)}Z`);
console.log(`${os.cpus()[0].model}, ${os.cpus().length} cores, load average ${load0.toFixed(2)} -> ` +
  `${os.loadavg()[0].toFixed(2)}; Chromium ${chromiumVersion ?? '(version unknown)'}, ` +
  `onnxruntime-web ${pkg('onnxruntime-web')}, tfjs-backend-wasm ${pkg('@tensorflow/tfjs-backend-wasm')}; ` +
  `batch 1, 1 thread, WASM SIMD; p50 ms per inference over ${runs} runs, median of ${launches} launches; ` +
  `tinym2 kernels ${[...new Set(Object.values(results).flatMap((r) => r.tinym2.map((x) => x.kernels)))].join(', ')}.`);
console.log('');
console.log('| model | MACs | tinym2 run() | tinym2 invoke() | tinym2 Engine::Invoke | ORT-web | tfjs-wasm | tfjs-wasm, BN folded | ORT / tinym2 | tfjs / tinym2 | tfjs folded / tinym2 | max abs diff of probabilities vs tinym2 (ORT, tfjs) |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
const json = [];
for (const model of models) {
  const r = results[model];
  const p50 = Object.fromEntries(RUNTIMES.map((k) => [k, median(r[k].map((x) => x.p50))]));
  // A runtime left out (--runtimes) prints as a dash.
  const core = median(r.tinym2.map((x) => x.coreP50));
  const invoke = median(r.tinym2.map((x) => x.invokeP50));
  const n = macs(readTwin(fs.readFileSync(path.join(root, 'models', `${model}.tm2`))));
  const ms = (v) => (v === undefined ? '–' : v.toFixed(3));
  const ratio = (k) => (p50[k] === undefined || !r.tinym2 ? '–' : `${(p50[k] / p50.tinym2).toFixed(2)}×`);
  const diff = (k) => (r[k] ? Math.max(...r[k].map((x) => x.maxDiff)).toFixed(4) : '–');
  console.log(`| ${model} | ${(n / 1e6).toFixed(2)} M | ${ms(p50.tinym2)} | ${ms(invoke)} | ${ms(core)} | ${ms(p50.ort)} | ` +
    `${ms(p50.tfjs)} | ${ms(p50['tfjs-folded'])} | ${ratio('ort')} | ${ratio('tfjs')} | ${ratio('tfjs-folded')} | ` +
    `${diff('ort')}, ${diff('tfjs')} |`);
  json.push({ model, macs: n, p50, invokeP50: invoke, coreP50: core, launches: r });
}
if (opt('json')) fs.writeFileSync(opt('json'), JSON.stringify(json, null, 1));
