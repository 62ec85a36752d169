// The float twins the peer benchmark (tests/bench/peers) runs: built from
// each shipped .tm2, loaded by ONNX Runtime (its node build) and
// TensorFlow.js (cpu backend), fed the engine's own features of a seeded
// recording. Both must agree with each other (same float function) and
// with the int8 engine's probabilities within quantization error; a wrong
// layout, padding or bias scale moves them by far more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import * as ort from 'onnxruntime-web';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadEngine } from '../../web/engine.js';
import { readTwin, macs } from '../bench/peers/tm2_twin.mjs';
import { twinToOnnx } from '../bench/peers/onnx_twin.mjs';
import { tfjsTwin } from '../bench/peers/tfjs_twin.mjs';
import { engineDir, root } from './paths.mjs';

ort.env.wasm.numThreads = 1;
await tf.setBackend('cpu');
const engine = await loadEngine({ base: pathToFileURL(engineDir + '/'), variant: 'simd',
  wasmBinary: readFileSync(path.join(engineDir, 'tinym2-simd.wasm')) });
const maxDiff = (a, b) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i])));

test('twin reader: shapes and multiply-accumulates of the KWS DS-CNN', () => {
  const twin = readTwin(readFileSync(path.join(root, 'models/kws-dscnn.tm2')));
  assert.equal(macs(twin), 2656768); // MLPerf Tiny DS-CNN small
  const [conv, dw, pw] = twin.branches[0].layers;
  assert.deepEqual([conv.type, conv.outH, conv.outW, conv.outC], ['conv', 25, 5, 64]);
  assert.deepEqual([dw.type, pw.type, pw.weightBits], ['depthwise', 'pointwise', 4]);
  assert.equal(twin.labels.length, 12);
  assert.throws(() => readTwin(new Uint8Array(32)), /not a \.tm2 file/);
});

for (const name of ['kws-dscnn', 'covid-cough', 'sound-gate']) {
  test(`${name}: ONNX and TensorFlow.js twins match the engine`, async () => {
    const bytes = readFileSync(path.join(root, 'models', `${name}.tm2`));
    const twin = readTwin(bytes);
    const info = engine.load(bytes);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const feeds = {};
    const xs = [];
    info.branches.forEach((b, i) => {
      engine.setInput(i, new Float32Array(16000).map(() => 0.2 * (2 * rnd() - 1)), 16000, 1);
      const { zeroPoint, scale, h, w } = twin.branches[i].input;
      const x = Float32Array.from(engine.features(i).quantized, (v) => (v - zeroPoint) * scale);
      feeds[`input${i}`] = new ort.Tensor('float32', x, [1, 1, h, w]);
      xs.push(tf.tensor4d(x, [1, h, w, 1]));
    });
    const want = engine.invoke().probabilities;
    const session = await ort.InferenceSession.create(twinToOnnx(twin));
    const onnx = (await session.run(feeds)).probabilities.data;
    await session.release();
    assert.equal(onnx.length, want.length);
    // Measured 0.0007-0.0044 on these models; int8 rounding through ~10 layers.
    assert.ok(maxDiff(onnx, want) < 0.02, `ONNX twin vs engine: ${maxDiff(onnx, want)}`);
    for (const folded of [true, false]) {
      const net = tfjsTwin(tf, twin, { folded });
      const y = net.run(xs);
      const got = y.dataSync();
      y.dispose();
      net.dispose();
      assert.ok(maxDiff(got, onnx) < 1e-5, `tfjs (folded ${folded}) vs ONNX: ${maxDiff(got, onnx)}`);
    }
    xs.forEach((x) => x.dispose());
  });
}
