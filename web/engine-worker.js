// The screening page's models run here, off the page's main thread, so a
// long preprocessing or inference never freezes the page (buttons, the
// level meter, screen readers). Loaded as a module worker by
// engine-client.js; every request is {id, op, ...} and every answer
// {id, ok, value | error}.
//
//   init   {base, variant, screening, gate}  URLs -> {variant, screening, gate}
//          (the model infos; gate null when the manifest has none)
//   gate   {audio}                     -> the gate model's probabilities
//   screen {inputs: [audio per branch]} -> {probabilities, logits, features,
//          preprocessMs, inferenceMs, kernels}
//   silence {inputs, branch}           -> probabilities with that branch silent
//
// `audio` is {samples, sampleRate, channels}; samples are copied in, never
// transferred, so the page keeps its recordings.
import { loadEngine, hasWasm, hasWasmSimd } from './engine.js';

let screening = null;
let gate = null;

// A file that did not arrive is an error with the file's name and the
// server's answer, never a silently missing model.
async function fetchOk(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch {
    throw new Error(`The ${what} could not be downloaded (no connection). Connect to the internet and reload the page.`);
  }
  if (!res.ok) {
    throw new Error(`The ${what} is missing on the server (${new URL(url).pathname}: HTTP ${res.status}). Reload the page later; if it stays, the site is incomplete.`);
  }
  return new Uint8Array(await res.arrayBuffer());
}

// The engine's .js and .wasm come from the same folder and the same
// variant, and the .wasm is fetched here (ok checked) rather than by the
// Emscripten loader, which would report a missing file as a compile error.
async function engineWithModel(base, variant, modelUrl, what) {
  const [wasmBinary, modelBytes] = await Promise.all([
    fetchOk(new URL(`tinym2-${variant}.wasm`, base).href, 'screening engine'),
    fetchOk(modelUrl, what),
  ]);
  const engine = await loadEngine({ base, variant, wasmBinary });
  engine.load(modelBytes);
  return engine;
}

const ops = {
  async init({ base, variant, screening: sUrl, gate: gUrl }) {
    const baseUrl = new URL(base);
    if (!hasWasm()) throw new Error('This browser cannot run WebAssembly, which the screening needs.');
    const chosen = variant ?? (hasWasmSimd() ? 'simd' : 'scalar');
    screening = await engineWithModel(baseUrl, chosen, sUrl, 'screening model');
    gate = gUrl ? await engineWithModel(baseUrl, chosen, gUrl, 'sound-check model') : null;
    return { variant: chosen, screening: screening.model, gate: gate ? gate.model : null };
  },

  gate({ audio }) {
    for (let b = 0; b < gate.model.branches.length; b++) {
      gate.setInput(b, audio.samples, audio.sampleRate, audio.channels);
    }
    return Array.from(gate.invoke().probabilities);
  },

  screen({ inputs }) {
    inputs.forEach((a, b) => screening.setInput(b, a.samples, a.sampleRate, a.channels));
    const r = screening.invoke();
    return {
      probabilities: Array.from(r.probabilities),
      logits: Array.from(r.logits),
      features: screening.model.branches.map((_, b) => screening.features(b)),
      preprocessMs: r.preprocessMs,
      inferenceMs: r.inferenceMs,
      kernels: screening.model.kernels,
    };
  },

  silence({ inputs, branch }) {
    inputs.forEach((a, b) => {
      if (b === branch) {
        const info = screening.model.branches[b];
        screening.setInput(b, new Float32Array(Math.ceil(info.maxSeconds * info.sampleRate)), info.sampleRate, 1);
      } else {
        screening.setInput(b, a.samples, a.sampleRate, a.channels);
      }
    });
    return Array.from(screening.invoke().probabilities);
  },
};

self.onmessage = async (e) => {
  const { id, op, ...args } = e.data;
  try {
    const value = await ops[op](args);
    self.postMessage({ id, ok: true, value });
  } catch (err) {
    self.postMessage({ id, ok: false, error: err?.message ?? String(err) });
  }
};
