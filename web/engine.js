// The page's handle on the tinym2 engine (wasm/tm2_web.cc): picks the
// relaxed-SIMD build when the browser validates a relaxed int8 dot product
// and runs it natively (not as saturating pairs), else the WASM SIMD build
// when it validates a SIMD instruction, else the scalar build
// (bestVariant), and turns the engine's {ok, error} results into thrown
// Errors. All three give the same bytes.
// Runs in browsers and, for the tests, in node (pass `wasmBinary`).
//
//   const engine = await loadEngine({ base: new URL('engine/', location.href) });
//   const model = engine.load(bytes);          // {labels, branches, ...} of the first model
//   engine.names;                               // a pack's models (one for a plain .tm2)
//   engine.select('covid-cough');               // a pack's other model: no re-planning
//   engine.setInput(0, pcm, 44100, 1);
//   const result = engine.invoke();             // probabilities, timings (new arrays)
//   const probs = engine.run();                 // hot path: engine.probabilities and
//                                               // engine.logits refilled in place

// A module whose only function returns i8x16.splat(i32.const 0): valid only
// where WASM SIMD128 is supported.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type: () -> v128
  0x03, 0x02, 0x01, 0x00,                         // function 0 has type 0
  0x0a, 0x08, 0x01, 0x06, 0x00,                   // code: one body, no locals
  0x41, 0x00, 0xfd, 0x0f, 0x0b,                   // i32.const 0; i8x16.splat; end
]);

// A module whose only function returns
// i32x4.relaxed_dot_i8x16_i7x16_add_s of three i8x16.splat(i32.const 0):
// valid only where relaxed SIMD is supported.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type: () -> v128
  0x03, 0x02, 0x01, 0x00,                         // function 0 has type 0
  0x0a, 0x13, 0x01, 0x11, 0x00,                   // code: one body, no locals
  0x41, 0x00, 0xfd, 0x0f, 0x41, 0x00, 0xfd, 0x0f, // three i8x16.splat(0)
  0x41, 0x00, 0xfd, 0x0f,
  0xfd, 0x93, 0x02, 0x0b,                         // relaxed dot (0x113); end
]);

// A module exporting dot(a, b): lane 0 of
// i32x4.relaxed_dot_i8x16_i7x16_add_s(i8x16.splat(a), i8x16.splat(b), 0).
// With a = -128 and b = 255 (outside the 7 bits the kernels ever pass, so
// the answer is implementation-defined) it tells how the browser lowers
// the instruction: a native dot product adds four exact products (x86
// VNNI: 4 * -128 * 255 = -130560; Arm, signed: 4 * -128 * -1 = 512), while
// x86 without VNNI (pmaddubsw, then pmaddwd with ones) saturates each pair
// to int16: 2 * -32768 = -65536. That lowering takes five instructions per
// dot; there the relaxed build packs its int4 pointwise and 3x3 depthwise
// layers for i16x8.relaxed_dot_i8x16_i7x16_s (one pmaddubsw) and runs the
// SIMD128 pair kernels elsewhere (setRelaxedDotNative(false); docs/kernels.md).
const RELAXED_LOWERING_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f, // type: (i32, i32) -> i32
  0x03, 0x02, 0x01, 0x00,                         // function 0 has type 0
  0x07, 0x07, 0x01, 0x03, 0x64, 0x6f, 0x74, 0x00, 0x00, // export "dot" = function 0
  0x0a, 0x16, 0x01, 0x14, 0x00,                   // code: one body, no locals
  0x20, 0x00, 0xfd, 0x0f, 0x20, 0x01, 0xfd, 0x0f, // i8x16.splat(a), i8x16.splat(b)
  0x41, 0x00, 0xfd, 0x0f,                         // i8x16.splat(0)
  0xfd, 0x93, 0x02,                               // relaxed dot (0x113)
  0xfd, 0x1b, 0x00, 0x0b,                         // i32x4.extract_lane 0; end
]);

function validates(bytes) {
  try {
    return typeof WebAssembly === 'object' && WebAssembly.validate(bytes);
  } catch {
    return false;
  }
}

export function hasWasmSimd() {
  return validates(SIMD_PROBE);
}

export function hasWasmRelaxedSimd() {
  return validates(RELAXED_PROBE);
}

// Whether the browser's relaxed dot product saturates its int16 pairs
// (RELAXED_LOWERING_PROBE): false where relaxed SIMD is missing or the
// probe cannot run. Asked once: every engine the page loads packs alike.
let dotSaturates;
export function relaxedDotSaturates() {
  if (dotSaturates !== undefined) return dotSaturates;
  dotSaturates = false;
  if (!hasWasmRelaxedSimd()) return dotSaturates;
  try {
    const { dot } = new WebAssembly.Instance(new WebAssembly.Module(RELAXED_LOWERING_PROBE)).exports;
    dotSaturates = dot(-128, 255) === -65536;
  } catch {
    // no probe: the relaxed build packs for a native dot, as before
  }
  return dotSaturates;
}

// 'relaxed' | 'simd' | 'scalar': the fastest build this browser runs. The
// relaxed build wherever it validates: where its i32x4 dot is emulated it
// takes the int16 dot for int4 layers and the SIMD128 kernels elsewhere,
// which is still faster than the SIMD128 build (docs/bench.md stage 10).
export function bestVariant() {
  if (!hasWasmSimd()) return 'scalar';
  return hasWasmRelaxedSimd() ? 'relaxed' : 'simd';
}

export function hasWasm() {
  return typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function';
}

function unwrap(result, what) {
  if (!result || !result.ok) {
    throw new Error(`${what}: ${result ? result.error : 'no result from the engine'}`);
  }
  return result;
}

export class Engine {
  constructor(module, variant, dotEmulated = false) {
    this.module = module;
    this.variant = variant; // 'relaxed' | 'simd' | 'scalar'
    this.dotEmulated = dotEmulated; // relaxed build packing for an emulated i32x4 dot (loadEngine)
    this.native = new module.Tm2Engine();
    this.model = null;
    this.probabilities = null; // Float32Array, one per class, refilled by run()
    this.logits = null;        // Int8Array, the head's int8 output
    this.views = null;         // the engine's output in the WASM heap
  }

  // Verifies and plans a .tm2 model (bytes: Uint8Array or ArrayBuffer).
  // `reference` runs the scalar reference kernels even in the SIMD build.
  load(bytes, { reference = false } = {}) {
    const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
    this.model = null;
    this.views = null;
    unwrap(this.native.load(view, reference), 'cannot load the model');
    this.names = unwrap(this.native.models(), 'cannot list the models').names;
    return this.selected();
  }

  // Makes the pack's model `name` the one setInput/run/features use (every
  // model was planned at load: a switch rebuilds nothing). Returns its info.
  select(name) {
    if (this.model?.name === name) return this.model;
    this.model = null;
    this.views = null;
    unwrap(this.native.select(name), `cannot select the model '${name}'`);
    return this.selected();
  }

  selected() {
    this.model = unwrap(this.native.info(), 'cannot read the model');
    this.views = null;
    this.probabilities = new Float32Array(this.model.labels.length);
    this.logits = new Int8Array(this.model.labels.length);
    this.logitScale = this.native.logitScale();
    this.logitZeroPoint = this.native.logitZeroPoint();
    return this.model;
  }

  // pcm: interleaved Float32Array in [-1, 1] or Int16Array, at any rate
  // 8000..48000 Hz; the core mixes to mono and resamples.
  setInput(branch, pcm, sampleRate, channels = 1) {
    const name = this.model?.branches[branch]?.name ?? `branch ${branch}`;
    return unwrap(this.native.setInput(branch, pcm, sampleRate, channels), `recording for ${name}`);
  }

  // Runs the model; returns this.probabilities, refilled in place (as is
  // this.logits): no allocation per call.
  run() {
    if (this.native.run() !== 0) throw new Error(`inference failed: ${this.native.lastError()}`);
    let v = this.views;
    // Views detach (length 0) when the WASM heap grows.
    if (!v || v.probabilities.length === 0) {
      v = this.views = { probabilities: this.native.probabilitiesView(), logits: this.native.logitsView() };
    }
    this.probabilities.set(v.probabilities);
    this.logits.set(v.logits);
    return this.probabilities;
  }

  // run() with its results in new arrays and the timings.
  invoke() {
    this.run();
    const branchPreprocessMs = (this.model?.branches ?? []).map((_, b) => this.native.preprocessMs(b));
    return {
      ok: true,
      probabilities: this.probabilities.slice(),
      logits: this.logits.slice(),
      logitScale: this.logitScale,
      logitZeroPoint: this.logitZeroPoint,
      preprocessMs: branchPreprocessMs.reduce((a, b) => a + b, 0),
      branchPreprocessMs,
      inferenceMs: this.native.inferenceMs(),
    };
  }

  features(branch) {
    return unwrap(this.native.features(branch), 'features');
  }

  dispose() {
    this.native.delete();
  }
}

// Loads the engine module from `base` (a URL ending in '/'): the fastest
// build the browser supports (bestVariant). `variant` forces one; `wasmBinary`
// (node) skips the loader's fetch.
export async function loadEngine({ base, variant, wasmBinary } = {}) {
  if (!hasWasm()) {
    throw new Error('This browser cannot run WebAssembly, which the screening needs.');
  }
  const chosen = variant ?? bestVariant();
  const url = new URL(`tinym2-${chosen}.js`, base);
  const { default: create } = await import(url.href);
  const options = {
    locateFile: (file) => new URL(file, base).href,
  };
  if (wasmBinary) options.wasmBinary = wasmBinary;
  const module = await create(options);
  // Before any model is packed (kernels/select.h).
  const dotEmulated = chosen === 'relaxed' && relaxedDotSaturates();
  if (chosen === 'relaxed') module.setRelaxedDotNative(!dotEmulated);
  return new Engine(module, chosen, dotEmulated);
}
