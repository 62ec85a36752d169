// The WASM engine under node on the parity model and the fixture clips:
// features, int8 logits and probabilities hash to exactly the values every
// native target prints (tests/parity/expected_hashes.txt), in both engine
// variants (SIMD and scalar) and with the reference kernels; the relaxed-SIMD
// variant too, in a child node with relaxed SIMD switched on (node 20 has
// it behind a flag; its baseline compiler gets the instruction wrong, so
// the child runs optimized code only: cmake/WasmRelaxed.cmake).
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadEngine, hasWasmSimd, hasWasmRelaxedSimd, relaxedDotSaturates, bestVariant } from '../../web/engine.js';
import { parseWav } from '../../web/wav.js';
import { engineDir, fixtures, parityModel, root } from './paths.mjs';

// The parity cases of tests/parity/parity_run.cc.
const CASES = {
  coswara: ['coswara_cough_16k.wav', 'coswara_counting_16k.wav', 'coswara_breathing_16k.wav'],
  mixed_rates: ['covid_telegram_cough_48k.wav', 'speech_commands_yes_16k.wav',
    'covid_callcenter_cough_8k_stereo.wav'],
  rate_swaps: ['covid_callcenter_cough_8k_stereo.wav', 'covid_telegram_cough_48k.wav',
    'speech_commands_yes_16k.wav'],
};

// FNV-1a 64 over bytes, chained by `seed` (tests/common/wav.h).
function fnv1a64(bytes, seed = 0xcbf29ce484222325n) {
  let h = seed;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h;
}
const bytesOf = (typed) => new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
const hex = (h) => h.toString(16).padStart(16, '0');

function expectedHashes() {
  const text = readFileSync(path.join(root, 'tests/parity/expected_hashes.txt'), 'utf8');
  const out = {};
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [name, features, logits, probs] = line.trim().split(/\s+/);
    out[name] = { features, logits, probs };
  }
  return out;
}

async function engine(variant) {
  const wasm = readFileSync(path.join(engineDir, `tinym2-${variant}.wasm`));
  return loadEngine({ base: pathToFileURL(engineDir + '/'), variant, wasmBinary: wasm });
}

function runCase(e, clips) {
  clips.forEach((clip, b) => {
    const wav = parseWav(readFileSync(path.join(fixtures, 'audio', clip)).buffer.slice(0));
    e.setInput(b, wav.samples, wav.sampleRate, wav.channels);
  });
  const r = e.invoke();
  let h = fnv1a64([]);
  for (let b = 0; b < clips.length; b++) {
    const f = e.features(b);
    h = fnv1a64(bytesOf(f.values), h);
    h = fnv1a64(bytesOf(f.quantized), h);
  }
  return {
    features: hex(h),
    logits: hex(fnv1a64(bytesOf(r.logits))),
    probs: hex(fnv1a64(bytesOf(r.probabilities))),
  };
}

const expected = expectedHashes();
const model = readFileSync(parityModel);

const RELAXED_CHILD = process.env.TM2_RELAXED_CHILD === '1';
const VARIANTS = RELAXED_CHILD ? [['relaxed', false]]
  : [['simd', false], ['simd', true], ['scalar', false]];
// The child runs the relaxed parity alone.
const parentOnly = { skip: RELAXED_CHILD };
const KERNELS = { simd: 'hwy:WASM', relaxed: 'hwy:WASM+relaxed' };

if (!RELAXED_CHILD) {
  test('relaxed engine matches the native parity hashes (child node with relaxed SIMD)', () => {
    assert.equal(hasWasmRelaxedSimd(), false, 'plain node 20 has no relaxed SIMD');
    // A plain TAP run of its own: without NODE_TEST_CONTEXT, which the
    // parent runner sets and which makes a child report in its protocol.
    const env = { ...process.env, TM2_RELAXED_CHILD: '1' };
    delete env.NODE_TEST_CONTEXT;
    const r = spawnSync(process.execPath, ['--experimental-wasm-relaxed-simd', '--no-liftoff', '--test',
      '--test-reporter=tap', fileURLToPath(import.meta.url)], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /# pass [1-9]/);
    assert.match(r.stdout, /# fail 0/);
  });
}

for (const [variant, reference] of VARIANTS) {
  test(`${variant}${reference ? ' (reference kernels)' : ''} engine matches the native parity hashes`, async () => {
    // The loader's probe agrees with node's flag (the child has it on).
    if (variant === 'relaxed') {
      assert.equal(hasWasmRelaxedSimd(), true);
      // node 20's optimizing tier lowers the relaxed dot as saturating
      // pairs on x86 (no VNNI): the loader still takes the relaxed build
      // and tells it the dot is emulated, so this run checks the int16-dot
      // packing against the parity hashes (kernels_test_relaxed checks
      // both packings layer by layer).
      if (process.arch === 'x64') {
        assert.equal(relaxedDotSaturates(), true);
      }
      assert.equal(bestVariant(), 'relaxed');
    } else {
      assert.equal(relaxedDotSaturates(), false, 'no relaxed SIMD: nothing to saturate');
    }
    const e = await engine(variant);
    assert.equal(e.dotEmulated, variant === 'relaxed' && process.arch === 'x64');
    const info = e.load(model, { reference });
    assert.equal(info.branches.length, 3);
    assert.deepEqual(info.branches.map((b) => b.modality), ['cough', 'speech', 'breath']);
    assert.equal(info.kernels, reference ? 'ref' : KERNELS[variant] ?? 'ref');
    for (const [name, clips] of Object.entries(CASES)) {
      assert.deepEqual(runCase(e, clips), expected[name], `case ${name}`);
    }
    e.dispose();
  });
}

test('float PCM gives the same bits as int16 PCM of the same samples', parentOnly, async () => {
  const e = await engine('simd');
  e.load(model);
  const clips = CASES.coswara;
  const asInt = runCase(e, clips);
  clips.forEach((clip, b) => {
    const wav = parseWav(readFileSync(path.join(fixtures, 'audio', clip)).buffer.slice(0));
    const f = Float32Array.from(wav.samples, (s) => s / 32768);
    e.setInput(b, f, wav.sampleRate, wav.channels);
  });
  const r = e.invoke();
  assert.equal(hex(fnv1a64(bytesOf(r.probabilities))), asInt.probs);
  e.dispose();
});

test('run() refills the same arrays with invoke()\'s results, also after the heap grows', parentOnly, async () => {
  const e = await engine('simd');
  e.load(model);
  const want = runCase(e, CASES.coswara);
  const probs = e.run();
  assert.equal(probs, e.probabilities);
  assert.equal(hex(fnv1a64(bytesOf(probs))), want.probs);
  assert.equal(hex(fnv1a64(bytesOf(e.logits))), want.logits);
  probs.fill(0);
  assert.equal(e.run(), probs); // same object, values back
  assert.equal(hex(fnv1a64(bytesOf(probs))), want.probs);
  // Ten minutes of stereo PCM grows the heap (the binding copies the PCM
  // in before the core rejects the length), which detaches the old views;
  // run() must notice and read the new ones.
  const oldView = e.views.probabilities;
  assert.throws(() => e.setInput(0, new Float32Array(2 * 600 * 48000), 48000, 2), /exceeds max_seconds/);
  assert.equal(oldView.length, 0); // detached by the growth
  runCase(e, CASES.coswara);
  probs.fill(0);
  e.run();
  assert.equal(hex(fnv1a64(bytesOf(probs))), want.probs);
  e.dispose();
});

test('errors come back as thrown Errors with the core message', parentOnly, async () => {
  const e = await engine('simd');
  assert.throws(() => e.load(new Uint8Array([1, 2, 3, 4])), /cannot load the model: .+/);
  assert.throws(() => e.invoke(), /no model loaded/);
  assert.throws(() => e.run(), /inference failed: no model loaded/);
  e.load(model);
  assert.throws(() => e.setInput(0, new Float32Array(1000), 4000, 1), /8000\.\.48000/);
  assert.throws(() => e.setInput(7, new Float32Array(1000), 16000, 1), /out of range/);
  assert.throws(() => e.setInput(0, [0, 1], 16000, 1), /Float32Array or an Int16Array/);
  const corrupt = new Uint8Array(model);
  corrupt[corrupt.length - 5] ^= 0xff;
  assert.throws(() => e.load(corrupt), /cannot load the model/);
  e.dispose();
});

test('SIMD is detected in this node', parentOnly, () => {
  assert.equal(hasWasmSimd(), true);
});

// Issue 16's download budget: each variant's js + wasm, gzipped as
// tests/web/bench.mjs measures it, within 100 KB (docs/web.md, "Where the
// engine's bytes go", says what is in it).
test('engine js + wasm stay within 100 KB gzipped', parentOnly, () => {
  for (const variant of ['relaxed', 'simd', 'scalar']) {
    const gz = ['js', 'wasm'].reduce((sum, ext) =>
      sum + gzipSync(readFileSync(path.join(engineDir, `tinym2-${variant}.${ext}`)), { level: 9 }).length, 0);
    assert.ok(gz <= 100 * 1024, `${variant}: ${(gz / 1024).toFixed(1)} KB gzipped`);
  }
});
