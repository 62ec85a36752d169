// Evaluation inference off the main thread (a module worker). It holds two
// engine instances on one WASM module: `inUse` runs the model in use, and
// `checker` verifies a newly picked file, so a rejected file never touches
// the model in use. Messages {id, type, ...} are answered with
// {id, ok, result | error}:
//   init  {base, variant}      -> {variant}
//   check {bytes}              -> model info, or the engine's error
//   use   {bytes}              -> model info (the model in use)
//   run   {inputs: [{samples, sampleRate, channels}] per branch} -> {probabilities}
import { loadEngine, Engine } from '../engine.js';

let inUse = null;
let checker = null;

const handlers = {
  async init({ base, variant }) {
    inUse = await loadEngine({ base: new URL(base), variant });
    checker = new Engine(inUse.module, inUse.variant);
    return { variant: inUse.variant };
  },
  check: ({ bytes }) => checker.load(bytes),
  use: ({ bytes }) => inUse.load(bytes),
  run({ inputs }) {
    inputs.forEach((a, b) => inUse.setInput(b, a.samples, a.sampleRate, a.channels));
    return { probabilities: Array.from(inUse.invoke().probabilities) };
  },
};

self.onmessage = async (e) => {
  const { id, type, ...msg } = e.data;
  try {
    self.postMessage({ id, ok: true, result: await handlers[type](msg) });
  } catch (err) {
    self.postMessage({ id, ok: false, error: err.message });
  }
};
