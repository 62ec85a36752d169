// Evaluation under stress: a model file that the engine rejects leaves the
// model in use working; inputs are disabled during a run and a model picked
// meanwhile is queued, not dropped; unlabelled data shows no confusion
// matrix; the predictions table fits at 1280 px and scrolls in a focusable
// region at 320 px; the audio cache stays within its budget; inference
// runs in a Web Worker; a missing sound-type model is reported.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { startServer, launch, shot, DESKTOP } from './browser.mjs';
import { fixtures, parityModel, root } from './paths.mjs';
import { assertAccessible } from './a11y.mjs';
import { openResearch, unlock, waitReady, NARROW, assertNoOverflow } from './research-helpers.mjs';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'tm2-research-robust-'));
const CLIPS = ['coswara_cough_16k.wav', 'coswara_counting_16k.wav', 'coswara_breathing_16k.wav'];
const MODALITIES = ['cough', 'speech', 'breath'];
let server;

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// `groups` participants, each with the three Coswara clips and a label.
function labelledZip(groups, name) {
  const files = {};
  const lines = ['path,label,group,modality'];
  CLIPS.forEach((c) => { files[`audio/${c}`] = new Uint8Array(readFileSync(path.join(fixtures, 'audio', c))); });
  for (let g = 0; g < groups; g++) {
    CLIPS.forEach((c, b) => lines.push(`audio/${c},${['class_a', 'class_b', 'class_c'][g % 3]},g${String(g).padStart(3, '0')},${MODALITIES[b]}`));
  }
  files['manifest.csv'] = strToU8(`${lines.join('\n')}\n`);
  const file = path.join(tmp, name);
  writeFileSync(file, zipSync(files));
  return file;
}

async function evaluated(page, model) {
  await page.waitForFunction((m) => window.research.evaluation?.model === m || !document.getElementById('alert').hidden, model, { timeout: 30000 });
  assert.equal(await page.isHidden('#alert'), true, await page.textContent('#alert'));
  return page.evaluate(() => window.research.evaluation);
}

test('a rejected model file leaves the model in use working; the table fits at 1280 px; inference in a worker', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    const { page, errors } = await openResearch(context, server.url, '?sw=off');
    await unlock(page);
    await page.setInputFiles('#model-file', parityModel);
    await page.waitForFunction(() => /in use/.test(document.getElementById('status').textContent));
    await page.setInputFiles('#eval-zip', labelledZip(3, 'three.zip'));
    const ev = await evaluated(page, 'parity_multibranch.tm2');
    assert.equal(ev.results.length, 3);

    // At 1280 px every column of the predictions table is on screen without scrolling.
    const fit = await page.evaluate(() => {
      const wrap = document.querySelector('#predictions').parentElement;
      const last = [...document.querySelectorAll('#predictions thead th')].pop().getBoundingClientRect();
      return { right: last.right, width: document.documentElement.clientWidth, scroll: wrap.scrollWidth, client: wrap.clientWidth };
    });
    assert.ok(fit.right <= fit.width, `the last column ends at ${fit.right} px in a ${fit.width} px window`);
    assert.ok(fit.scroll <= fit.client, `the table needs no scrolling (${fit.scroll} > ${fit.client})`);
    await assertAccessible(page, 'evaluation with results (desktop)');
    await assertNoOverflow(page, 'evaluation with results (desktop)');
    await shot(page, 'research-desktop-evaluation-fits');

    // A truncated model file: refused, named, and the model in use still runs.
    const bad = path.join(tmp, 'truncated.tm2');
    writeFileSync(bad, readFileSync(parityModel).subarray(0, 200));
    await page.setInputFiles('#model-file', bad);
    await page.waitForFunction(() => !document.getElementById('alert').hidden);
    assert.match(await page.textContent('#alert'), /truncated\.tm2 is not a usable model \(.+\)\. The model in use is still parity_multibranch\.tm2\./);
    assert.deepEqual(await page.$$eval('#model-select option', (o) => o.map((x) => x.textContent)), ['parity_multibranch.tm2']);
    assert.match(await page.textContent('#model-info'), /^parity_multibranch\.tm2:/);
    await assertAccessible(page, 'evaluation error (desktop)');
    await shot(page, 'research-desktop-evaluation-bad-model');
    await page.evaluate(() => { window.research.evaluation = null; });
    await page.setInputFiles('#eval-zip', labelledZip(3, 'three-again.zip'));
    const again = await evaluated(page, 'parity_multibranch.tm2');
    assert.deepEqual(again.results.map((r) => r.probabilities), ev.results.map((r) => r.probabilities));
    assert.ok(page.workers().some((w) => /eval-worker\.js$/.test(w.url())), 'the evaluation engine runs in a Web Worker');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('during an evaluation the inputs are disabled and a model picked meanwhile is queued, then used', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    const { page, errors } = await openResearch(context, server.url, '?sw=off');
    await unlock(page);
    await page.setInputFiles('#model-file', parityModel);
    await page.waitForFunction(() => /in use/.test(document.getElementById('status').textContent));
    const copy = readFileSync(parityModel).toString('base64');
    await page.setInputFiles('#eval-zip', labelledZip(400, 'many.zip'));
    await page.waitForFunction(() => window.research.evalRunning === true, null, { timeout: 30000 });
    for (const id of ['model-file', 'model-select', 'eval-zip', 'eval-folder', 'eval-stored']) {
      assert.equal(await page.isDisabled(`#${id}`), true, `#${id} is disabled during the run`);
    }
    assert.equal(await page.getAttribute('#evaluate', 'aria-busy'), 'true');
    // A file dialog opened before the run returns now: the pick is queued.
    await page.evaluate((b64) => {
      const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'second.tm2'));
      const input = document.getElementById('model-file');
      input.files = dt.files;
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, copy);
    assert.match(await page.textContent('#eval-queue'), /Queued: adding the model second\.tm2/);
    assert.equal(await page.evaluate(() => window.research.evalRunning), true, 'still running when the pick arrived');
    await assertAccessible(page, 'evaluation running (desktop)');
    const ev = await evaluated(page, 'second.tm2');
    assert.equal(ev.results.length, 400);
    assert.deepEqual(await page.$$eval('#model-select option', (o) => o.map((x) => x.textContent)), ['parity_multibranch.tm2', 'second.tm2']);
    assert.equal(await page.textContent('#eval-queue'), '');
    assert.equal(await page.isDisabled('#model-file'), false);
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('unlabelled recordings at 320 px: no confusion matrix, a focusable scrolling table, a bounded audio cache', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: NARROW, serviceWorkers: 'block' });
    // Room for about one decoded 5-s clip (160 KB of 16-bit samples).
    const { page, errors } = await openResearch(context, server.url, '?sw=off&audioCache=200000');
    await unlock(page);
    await page.setInputFiles('#model-file', path.join(root, 'models/sound-gate.tm2'));
    await page.waitForFunction(() => /in use/.test(document.getElementById('status').textContent));
    const files = {};
    for (const c of CLIPS) files[`plain/${c}`] = new Uint8Array(readFileSync(path.join(fixtures, 'audio', c)));
    const zip = path.join(tmp, 'plain.zip');
    writeFileSync(zip, zipSync(files));
    await page.setInputFiles('#eval-zip', zip);
    const ev = await evaluated(page, 'sound-gate.tm2');
    assert.equal(ev.metrics.scored, 0);
    assert.match(await page.textContent('#metrics'), /no metrics/);
    assert.equal(await page.isVisible('#confusion'), false, 'no all-zero confusion matrix for unlabelled data');
    assert.equal(ev.results.length + ev.refused.length, 3);
    const cache = await page.evaluate(() => window.research.audioCache);
    assert.ok(cache.bytes <= 200000 && cache.limit === 200000, `cache ${cache.bytes} bytes in a 200000-byte budget`);
    assert.ok(cache.entries < 3, 'older clips were let go');
    // The table scrolls sideways inside a labelled, focusable region.
    const region = await page.evaluate(() => {
      const wrap = document.querySelector('#predictions').parentElement;
      return { role: wrap.getAttribute('role'), tab: wrap.tabIndex, label: wrap.getAttribute('aria-labelledby'), scrolls: wrap.scrollWidth > wrap.clientWidth };
    });
    assert.deepEqual(region, { role: 'region', tab: 0, label: 'predictions-caption', scrolls: true });
    await assertAccessible(page, 'evaluation with results (320)');
    await assertNoOverflow(page, 'evaluation with results (320)');
    await shot(page, 'research-320-evaluation-unlabelled');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('a sound-type model that cannot be fetched is reported, not read as a model', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    await context.route('**/models/manifest.json', (route) => route.fulfill({
      json: { format: 1, screening: null, gate: { url: 'missing-gate.tm2', labels: { cough: 'cough' }, threshold: 0.2 } },
    }));
    const page = await context.newPage();
    await page.goto(`${server.url}research/?sw=off`);
    await waitReady(page);
    assert.match(await page.textContent('#alert'),
      /The sound-type check is not available: \/models\/missing-gate\.tm2 could not be loaded \(HTTP 404\)\. Recordings are checked for length and level only\./);
    await assertAccessible(page, 'start with an alert');
    await unlock(page);
    assert.match(await page.textContent('#gate-note'), /HTTP 404/);
  } finally {
    await browser.close();
  }
});
