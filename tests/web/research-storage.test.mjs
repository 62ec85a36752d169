// A full disk while recording: IndexedDB writes of takes fail with the
// errors browsers really give (Chromium's "UnknownError: Failed to write
// blobs (IOError)", QuotaExceededError) while navigator.storage.estimate()
// still reports plenty left. The page must give its own plain message, say
// storage is full on the storage line, keep every earlier take and its
// saved mark (checked against the store itself), and save again once
// there is room.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launch, shot, DESKTOP } from './browser.mjs';
import { fixtures } from './paths.mjs';
import { assertAccessible } from './a11y.mjs';
import { openResearch, waitReady, startParticipant, recordTake, readStore, NARROW, assertNoOverflow } from './research-helpers.mjs';

const COUGH = path.join(fixtures, 'audio', 'coswara_cough_16k.wav');
let server;

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Takes' writes throw window.__failTakes ({name, message}) when it is set;
// the estimate is window.__estimate when set.
const FAILING_DISK = () => {
  const put = IDBObjectStore.prototype.put;
  IDBObjectStore.prototype.put = function (...args) {
    const fail = window.__failTakes;
    if (fail && this.name === 'takes') throw new DOMException(fail.message, fail.name);
    return put.apply(this, args);
  };
  const estimate = navigator.storage.estimate.bind(navigator.storage);
  navigator.storage.estimate = async () => window.__estimate ?? estimate();
};

for (const [name, viewport] of [['desktop', DESKTOP], ['320', NARROW]]) {
  test(`a full disk (${name}): the product's message, a true storage line, no take lost`, async () => {
    const browser = await launch({ mic: { file: COUGH } });
    try {
      const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
      await context.addInitScript(FAILING_DISK);
      const { page, errors } = await openResearch(context, server.url);
      const who = await startParticipant(page, 'negative');
      await recordTake(page, 'cough-1');
      const before = (await readStore(page)).takes;
      assert.equal(before.length, 1);

      // The disk fills up; the browser's estimate still says 1.00 GB left.
      await page.evaluate(() => {
        window.__estimate = { usage: 0, quota: 1024 ** 3 };
        window.__failTakes = { name: 'UnknownError', message: 'Failed to write blobs (IOError)' };
      });
      // Recording cough-1 again fails: its earlier take stays, marked saved.
      await recordTake(page, 'cough-1', 'storage-full');
      const quality = await page.textContent('#take-cough-1 .quality');
      assert.match(quality, /Storage is full: .*Everything saved before is kept\..*export.*free space/);
      assert.match(quality, /The take saved earlier for this step is kept/);
      assert.ok(await page.getAttribute('#take-cough-1', 'data-saved'), 'cough-1 keeps its saved mark');
      assert.match(await page.textContent('#alert'), /^Storage is full: /);
      assert.ok(!/^Failed to write blobs/.test(await page.textContent('#alert')), 'not the raw browser error');
      const storage = await page.textContent('#storage');
      assert.match(storage, /Storage is full: the last take could not be written/);
      assert.ok(!/\(1\.00 GB left\)\.\s*$/.test(storage), `the storage line does not claim room: ${storage}`);
      await assertAccessible(page, `storage full (${name})`);
      await assertNoOverflow(page, `storage full (${name})`);
      await shot(page, `research-${name}-error-disk-full`);

      // A new take fails too, with the quota error; nothing gets a saved mark it has not earned.
      await page.evaluate(() => { window.__failTakes = { name: 'QuotaExceededError', message: 'The quota has been exceeded.' }; });
      await recordTake(page, 'cough-2', 'storage-full');
      assert.match(await page.textContent('#alert'), /^Storage is full: .*QuotaExceededError/);
      assert.equal(await page.getAttribute('#take-cough-2', 'data-saved'), null);
      assert.ok(await page.getAttribute('#take-cough-1', 'data-saved'));

      // The store itself: the one take saved before, untouched.
      const during = (await readStore(page)).takes;
      assert.deepEqual(during, before);

      // Room again: the next take is saved and the storage line shows the estimate.
      await page.evaluate(() => { window.__failTakes = null; window.__estimate = null; });
      await recordTake(page, 'cough-2');
      assert.match(await page.textContent('#storage'), /Browser storage used: .* left\)/);
      const after = (await readStore(page)).takes;
      assert.equal(after.length, 2);
      assert.deepEqual(after.find((t) => t.id === before[0].id), before[0]);

      // A reload shows both.
      await page.reload();
      await waitReady(page);
      assert.match(await page.textContent('#resume-note'), new RegExp(`${who} has an unfinished session .*2 of 4 takes saved`));
      await page.click('#resume');
      await page.waitForSelector('#tasks-view:not([hidden])');
      for (const k of ['cough-1', 'cough-2']) assert.ok(await page.getAttribute(`#take-${k}`, 'data-saved'), k);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
  });
}
