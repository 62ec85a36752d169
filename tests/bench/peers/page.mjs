// One measurement in the page: ?model=kws-dscnn&runtime=tinym2|ort|tfjs|tfjs-folded
// &runs=300&warmupMs=1000[&variant=relaxed|simd|scalar] (default: the build
// the page would load, web/engine.js bestVariant). The tinym2 engine always loads: it makes the
// input (its int8 features of seeded noise, dequantized for the float
// twins) and the reference probabilities the twins are compared with.
// Publishes window.benchResult = {p50, p90, mean, runs, maxDiff, ...} or {error}.
import { loadEngine } from '/web/engine.js';
import { readTwin } from './tm2_twin.mjs';
import { twinToOnnx } from './onnx_twin.mjs';
import { tfjsTwin } from './tfjs_twin.mjs';

const q = new URLSearchParams(location.search);
const cfg = {
  model: q.get('model'),
  runtime: q.get('runtime') ?? 'tinym2',
  runs: Number(q.get('runs') ?? 300),
  warmupMs: Number(q.get('warmupMs') ?? 1000),
  variant: q.get('variant') || undefined,
};

const loadScript = (src) => new Promise((resolve, reject) => {
  const s = document.createElement('script');
  s.src = src;
  s.onload = resolve;
  s.onerror = () => reject(new Error(`cannot load ${src}`));
  document.head.appendChild(s);
});

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))];
}

// Warm-up of at least 50 runs and `warmupMs` (V8 tiering settles late on a
// loaded 2-core machine), then `runs` timed runs.
async function time(once) {
  const w0 = performance.now();
  for (let n = 0; n < 50 || performance.now() - w0 < cfg.warmupMs; n++) {
    const p = once();
    if (p) await p;
  }
  const t = new Float64Array(cfg.runs);
  for (let i = 0; i < cfg.runs; i++) {
    const t0 = performance.now();
    const p = once(); // only ORT is asynchronous; the others are timed without an await
    if (p) await p;
    t[i] = performance.now() - t0;
  }
  t.sort();
  return { p50: percentile(t, 0.5), p90: percentile(t, 0.9), min: t[0],
    mean: t.reduce((a, b) => a + b, 0) / t.length };
}

const maxDiff = (a, b) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

async function main() {
  const bytes = new Uint8Array(await (await fetch(`/models/${cfg.model}.tm2`)).arrayBuffer());
  const engine = await loadEngine({ base: new URL('/engine/', location.href), variant: cfg.variant });
  const info = engine.load(bytes);
  const twin = readTwin(bytes);
  // Seeded noise, 1 s (or the branch's shortest useful length) at 16 kHz.
  let seed = 1;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const inputs = info.branches.map((b, i) => {
    const pcm = new Float32Array(Math.round(Math.max(1, b.minSeconds) * 16000)).map(() => 0.2 * (2 * rnd() - 1));
    engine.setInput(i, pcm, 16000, 1);
    const { zeroPoint, scale, h, w } = twin.branches[i].input;
    return { h, w, data: Float32Array.from(engine.features(i).quantized, (v) => (v - zeroPoint) * scale) };
  });
  const reference = engine.invoke().probabilities;
  const result = { ...cfg, kernels: `${info.kernels}${engine.dotEmulated ? ' (i32x4 dot emulated: int16 dot for int4 layers)' : ''}` };

  if (cfg.runtime === 'tinym2') {
    // run(), the hot path (results refilled in place), with the engine's
    // own time for Engine::Invoke inside the same calls; then invoke(),
    // which also returns new arrays and the timings.
    const hot = typeof engine.run === 'function';
    const inner = [];
    Object.assign(result, await time(hot
      ? () => { engine.run(); inner.push(engine.native.inferenceMs()); }
      : () => { inner.push(engine.invoke().inferenceMs); }));
    result.coreP50 = percentile(inner.slice(-cfg.runs).sort((a, b) => a - b), 0.5);
    result.invokeP50 = hot ? (await time(() => { engine.invoke(); })).p50 : result.p50;
    result.maxDiff = maxDiff(engine.invoke().probabilities, reference);
  } else if (cfg.runtime === 'ort') {
    const ort = await import('/node_modules/onnxruntime-web/dist/ort.wasm.min.mjs');
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.simd = true;
    ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
    const session = await ort.InferenceSession.create(twinToOnnx(twin),
      { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const feeds = Object.fromEntries(inputs.map((x, i) => [`input${i}`, new ort.Tensor('float32', x.data, [1, 1, x.h, x.w])]));
    let out;
    Object.assign(result, await time(async () => { out = (await session.run(feeds)).probabilities.data; }));
    result.maxDiff = maxDiff(out, reference);
  } else if (cfg.runtime === 'tfjs' || cfg.runtime === 'tfjs-folded') {
    await loadScript('/node_modules/@tensorflow/tfjs-core/dist/tf-core.min.js');
    await loadScript('/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js');
    const tf = window.tf;
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    tf.wasm.setWasmPaths('/node_modules/@tensorflow/tfjs-backend-wasm/dist/');
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend did not start');
    result.simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    const net = tfjsTwin(tf, twin, { folded: cfg.runtime === 'tfjs-folded' });
    const xs = inputs.map((x) => tf.tensor4d(x.data, [1, x.h, x.w, 1]));
    let out;
    Object.assign(result, await time(() => {
      const y = net.run(xs);
      out = y.dataSync();
      y.dispose();
    }));
    result.maxDiff = maxDiff(out, reference);
  } else {
    throw new Error(`unknown runtime ${cfg.runtime}`);
  }
  return result;
}

main().then((r) => { window.benchResult = r; }, (e) => { window.benchResult = { error: String(e?.stack ?? e) }; });
