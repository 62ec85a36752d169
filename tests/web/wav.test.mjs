// web/wav.js: 32-bit float WAV samples beyond full scale are clipped to
// [-1, 1], like the core's rule (docs/preprocessing.md); NaN is passed on
// for the engine to refuse.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseWav } from '../../web/wav.js';

function floatWav(values) {
  const buf = new ArrayBuffer(44 + 4 * values.length);
  const v = new DataView(buf);
  const put = (o, s) => { for (let i = 0; i < s.length; i++) v.setUint8(o + i, s.charCodeAt(i)); };
  put(0, 'RIFF'); v.setUint32(4, 36 + 4 * values.length, true); put(8, 'WAVE');
  put(12, 'fmt '); v.setUint32(16, 16, true); v.setUint16(20, 3, true); v.setUint16(22, 1, true);
  v.setUint32(24, 16000, true); v.setUint32(28, 64000, true); v.setUint16(32, 4, true);
  v.setUint16(34, 32, true);
  put(36, 'data'); v.setUint32(40, 4 * values.length, true);
  values.forEach((x, i) => v.setFloat32(44 + 4 * i, x, true));
  return buf;
}

test('float WAV samples are clipped to [-1, 1]', () => {
  const wav = parseWav(floatWav([0.5, 1e30, -1e30, Infinity, -Infinity, 1.5, -1, NaN]));
  assert.deepEqual(Array.from(wav.samples.slice(0, 7)), [0.5, 1, -1, 1, -1, 1, -1]);
  assert.ok(Number.isNaN(wav.samples[7]));
});
