// The screening page's models run here, off the page's main thread, so a
// long preprocessing or inference never freezes the page (buttons, the
// level meter, screen readers). Loaded as a module worker by
// engine-client.js; every request is {id, op, ...} and every answer
// {id, ok, value | error}.
//
//   init   {base, variant, screening, gate, pack}  URLs -> {variant, screening, gate}
//          (the model infos; gate null when the manifest has none). With
//          `pack` ({url, screening, gate}: a model pack and the names of the
//          two models in it) one file is downloaded and one engine holds
//          both models, switching between them in place (PackRunner).
//   gate   {audio}                     -> the gate model's probabilities
//   screen {inputs: [audio per branch], alignments, span} -> {probabilities,
//          logits, alignments, features, preprocessMs, inferenceMs, kernels}
//   silence {inputs, branch}           -> probabilities with that branch silent
//
// `audio` is {samples, sampleRate, channels}; samples are copied in, never
// transferred, so the page keeps its recordings.
import { loadEngine, hasWasm, bestVariant } from './engine.js';

// {engine, name}: the engine holding the model and, for a pack, its name
// (selected before each use; a resident switch costs nothing).
let screeningHandle = null;
let gateHandle = null;

function use(handle) {
  if (handle.name) handle.engine.select(handle.name);
  return handle.engine;
}

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

// One engine with the pack's two models; a name the pack lacks is an error
// naming what it has.
async function engineWithPack(base, variant, pack) {
  const engine = await engineWithModel(base, variant, pack.url, 'models\' file');
  for (const name of [pack.screening, pack.gate].filter(Boolean)) {
    if (!engine.names.includes(name)) {
      throw new Error(`The models' file has no model '${name}' (it has ${engine.names.join(', ')}). Reload the page later; if it stays, the site is incomplete.`);
    }
  }
  return engine;
}

// `lead` zero samples (interleaved) in front of the recording, at most
// maxSeconds in all.
function delayed({ samples, sampleRate, channels }, lead, maxSeconds) {
  const limit = Math.floor(maxSeconds * sampleRate) * channels;
  const out = new samples.constructor(Math.min(samples.length + lead, Math.max(limit, samples.length)));
  out.set(samples.subarray(0, out.length - lead), lead);
  return out;
}

const ops = {
  async init({ base, variant, screening: sUrl, gate: gUrl, pack }) {
    const baseUrl = new URL(base);
    if (!hasWasm()) throw new Error('This browser cannot run WebAssembly, which the screening needs.');
    const chosen = variant ?? bestVariant();
    if (pack) {
      const engine = await engineWithPack(baseUrl, chosen, pack);
      screeningHandle = { engine, name: pack.screening };
      gateHandle = pack.gate ? { engine, name: pack.gate } : null;
    } else {
      screeningHandle = { engine: await engineWithModel(baseUrl, chosen, sUrl, 'screening model') };
      gateHandle = gUrl ? { engine: await engineWithModel(baseUrl, chosen, gUrl, 'sound-check model') } : null;
    }
    const gate = gateHandle ? use(gateHandle).model : null;
    return { variant: chosen, screening: use(screeningHandle).model, gate, pack: pack ? screeningHandle.engine.names : null };
  },

  gate({ audio }) {
    const gate = use(gateHandle);
    for (let b = 0; b < gate.model.branches.length; b++) {
      gate.setInput(b, audio.samples, audio.sampleRate, audio.channels);
    }
    return Array.from(gate.invoke().probabilities);
  },

  // alignments > 1: the model's output averaged over that many delays of
  // the recordings (0 .. `span` seconds of silence in front, evenly
  // spaced). The shipped cough model's score for one short cough moves
  // between 27 % and 69 % when it starts a few milliseconds later (its
  // frames, its loudest-window crop and its pooling fall elsewhere); over
  // 32 delays spread across 64 ms the average stays within 1.5 points for
  // any start (docs/web.md). Delaying keeps every sample, where skipping
  // would cut a cough's onset; the tail gives way only past max_seconds.
  screen({ inputs, alignments = 1, span = 0 }) {
    const screening = use(screeningHandle);
    const runs = [];
    let features = null;
    let preprocessMs = 0;
    let inferenceMs = 0;
    for (let k = 0; k < alignments; k++) {
      inputs.forEach((a, b) => {
        const lead = Math.round((k * span * a.sampleRate) / alignments) * a.channels;
        screening.setInput(b, lead ? delayed(a, lead, screening.model.branches[b].maxSeconds) : a.samples, a.sampleRate, a.channels);
      });
      const r = screening.invoke();
      if (k === 0) features = screening.model.branches.map((_, b) => screening.features(b));
      runs.push({ probabilities: Array.from(r.probabilities), logits: Array.from(r.logits) });
      preprocessMs += r.preprocessMs;
      inferenceMs += r.inferenceMs;
    }
    const probabilities = alignments === 1 ? runs[0].probabilities
      : runs[0].probabilities.map((_, c) => runs.reduce((sum, r) => sum + r.probabilities[c], 0) / alignments);
    return {
      probabilities,
      logits: runs[0].logits,
      alignments: runs.map((r) => r.probabilities),
      features,
      preprocessMs,
      inferenceMs,
      kernels: screening.model.kernels,
    };
  },

  silence({ inputs, branch }) {
    const screening = use(screeningHandle);
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
