// Bad uploads on the public page (Chromium, shipped models): each gets a
// plain message next to its step, in view and focused; the step forgets its
// earlier good recording and "Get the result" stays disabled until every
// step holds a good one again. Also the WAV reader and the shared upload
// checks on their own (in the page, the module the research page can call).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, shot, consent, DESKTOP } from './browser.mjs';
import { assertAccessible } from './a11y.mjs';
import { startOverridableServer, clip, readClip, wavBytes, assertFocus, assertInView, assertNoOverflow } from './public-helpers.mjs';

const NARROW = { width: 320, height: 640 };
let server;
before(async () => { server = await startOverridableServer(); });
after(async () => { await server.close(); });

const cough = readClip('coswara_cough_16k.wav');
const tenMinutes = wavBytes({ samples: Float64Array.from({ length: 8000 * 600 }, (_, i) => cough.samples[i % cough.samples.length]), rate: 8000 });

// name, file, data-state, message pattern. No message may carry format
// codes, chunk names or "Infinity".
const BAD = [
  ['empty', { name: 'empty.wav', mimeType: 'audio/wav', buffer: Buffer.alloc(0) }, 'rejected-empty', /empty \(0 bytes\)/],
  ['text-as-wav', { name: 'notes.wav', mimeType: 'audio/wav', buffer: Buffer.from('this is a shopping list, not audio\n'.repeat(20)) },
    'rejected-not-wav', /named \.wav but holds no WAV recording/],
  ['rate-zero', { name: 'rate0.wav', mimeType: 'audio/wav', buffer: wavBytes({ samples: cough.samples, rate: 0 }) },
    'rejected-rate', /damaged: its header gives a sample rate of 0/],
  ['ten-minutes', { name: 'long.wav', mimeType: 'audio/wav', buffer: tenMinutes }, 'rejected-long',
    /Too long: 10 minutes\. This step takes recordings of up to 30\.0 s; please trim/],
  ['format-65535', { name: 'odd.wav', mimeType: 'audio/wav', buffer: wavBytes({ samples: cough.samples, format: 65535, bits: 65535 }) },
    'rejected-encoding', /damaged.*Save the recording again as 16-bit PCM WAV/],
  ['fmt-past-end', { name: 'cut.wav', mimeType: 'audio/wav', buffer: wavBytes({ samples: cough.samples, fmtBytes: 0x7fff0000 }) },
    'rejected-damaged', /WAV file is damaged/],
  ['huge-data-size', { name: 'liar.wav', mimeType: 'audio/wav', buffer: wavBytes({ samples: cough.samples.subarray(0, 16000), dataBytes: 0x40000000 }) },
    'rejected-truncated', /incomplete: its header announces .* but the file holds only 1\.0 s/],
  ['a-law', { name: 'alaw.wav', mimeType: 'audio/wav', buffer: wavBytes({ samples: cough.samples, format: 6, bits: 8 }) },
    'rejected-encoding', /stored as A-law, which this page cannot read/],
];
const JARGON = /format \d|chunk|fmt|Infinity|NaN|undefined|65535/;

test('bad uploads after a good one: plain message at the step, in view and focused, step reset, result disabled', async () => {
  const browser = await launch();
  try {
    const { page, errors } = await openPage(browser, server.url, { viewport: DESKTOP, serviceWorkers: 'block', manifest: null });
    await consent(page);
    for (const [name, file, stateName, pattern] of BAD) {
      for (let i = 0; i < 3; i++) {
        if (await page.getAttribute(`#step-${i}`, 'data-state') === 'accepted') continue;
        await page.setInputFiles(`#step-${i} .file`, clip('coswara_cough_16k.wav'));
        await page.waitForSelector(`#step-${i}[data-state="accepted"]`);
      }
      assert.equal(await page.isDisabled('#screen'), false, 'three good coughs enable the result');
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.setInputFiles('#step-1 .file', file);
      await page.waitForSelector(`#step-1:not([data-state="accepted"])`);
      assert.equal(await page.getAttribute('#step-1', 'data-state'), stateName, name);
      const message = await page.textContent('#step-1 .quality');
      assert.match(message, pattern, name);
      assert.doesNotMatch(message, JARGON, name);
      assert.doesNotMatch(message, /at most .* is used\. Please record a shorter/, name);
      assert.equal(await page.isDisabled('#screen'), true, `${name}: the result must not screen the earlier recording`);
      assert.equal(await page.isHidden('#step-1 .playback'), true, `${name}: the old recording is gone`);
      assert.equal(await page.isHidden('#alert'), true, `${name}: the message sits at the step, not far above it`);
      await assertFocus(page, '#step-1 .quality', name);
      await assertInView(page, '#step-1 .quality', name);
      await assertAccessible(page, `upload error ${name}`);
      await shot(page, `upload-error-desktop-${name}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('an upload error at 320 px: no horizontal scrolling, accessible', async () => {
  const browser = await launch();
  try {
    const { page } = await openPage(browser, server.url, { viewport: NARROW, serviceWorkers: 'block', manifest: null });
    await assertNoOverflow(page, 'consent (320 px)');
    await consent(page);
    await assertNoOverflow(page, 'steps (320 px)');
    await assertAccessible(page, 'steps (320 px)');
    const [, file] = BAD.find(([n]) => n === 'ten-minutes');
    await page.setInputFiles('#step-0 .file', file);
    await page.waitForSelector('#step-0[data-state="rejected-long"]');
    await assertInView(page, '#step-0 .quality', '320 px');
    await assertNoOverflow(page, 'upload error (320 px)');
    await assertAccessible(page, 'upload error (320 px)');
    await shot(page, 'upload-error-narrow-long');
  } finally {
    await browser.close();
  }
});

test('the shared upload checks (web/shared/audio-input.js) and the WAV reader, as the research page would call them', async () => {
  const browser = await launch();
  try {
    const { page } = await openPage(browser, server.url, { serviceWorkers: 'block' });
    const out = await page.evaluate(async () => {
      const m = await import('./shared/audio-input.js');
      const { parseWav, readWavHeader } = await import('./wav.js');
      const wav = (bytes) => new File([bytes], 'x.wav');
      const res = {};
      res.long = m.checkLength(600, { minSeconds: 0.5, maxSeconds: 30 });
      res.short = m.checkLength(0.2, { minSeconds: 0.5, maxSeconds: 30 });
      res.ok = m.checkLength(5, { minSeconds: 0.5, maxSeconds: 30 });
      res.big = m.checkFile({ size: m.UPLOAD_LIMITS.maxBytes + 1, name: 'big.wav' });
      // A streamed WAV (data size 0xFFFFFFFF) is read to the end of the file.
      const h = new DataView(new ArrayBuffer(44 + 3200));
      const put = (at, s) => [...s].forEach((c, i) => h.setUint8(at + i, c.charCodeAt(0)));
      put(0, 'RIFF'); put(8, 'WAVEfmt '); h.setUint32(16, 16, true); h.setUint16(20, 1, true); h.setUint16(22, 1, true);
      h.setUint32(24, 16000, true); h.setUint32(28, 32000, true); h.setUint16(32, 2, true); h.setUint16(34, 16, true);
      put(36, 'data'); h.setUint32(40, 0xffffffff, true);
      res.streamed = parseWav(h.buffer).frames;
      res.header = readWavHeader(h.buffer).seconds;
      try { await m.readUpload(wav(h.buffer), { minSeconds: 0.5, maxSeconds: 30 }); } catch (e) { res.uploadShort = [e.name, e.reason]; }
      return res;
    });
    assert.equal(out.long.reason, 'long');
    assert.equal(out.short.reason, 'short');
    assert.equal(out.ok.ok, true);
    assert.equal(out.big.reason, 'too-big');
    assert.equal(out.streamed, 1600);
    assert.equal(out.header, 0.1);
    assert.deepEqual(out.uploadShort, ['AudioInputError', 'short']);
  } finally {
    await browser.close();
  }
});
