// Research mode's two audiences on one device: the participant view
// (consent to finish) shows nothing stored and nothing meant for the
// researcher; the researcher screens open with a passcode (a kiosk lock).
// A participant corrects answers before finishing and can withdraw. While
// recording: a seconds-left timer and a warning when leaving. Focus after a
// take, axe-core in every state, no sideways scrolling at 320 px.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startServer, launch, shot, DESKTOP } from './browser.mjs';
import { fixtures } from './paths.mjs';
import { assertAccessible } from './a11y.mjs';
import {
  openResearch, waitReady, startParticipant, recordTake, finishSession, unlock, PASSCODE, NARROW, assertNoOverflow, readStore,
  unzipFile, text,
} from './research-helpers.mjs';
import { readManifestCsv, splitCsvLine } from '../../web/research/manifest.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';

const COUGH = path.join(fixtures, 'audio', 'coswara_cough_16k.wav');
const KEYS = ['cough-1', 'cough-2', 'counting-1', 'breathing-1'];
const ETHICS_NOTE = 'Replace the texts with the ones your ethics approval names';
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tm2-research-kiosk-'));
let server;

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Nothing stored and nothing for the researcher is on screen or in the page.
async function assertParticipantView(page, view, others) {
  for (const sel of ['#study', '#data', '#evaluate', '#sessions', '#export', '#delete-all', '#model-file', '#researcher', '#protocol-file']) {
    assert.equal(await page.isVisible(sel), false, `${view}: ${sel} is hidden`);
  }
  assert.equal(await page.$$eval('#sessions tbody tr', (r) => r.length), 0, `${view}: the stored-data table is empty`);
  const visible = await page.evaluate(() => document.body.innerText);
  for (const o of others) assert.ok(!visible.includes(o), `${view}: another participant's code (${o}) is not shown`);
  assert.ok(!visible.includes(ETHICS_NOTE), `${view}: the researcher's note on ethics texts is not shown`);
  assert.ok(!/Stored data|Evaluate a model|Export/.test(visible), `${view}: no researcher control is named`);
}

test('participants and researchers apart: kiosk lock, editable answers, withdraw', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block', acceptDownloads: true });
    const { page, errors } = await openResearch(context, server.url, '?countdown=0&seconds=3.2&sw=off');
    // First use: the researcher sets a passcode; only a salted hash is kept.
    assert.equal(await page.isVisible('#data'), false, 'locked at start');
    assert.match(await page.textContent('#lock-h'), /Set a researcher passcode/);
    await unlock(page);
    assert.ok(await page.isVisible('#data') && await page.isVisible('#evaluate') && await page.isVisible('#study'));
    const stored = await readStore(page);
    assert.ok(!stored.meta.includes(PASSCODE), 'the passcode itself is not stored');
    const record = JSON.parse(stored.meta).find((m) => m.key === 'passcode').value;
    assert.equal(record.hash.length, 32);
    assert.ok(record.iterations >= 100000);

    // Participant 1 records a full session.
    const first = await startParticipant(page, 'positive');
    await assertParticipantView(page, 'tasks (participant 1)', []);
    for (const k of KEYS) await recordTake(page, k);
    await finishSession(page);
    assert.equal(await page.isVisible('#data'), false, 'still locked after a session');

    // Participant 2: nothing of participant 1 in any view; answers corrected before finishing.
    await page.click('#next-participant');
    await page.waitForSelector('#consent-view:not([hidden])');
    await assertParticipantView(page, 'consent', [first]);
    await page.check('#consent-agree');
    await page.click('#consent-continue');
    await page.waitForSelector('#questions-view:not([hidden])');
    await assertParticipantView(page, 'questions', [first]);
    const second = await page.textContent('#participant-id');
    await page.check('#questions-view input[value="positive"]');
    await page.click('#questions-continue');
    await page.waitForSelector('#tasks-view:not([hidden])');
    await recordTake(page, 'cough-1');
    await page.click('#edit-answers');
    await page.waitForSelector('#questions-view:not([hidden])');
    assert.equal(await page.isChecked('#questions-view input[value="positive"]'), true, 'the answers given are filled in');
    await page.check('#questions-view input[value="negative"]');
    await page.click('#questions-continue');
    await page.waitForSelector('#tasks-view:not([hidden])');
    assert.ok(await page.getAttribute('#take-cough-1', 'data-saved'), 'the saved take is still there');
    for (const k of KEYS.slice(1)) await recordTake(page, k);
    await page.click('#review-button');
    await page.waitForSelector('#review-view:not([hidden])');
    await assertParticipantView(page, 'review', [first]);
    assert.match(await page.textContent('#review-body'), /negative/);
    // Changed once more from the review, then back.
    await page.click('#review-edit-answers');
    await page.waitForSelector('#questions-view:not([hidden])');
    await page.check('#questions-view input[value="18-29"]');
    await page.click('#questions-continue');
    await page.waitForSelector('#review-view:not([hidden])');
    assert.match(await page.textContent('#review-body'), /18-29/);
    await page.click('#finish');
    await page.waitForSelector('#done-view:not([hidden])');

    // Participant 3 withdraws after one take: answers and takes are deleted.
    const third = await startParticipant(page, 'positive', { next: true });
    await recordTake(page, 'cough-1');
    assert.equal((await readStore(page)).takes.filter((t) => t.session === third).length, 1);
    await page.click('#withdraw');
    await page.waitForSelector('#start-view:not([hidden])');
    // The status is said once the stored data is refreshed, after the view switches.
    await page.waitForFunction(() => /withdrawn/.test(document.getElementById('status').textContent));
    assert.match(await page.textContent('#status'), /withdrawn: your answers and recordings were deleted/);
    const after3 = await readStore(page);
    assert.deepEqual(after3.sessions.filter((s) => s.id === third), []);
    assert.deepEqual(after3.takes.filter((t) => t.session === third), []);

    // A wrong passcode keeps the screens locked.
    await page.fill('#passcode', 'not-the-passcode');
    await page.click('#unlock');
    await page.waitForFunction(() => !document.getElementById('alert').hidden);
    assert.match(await page.textContent('#alert'), /Wrong passcode/);
    assert.equal(await page.isVisible('#data'), false);
    await assertAccessible(page, 'wrong passcode');
    await shot(page, 'research-desktop-wrong-passcode');

    // The researcher sees both sessions, with the corrected label.
    await unlock(page);
    const table = await page.$$eval('#sessions tbody tr', (trs) => trs.map((tr) => [...tr.children].slice(0, 5).map((c) => c.textContent)));
    assert.deepEqual(table.map((r) => [r[0], r[2], r[4]]), [[first, 'positive', 'complete'], [second, 'negative', 'complete']]);
    await shot(page, 'research-desktop-researcher-unlocked');
    // Lock now hides them again.
    await page.click('#lock');
    await page.waitForSelector('#researcher-screens', { state: 'hidden' });
    assert.equal(await page.$$eval('#sessions tbody tr', (r) => r.length), 0);

    // The export carries the corrected label, and two exports get two names.
    await unlock(page);
    const [d1] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    await page.waitForFunction(() => /^Exported/.test(document.getElementById('status').textContent));
    const [d2] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    assert.notEqual(d1.suggestedFilename(), d2.suggestedFilename());
    assert.match(d1.suggestedFilename(), /^cough-speech-breath-\d{8}-\d{6}(-\d+)?\.zip$/);
    await d1.saveAs(path.join(tmp, 'a.zip'));
    const rows = readManifestCsv(text(unzipFile(path.join(tmp, 'a.zip'))['manifest.csv']));
    assert.deepEqual([...new Set(rows.map((r) => `${r.group} ${r.label}`))], [`${first} positive`, `${second} negative`]);

    // An unfinished session, exported on request, is flagged; every take
    // carries its time, rate, input device and browser.
    const fourth = await startParticipant(page, 'negative', { next: false });
    await recordTake(page, 'cough-1');
    await page.reload();
    await waitReady(page);
    await unlock(page);
    await page.check('#include-unfinished');
    const [d3] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    await d3.saveAs(path.join(tmp, 'b.zip'));
    const csv = text(unzipFile(path.join(tmp, 'b.zip'))['manifest.csv']);
    assert.equal(csv.split('\n')[0], 'path,label,group,modality,split,session_status,recorded_at,sample_rate,input_device,browser');
    const fields = csv.trim().split('\n').slice(1).map(splitCsvLine);
    const status = new Map(fields.map((f) => [f[2], f[5]]));
    assert.deepEqual([...status], [[first, 'complete'], [second, 'complete'], [fourth, 'unfinished']]);
    for (const f of fields) {
      assert.match(f[6], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'recorded_at is an ISO time');
      assert.ok(['44100', '48000'].includes(f[7]), `sample_rate ${f[7]}`);
      assert.ok(f[8].length > 0, 'the input device is named');
      assert.match(f[9], /Chrom/, `browser ${f[9]}`);
    }
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('recording: seconds left, a warning before leaving, focus on the next step; accessible in every state at desktop and 320 px', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  try {
    for (const [name, viewport] of [['desktop', DESKTOP], ['320', NARROW]]) {
      const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
      const { page, errors } = await openResearch(context, server.url, '?countdown=0&seconds=3.2&sw=off');
      const check = async (state) => {
        await assertAccessible(page, `${state} (${name})`);
        await assertNoOverflow(page, `${state} (${name})`);
      };
      await check('locked, first use');
      await unlock(page);
      await check('researcher screens');
      await shot(page, `research-${name}-researcher`);
      if (await page.$('#lock')) {
        await page.click('#lock');
        await page.waitForSelector('#lock-view:not([hidden])');
        await check('locked');
        await shot(page, `research-${name}-locked`);
      }

      await page.click('#new-session');
      await page.waitForSelector('#consent-view:not([hidden])');
      await check('consent');
      await shot(page, `research-${name}-consent`);
      await page.check('#consent-agree');
      await page.click('#consent-continue');
      await page.waitForSelector('#questions-view:not([hidden])');
      await check('questions');
      await page.check('#questions-view input[value="negative"]');
      await page.click('#questions-continue');
      await page.waitForSelector('#tasks-view:not([hidden])');
      await check('tasks');

      // Recording: the timer counts down; axe and layout while it runs.
      await page.click('#take-cough-1 .record');
      await page.waitForFunction(() => /^\d+ s left$/.test(document.querySelector('#take-cough-1 .timer').textContent));
      assert.equal(await page.getAttribute('#take-cough-1 .timer', 'role'), 'timer');
      await check('recording');
      await shot(page, `research-${name}-recording`);
      await page.waitForSelector('#take-cough-1[data-state="saved"]', { timeout: 30000 });
      // Focus goes to the next take's Record button once the controls are back.
      await page.waitForFunction(() => document.activeElement === document.querySelector('#take-cough-2 .record'));
      await check('task done');
      await shot(page, `research-${name}-task-done`);
      for (const k of ['cough-2', 'counting-1']) {
        await page.keyboard.press('Enter'); // the focused Record button
        await page.waitForSelector(`#take-${k}[data-state="saved"]`, { timeout: 30000 });
      }
      await page.waitForFunction(() => document.activeElement === document.querySelector('#take-breathing-1 .record'));
      await page.keyboard.press('Enter');
      await page.waitForSelector('#take-breathing-1[data-state="saved"]', { timeout: 30000 });
      await page.waitForFunction(() => document.activeElement === document.getElementById('review-button'));
      await page.keyboard.press('Enter');
      await page.waitForSelector('#review-view:not([hidden])');
      await check('review');
      await page.click('#finish');
      await page.waitForSelector('#done-view:not([hidden])');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'next-participant');
      await check('finished');
      await shot(page, `research-${name}-finished`);

      if (name === 'desktop') {
        // Leaving mid-recording: the browser asks first.
        await startParticipant(page, 'positive', { next: true });
        const dialogs = [];
        page.on('dialog', (d) => dialogs.push(d.type()));
        await page.click('#take-cough-1 .record');
        await page.waitForFunction(() => /s left$/.test(document.querySelector('#take-cough-1 .timer').textContent));
        const closed = page.waitForEvent('close');
        await page.close({ runBeforeUnload: true });
        await closed;
        assert.deepEqual(dialogs, ['beforeunload']);
      }
      assert.deepEqual(errors, []);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});
