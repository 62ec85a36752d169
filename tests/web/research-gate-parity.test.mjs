// The page's sound-type check and the study server's agree bit for bit:
// the research page checks a take's 16-bit samples (takes.js) with the WASM
// engine through web/quality.js's checkSoundType, the real tinym2-study
// checks the uploaded WAV with the native engine (take_check.cc); for the
// same recordings the probabilities are the same number and the verdicts
// the same. Runs the engine under node; skipped without the server binary.
import test from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { loadEngine } from '../../web/engine.js';
import { parseWav } from '../../web/wav.js';
import { checkSoundType } from '../../web/quality.js';
import { engineDir, fixtures, root } from './paths.mjs';
import { binary, startStudyServer, join, upload, me } from '../study-server/server.mjs';

const CLIPS = ['coswara_cough_16k.wav', 'coswara_counting_16k.wav'];

test('a take\'s sound-type probability is the same number on the page and on the study server', { skip: !existsSync(binary) && `tinym2-study is not built (${binary})` }, async () => {
  const manifest = JSON.parse(readFileSync(path.join(root, 'models/manifest.json'), 'utf8'));
  const engine = await loadEngine({ base: pathToFileURL(`${engineDir}/`), variant: 'simd', wasmBinary: readFileSync(path.join(engineDir, 'tinym2-simd.wasm')) });
  engine.load(new Uint8Array(readFileSync(path.join(root, 'models', manifest.gate.url))));
  const gate = { engine, labels: manifest.gate.labels, threshold: manifest.gate.threshold };
  const server = await startStudyServer();
  try {
    const p = await join(server);
    const page = [];
    for (const [i, clip] of CLIPS.entries()) {
      const bytes = readFileSync(path.join(fixtures, 'audio', clip));
      const wav = parseWav(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      assert.ok(wav.samples instanceof Int16Array, `${clip} is 16-bit PCM, as the page stores a take`);
      page.push(checkSoundType(gate, wav, { modality: 'cough' }));
      await upload(server, p, 'cough', i + 1, bytes);
    }
    const takes = (await (await me(server, p)).json()).takes.sort((a, b) => a.take - b.take);
    assert.equal(takes.length, CLIPS.length);
    takes.forEach((t, i) => {
      assert.equal(page[i].checked, true, CLIPS[i]);
      assert.equal(t.probability, page[i].probability, `${CLIPS[i]}: server ${t.probability}, page ${page[i].probability}`);
      assert.equal(t.verdict === 'kind', !page[i].ok, `${CLIPS[i]}: the same verdict`);
    });
    // The two clips tell the check something: one passes, one does not.
    assert.deepEqual(page.map((v) => v.ok), [true, false]);
  } finally {
    await server.stop();
  }
});
