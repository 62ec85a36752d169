// Research mode, the participant's wording and the shared upload checks:
// the default consent text names the withdraw button instead of sending the
// participant to the researcher; the participant view's header and title
// say nothing about exports, models or evaluation; a test-only `?seconds=`
// cap below a task's minimum gives a consistent range (prompt and check);
// recordings the evaluation cannot read are refused one by one with the
// shared plain messages of shared/audio-input.js, and the rest is evaluated.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { startServer, launch, DESKTOP } from './browser.mjs';
import { fixtures, root } from './paths.mjs';
import { assertAccessible } from './a11y.mjs';
import { openResearch, unlock, startParticipant, recordTake } from './research-helpers.mjs';

const COUGH = path.join(fixtures, 'audio', 'coswara_cough_16k.wav');
const RESEARCHER_WORDS = /evaluat|export|model factory|models?\b/i;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tm2-research-polish-'));
let server;

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

const header = (page) => page.evaluate(() => ({ text: document.querySelector('header').innerText, title: document.title }));

test('default consent text: the withdraw button deletes the data, no "ask the researcher to delete"', async () => {
  const protocol = JSON.parse(readFileSync(path.join(root, 'models/protocols/default.json'), 'utf8'));
  const joined = protocol.consent.text.join(' ');
  assert.ok(!/ask the researcher to delete/i.test(joined), 'the consent text does not send the participant to the researcher');
  assert.match(joined, /Withdraw and delete my data/, 'the consent text names the button');
  const browser = await launch({ mic: { file: COUGH } });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    const { page, errors } = await openResearch(context, server.url, '?countdown=0&sw=off');
    await page.click('#new-session');
    await page.waitForSelector('#consent-view:not([hidden])');
    const shown = await page.textContent('#consent-text');
    assert.match(shown, /“Withdraw and delete my data” deletes your answers and your recordings/);
    assert.ok(!/ask the researcher to delete/i.test(shown));
    // The button the text names is the one the participant gets.
    await page.check('#consent-agree');
    await page.click('#consent-continue');
    await page.waitForSelector('#questions-view:not([hidden])');
    assert.equal(await page.textContent('#withdraw'), 'Withdraw and delete my data');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('participant view: the header and title are for the participant; the researcher sees the researcher text', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    const { page, errors } = await openResearch(context, server.url, '?countdown=0&sw=off');
    for (const view of ['start (locked)', 'consent', 'questions']) {
      if (view === 'consent') {
        await page.click('#new-session');
        await page.waitForSelector('#consent-view:not([hidden])');
      } else if (view === 'questions') {
        await page.check('#consent-agree');
        await page.click('#consent-continue');
        await page.waitForSelector('#questions-view:not([hidden])');
      }
      const h = await header(page);
      assert.equal(await page.evaluate(() => document.body.dataset.mode), 'participant');
      assert.ok(!RESEARCHER_WORDS.test(h.text), `${view}: header "${h.text}" has no researcher wording`);
      assert.ok(!RESEARCHER_WORDS.test(h.title), `${view}: title "${h.title}" has no researcher wording`);
      assert.match(h.text, /research study/);
    }
    await assertAccessible(page, 'questions with the participant header');
    // Withdraw, unlock: the researcher's header is back.
    await page.click('#withdraw');
    await page.waitForSelector('#start-view:not([hidden])');
    await page.waitForFunction(() => /withdrawn/.test(document.getElementById('status').textContent));
    await unlock(page);
    const r = await header(page);
    assert.match(r.text, /evaluate models/);
    assert.match(r.title, /collect, export and evaluate/);
    // Locked again: the participant's.
    await page.click('#lock');
    await page.waitForSelector('#researcher-screens[hidden]', { state: 'attached' });
    assert.ok(!RESEARCHER_WORDS.test((await header(page)).text));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a ?seconds= cap below a task\'s minimum: min ≤ max in the prompt, and a take at the cap is saved', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    // The default protocol: cough 1-10 s, counting and breathing 3-15 s.
    const { page, errors } = await openResearch(context, server.url, '?countdown=0&seconds=1.5&sw=off');
    await startParticipant(page, 'negative');
    const prompts = await page.$$eval('#take-list .prompt', (ps) => ps.map((p) => p.textContent));
    for (const p of prompts) {
      const m = p.match(/Between ([\d.]+) and ([\d.]+) seconds/);
      if (m) assert.ok(Number(m[1]) < Number(m[2]), `"${p}": the minimum is below the maximum`);
    }
    assert.match(await page.textContent('#take-cough-1 .prompt'), /Between 1 and 1\.5 seconds; press Stop when done\.$/);
    assert.match(await page.textContent('#take-counting-1 .prompt'), /The recording takes 1\.5 seconds and stops by itself\.$/);
    assert.ok(!prompts.some((p) => /Between 3 and 1\.5/.test(p)));
    // The range used is the one shown: a take of the full 1.5 s is not "too short".
    await recordTake(page, 'counting-1');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

// WAV headers for the damaged files.
function wav({ rate = 16000, dataBytes, held }) {
  const b = Buffer.alloc(44 + held);
  b.write('RIFF', 0); b.writeUInt32LE(36 + held, 4); b.write('WAVE', 8);
  b.write('fmt ', 12); b.writeUInt32LE(16, 16); b.writeUInt16LE(1, 20); b.writeUInt16LE(1, 22);
  b.writeUInt32LE(rate, 24); b.writeUInt32LE(rate * 2, 28); b.writeUInt16LE(2, 32); b.writeUInt16LE(16, 34);
  b.write('data', 36); b.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < held / 2; i++) b.writeInt16LE(Math.round(8000 * Math.sin(i / 5)), 44 + 2 * i);
  return new Uint8Array(b);
}

test('evaluation: unreadable recordings get the shared plain message, each on its own, and the rest is evaluated', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    const { page, errors } = await openResearch(context, server.url, '?sw=off');
    await unlock(page);
    await page.setInputFiles('#model-file', path.join(root, 'models/sound-gate.tm2'));
    await page.waitForFunction(() => /in use/.test(document.getElementById('status').textContent));
    const files = {
      'set/a-good.wav': new Uint8Array(readFileSync(COUGH)),
      'set/b-empty.wav': new Uint8Array(0),
      'set/c-text.wav': strToU8('this is a text file, renamed to .wav\n'),
      'set/d-rate0.wav': wav({ rate: 0, dataBytes: 3200, held: 3200 }),
      'set/e-huge.wav': wav({ dataBytes: 0x7ffffff0, held: 3200 }),
      'set/f-noise.flac': strToU8('not a flac file at all'),
    };
    const zip = path.join(tmp, 'bad.zip');
    writeFileSync(zip, zipSync(files));
    await page.setInputFiles('#eval-zip', zip);
    await page.waitForFunction(() => window.research.evaluation?.model === 'sound-gate.tm2' || !document.getElementById('alert').hidden, null, { timeout: 30000 });
    assert.equal(await page.isHidden('#alert'), true, `no alert stops the evaluation: ${await page.textContent('#alert')}`);
    const ev = await page.evaluate(() => window.research.evaluation);
    assert.deepEqual(ev.results.map((r) => r.paths[0]), ['set/a-good.wav'], 'the readable recording is evaluated');
    const refused = Object.fromEntries(ev.refused.map((r) => [r.paths[0], r.message]));
    assert.equal(Object.keys(refused).length, 5);
    assert.match(refused['set/b-empty.wav'], /: The file is empty \(0 bytes\): there is no recording in it\.$/);
    assert.match(refused['set/c-text.wav'], /: This file is named \.wav but holds no WAV recording/);
    assert.match(refused['set/d-rate0.wav'], /: The WAV file is damaged: its header gives a sample rate of 0 per second/);
    assert.match(refused['set/e-huge.wav'], /: The WAV file is incomplete: its header announces .* but the file holds only 0\.1 s/);
    assert.match(refused['set/f-noise.flac'], /: This file could not be read as a sound recording/);
    const list = await page.textContent('#refused');
    assert.ok(!/cannot decode/.test(list), 'not the old "this browser cannot decode it"');
    for (const name of Object.keys(refused)) assert.ok(list.includes(name), `${name} is listed`);
    const metrics = await page.textContent('#metrics');
    assert.match(metrics, /^1 item evaluated/);
    assert.match(metrics, /5 refused: the recording could not be read or holds no sound/);
    assert.ok(!/longer than the model takes/.test(metrics), 'unreadable files are not called too long');
    await assertAccessible(page, 'evaluation with unreadable recordings');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
