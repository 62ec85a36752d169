// The screening page in Debian's Chromium (playwright-core): the whole flow
// with the fake microphone and with uploads, the page's probabilities
// against the native engine's, privacy (no request after load, offline
// reload), and the messages for a denied microphone, a silent one, a
// clipped recording and a recording of the wrong kind of sound.
// Screenshots of every step go to test-artifacts/ (desktop and phone).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { encodeWav } from '../../web/wav.js';
import { startServer, launch, openPage, shot, consent, DESKTOP, PHONE } from './browser.mjs';
import { fixtures, root } from './paths.mjs';
import { assertAccessible } from './a11y.mjs';

const audio = (name) => path.join(fixtures, 'audio', name);
const COSWARA = ['coswara_cough_16k.wav', 'coswara_counting_16k.wav', 'coswara_breathing_16k.wav'].map(audio);
const FAST = '?countdown=1&seconds=2';
let server;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tm2-web-'));

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

function expectedProbHash(caseName) {
  const text = readFileSync(path.join(root, 'tests/parity/expected_hashes.txt'), 'utf8');
  const line = text.split('\n').find((l) => l.startsWith(`${caseName} `));
  return line.trim().split(/\s+/)[3];
}

async function recordAll(page, n, prefix) {
  for (let i = 0; i < n; i++) {
    await page.focus(`#step-${i} .record`);
    await page.keyboard.press('Enter');
    if (i === 0 && prefix) {
      await page.waitForSelector(`#step-0 .countdown:has-text("Recording")`);
      await shot(page, `${prefix}-2-countdown`);
    }
    await page.waitForSelector(`#step-${i}[data-state]`, { timeout: 30000 });
    assert.equal(await page.getAttribute(`#step-${i}`, 'data-state'), 'accepted',
      await page.textContent(`#step-${i} .quality`));
    if (prefix) await shot(page, `${prefix}-${3 + i}-recorded-${i}`);
  }
}

async function getResult(page, prefix) {
  await page.focus('#screen');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#result:not([hidden])');
  if (prefix) await shot(page, `${prefix}-9-result`);
  return page.evaluate(() => window.tm2.result);
}

test('microphone flow: three recordings from the fake microphone give a result (desktop and phone)', async () => {
  const browser = await launch({ mic: { file: COSWARA[0] } });
  try {
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
      const { page, errors, context } = await openPage(browser, server.url, { viewport, query: FAST });
      await shot(page, `mic-${size}-0-intro`);
      assert.match(await page.textContent('#intro'), /not a medical\s+device/);
      assert.match(await page.textContent('#model-card'), /Test model — outputs mean nothing/);
      assert.match(await page.textContent('#model-card'), /No sound-type model is installed/);
      await consent(page);
      await shot(page, `mic-${size}-1-steps`);
      // The steps come from the model file: one per branch.
      const modalities = await page.$$eval('.step', (els) => els.map((e) => e.dataset.modality));
      assert.deepEqual(modalities, ['cough', 'speech', 'breath']);
      await recordAll(page, 3, `mic-${size}`);
      const r = await getResult(page, `mic-${size}`);
      assert.equal(r.probabilities.length, 3);
      assert.ok(Math.abs(r.probabilities.reduce((a, b) => a + b) - 1) < 1e-5);
      assert.match(await page.textContent('#compute-time'), /Computed on this device in [\d.]+ ms/);
      assert.equal(await page.$$eval('canvas.spectrogram', (c) => c.length), 3);
      if (size === 'desktop') {
        // A file that is no recording, uploaded over a recorded step: the
        // step says why it was refused, and no longer "Recording finished."
        assert.equal(await page.textContent('#step-1 .countdown'), 'Recording finished.');
        const junk = Buffer.alloc(3000);
        for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 255;
        await page.setInputFiles('#step-1 .file', { name: 'garbage.wav', mimeType: 'audio/wav', buffer: junk });
        await page.waitForSelector('#step-1[data-state^="rejected"]');
        assert.match(await page.textContent('#step-1 .quality'), /garbage\.wav: /);
        assert.equal(await page.textContent('#step-1 .countdown'), '');
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});

test('upload flow: the page gives the native engine\'s probabilities; no request after load; offline reload', async () => {
  const browser = await launch();
  try {
    const { page, context, errors } = await openPage(browser, server.url);
    // Wait for the service worker to take control before counting requests.
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15000 })
      .catch(() => page.reload().then(() => page.waitForFunction(() => document.body.dataset.ready === 'true')));
    // The page has asked the worker to keep its (test) manifest and model.
    await page.waitForFunction(() => document.body.dataset.offline === 'ready', null, { timeout: 15000 });
    const requests = [];
    context.on('request', (req) => requests.push(req.url()));
    await consent(page);
    for (let i = 0; i < 3; i++) {
      await page.setInputFiles(`#step-${i} .file`, COSWARA[i]);
      await page.waitForSelector(`#step-${i}[data-state="accepted"]`);
    }
    await shot(page, 'upload-desktop-1-accepted');
    const r = await getResult(page, 'upload-desktop');
    // Exactly the native engine's float bits (tests/parity/expected_hashes.txt).
    const bits = new Uint8Array(Float32Array.from(r.probabilities).buffer);
    assert.equal(fnv1a64(bits), expectedProbHash('coswara'));
    const shown = await page.$$eval('#probabilities td', (tds) => tds.map((t) => t.textContent));
    const cli = path.join(root, 'build/native/native/cli/tinym2');
    if (existsSync(cli)) {
      const out = execFileSync(cli, ['run', path.join(fixtures, 'models/parity_multibranch.tm2'), ...COSWARA], { encoding: 'utf8' });
      const native = out.split('\n').filter((l) => /^class_/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
      assert.deepEqual(shown, native);
    } else {
      assert.deepEqual(shown, r.probabilities.map((p) => p.toFixed(4)));
    }
    const blobs = requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:'));
    assert.deepEqual(blobs, [], 'no network request after load');
    // Offline: the service worker serves the page, the engine and the model.
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true',
      await page.textContent('#alert'));
    await shot(page, 'upload-desktop-offline-reload');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a denied microphone says so and offers uploads', async () => {
  const browser = await launch({ mic: 'deny' });
  try {
    const { page } = await openPage(browser, server.url, { query: FAST, serviceWorkers: 'block' });
    await consent(page);
    await page.click('#step-0 .record');
    await page.waitForSelector('#step-0[data-state="mic-denied"]');
    assert.match(await page.textContent('#alert'), /Microphone access was denied.*upload/);
    await assertAccessible(page, 'microphone denied');
    await shot(page, 'error-desktop-permission-denied');
  } finally {
    await browser.close();
  }
});

async function rejected(wavFile, reason, pattern, name, { viewport = DESKTOP } = {}) {
  const browser = await launch({ mic: { file: wavFile } });
  try {
    const { page } = await openPage(browser, server.url, { query: FAST, serviceWorkers: 'block', viewport });
    await consent(page);
    await page.click('#step-0 .record');
    await page.waitForSelector('#step-0[data-state]', { timeout: 30000 });
    assert.equal(await page.getAttribute('#step-0', 'data-state'), `rejected-${reason}`);
    assert.match(await page.textContent('#step-0 .quality'), pattern);
    assert.match(await page.textContent('#status'), /needs to be recorded again/);
    assert.equal(await page.isDisabled('#screen'), true);
    await assertAccessible(page, name);
    await shot(page, name);
  } finally {
    await browser.close();
  }
}

test('a silent microphone is rejected as too quiet', async () => {
  const file = path.join(tmp, 'silent.wav');
  writeFileSync(file, Buffer.from(encodeWav(new Float32Array(16000 * 6), 16000)));
  await rejected(file, 'quiet', /Too quiet/, 'error-phone-silent', { viewport: PHONE });
});

test('a clipped recording is rejected as too loud', async () => {
  const file = path.join(tmp, 'clipped.wav');
  const n = 16000 * 6;
  const s = new Float32Array(n);
  for (let i = 0; i < n; i++) s[i] = Math.max(-1, Math.min(1, 3 * Math.sin((2 * Math.PI * 220 * i) / 16000)));
  writeFileSync(file, Buffer.from(encodeWav(s, 16000)));
  await rejected(file, 'clipped', /clipped/, 'error-desktop-clipped');
});

test('a recording too short for its branch is rejected', async () => {
  const browser = await launch();
  try {
    const { page } = await openPage(browser, server.url, { serviceWorkers: 'block' });
    await consent(page);
    const file = path.join(tmp, 'short.wav');
    const s = Float32Array.from({ length: 4000 }, (_, i) => 0.3 * Math.sin(i / 5));
    writeFileSync(file, Buffer.from(encodeWav(s, 16000)));
    await page.setInputFiles('#step-1 .file', file);
    await page.waitForSelector('#step-1[data-state="rejected-short"]');
    assert.match(await page.textContent('#step-1 .quality'), /Too short: 0\.3 s.*at least 1\.0 s/);
    await assertAccessible(page, 'too short');
  } finally {
    await browser.close();
  }
});

test('the shipped models: the sound-type gate rejects breathing as a cough, accepts a cough, and the result equals the native engine', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, server.url, { serviceWorkers: 'block', manifest: null });
    assert.match(await page.textContent('#model-card'), /A sound-type model checks/);
    await consent(page);
    await page.setInputFiles('#step-0 .file', COSWARA[2]);  // breathing, not a cough
    await page.waitForSelector('#step-0[data-state="rejected-kind"]');
    assert.match(await page.textContent('#step-0 .quality'), /does not sound like a cough/);
    await assertAccessible(page, 'not a cough');
    await shot(page, 'error-desktop-not-a-cough');
    // The shipped manifest asks for three coughs; the same clip three times.
    for (let i = 0; i < 3; i++) {
      await page.setInputFiles(`#step-${i} .file`, COSWARA[0]);
      await page.waitForSelector(`#step-${i}[data-state="accepted"]`);
    }
    const r = await getResult(page, 'shipped-desktop');
    // The page averages over start alignments; its first alignment is
    // exactly what the CLI computes from the file.
    const shown = r.alignments[0][0].map((p) => p.toFixed(4));
    const cli = path.join(root, 'build/native/native/cli/tinym2');
    if (existsSync(cli)) {
      const out = execFileSync(cli, ['run', path.join(root, 'models/covid-cough.tm2'), COSWARA[0]], { encoding: 'utf8' });
      const native = out.split('\n').filter((l) => l && !l.startsWith('#')).map((l) => l.trim().split(/\s+/).pop());
      assert.deepEqual(shown, native);
    }
    assert.equal(r.probabilities.length, 2);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
