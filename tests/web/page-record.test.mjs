// Recording on the public page with the fake microphone (Chromium): a
// seconds-left timer while recording, a warning before the tab closes
// mid-recording, focus on the next action after each recording (never
// <body>), buttons named by their visible text, and axe-core in every state
// (recording, each step recorded), desktop, phone and 320 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, openPage, shot, consent, DESKTOP, PHONE } from './browser.mjs';
import { assertAccessible } from './a11y.mjs';
import { startOverridableServer, clip, assertFocus, assertNoOverflow } from './public-helpers.mjs';

const NARROW = { width: 320, height: 640 };
let server;
before(async () => { server = await startOverridableServer(); });
after(async () => { await server.close(); });

test('recording: timer, focus moves on after each recording, accessible in every state (desktop, phone, 320 px)', async () => {
  const browser = await launch({ mic: { file: clip('coswara_cough_16k.wav') } });
  try {
    for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE], ['narrow', NARROW]]) {
      const { page, context, errors } = await openPage(browser, server.url,
        { viewport, serviceWorkers: 'block', manifest: null, query: '?countdown=1&seconds=2' });
      await assertAccessible(page, `consent (${size})`);
      await consent(page);
      await assertAccessible(page, `steps (${size})`);
      for (let i = 0; i < 3; i++) {
        await page.focus(`#step-${i} .record`);
        await page.keyboard.press('Enter');
        await page.waitForSelector(`#step-${i} .timer:not([hidden])`);
        assert.match(await page.textContent(`#step-${i} .timer`), /^\d s left$/);
        if (i === 0) {
          await assertAccessible(page, `recording (${size})`);
          await assertNoOverflow(page, `recording (${size})`);
          await shot(page, `record-${size}-recording`);
        }
        await page.waitForSelector(`#step-${i}[data-state="accepted"]`, { timeout: 30000 });
        // Focus goes to the next step's Record button, then to "Get the result".
        await page.waitForFunction(() => document.activeElement !== document.body, null, { timeout: 5000 }).catch(() => {});
        await assertFocus(page, i < 2 ? `#step-${i + 1} .record` : '#screen', `after recording ${i + 1} (${size})`);
        // The button says what it does, and its accessible name is that text.
        assert.equal(await page.textContent(`#step-${i} .record`), `Record cough ${i + 1} of 3 again`);
        assert.equal(await page.getAttribute(`#step-${i} .record`, 'aria-label'), null);
        await assertAccessible(page, `recording ${i + 1} done (${size})`);
      }
      await assertNoOverflow(page, `all recorded (${size})`);
      await shot(page, `record-${size}-all-recorded`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#result:not([hidden])');
      await assertFocus(page, '#result', `result (${size})`);
      await assertAccessible(page, `result after recording (${size})`);
      assert.deepEqual(errors, []);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});

test('closing the tab while recording asks first; after recording it does not', async () => {
  const browser = await launch({ mic: { file: clip('coswara_cough_16k.wav') } });
  try {
    const { page } = await openPage(browser, server.url,
      { serviceWorkers: 'block', manifest: null, query: '?countdown=1&seconds=6' });
    await consent(page);
    await page.click('#step-0 .record');
    await page.waitForSelector('#step-0 .timer:not([hidden])');
    const dialogs = [];
    page.on('dialog', (d) => { dialogs.push(d.type()); d.dismiss(); });
    await page.close({ runBeforeUnload: true });
    await page.waitForTimeout(500);
    assert.deepEqual(dialogs, ['beforeunload']);
    assert.equal(page.isClosed(), false, 'dismissing the warning keeps the page');
    await page.waitForSelector('#step-0[data-state="accepted"]', { timeout: 30000 });
    const before = dialogs.length;
    const closed = new Promise((r) => page.once('close', r));
    await page.close({ runBeforeUnload: true });
    await closed;
    assert.equal(dialogs.length, before, 'no warning when nothing is being recorded');
  } finally {
    await browser.close();
  }
});
