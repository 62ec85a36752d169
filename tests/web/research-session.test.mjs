// Research mode in Chromium with the fake microphone playing a real clip:
// two participants recorded with a study protocol loaded from a file, a
// reload in the middle of a session that keeps and resumes it, the export
// ZIP checked in node (WAV headers, durations, manifest), the factory's own
// manifest reader on the extracted export and a factory training run on it,
// the trained model loaded back and evaluated on the stored sessions, an
// import of the ZIP into a fresh browser profile; then a full quota and a
// microphone permission lost mid-session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { startServer, launch, shot, PHONE, DESKTOP } from './browser.mjs';
import { fixtures, root } from './paths.mjs';
import { readManifestCsv } from '../../web/research/manifest.js';
import { FAST, openResearch, waitReady, startParticipant, recordTake, finishSession, unzipFile, text, wavHeader, unlock } from './research-helpers.mjs';

const COUGH = path.join(fixtures, 'audio', 'coswara_cough_16k.wav');
const PROTOCOL = path.join(root, 'tests/web/fixtures/research-protocol.json');
const FACTORY = path.join(root, 'build/native/native/factory/tm2-factory');
const CLI = path.join(root, 'build/native/native/cli/tinym2');
const KEYS = ['cough-1', 'cough-2', 'counting-1', 'breathing-1'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tm2-research-'));
let server;

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

test('research session: consent, questions, takes, reload and resume, export, factory, evaluation, import', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  try {
    const context = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block', acceptDownloads: true });
    let { page, errors } = await openResearch(context, server.url);
    await shot(page, 'research-phone-0-start');
    // A study protocol from a file applies to new participants (a researcher setting).
    await unlock(page);
    await page.setInputFiles('#protocol-file', PROTOCOL);
    await page.waitForFunction(() => /Loaded the protocol/.test(document.getElementById('status').textContent));
    assert.equal(await page.textContent('#study-name'), 'Browser test study');

    const first = await startParticipant(page, 'positive');
    await shot(page, 'research-phone-1-tasks');
    await recordTake(page, 'cough-1');
    await recordTake(page, 'cough-2');
    await shot(page, 'research-phone-2-two-saved');

    // Reload mid-session: both takes are still there and the session resumes.
    await page.reload();
    await waitReady(page);
    assert.match(await page.textContent('#resume-note'), new RegExp(`${first} has an unfinished session .*2 of 4 takes saved`));
    assert.equal(await page.textContent('#study-name'), 'Browser test study', 'the loaded protocol survives a reload');
    await page.click('#resume');
    await page.waitForSelector('#tasks-view:not([hidden])');
    for (const k of ['cough-1', 'cough-2']) assert.equal(await page.getAttribute(`#take-${k}`, 'data-state'), 'saved');
    assert.equal(await page.isDisabled('#review-button'), true);
    await recordTake(page, 'counting-1');
    await recordTake(page, 'breathing-1');
    await finishSession(page, 'research-phone-3');

    const second = await startParticipant(page, 'negative', { next: true });
    for (const k of KEYS) await recordTake(page, k);
    await finishSession(page);
    assert.notEqual(first, second);
    await unlock(page);
    assert.match(await page.textContent('#storage'), /2 sessions, 8 takes, .* of audio\. Browser storage used: .* of .* \(.* left\)/);
    await shot(page, 'research-phone-4-stored');

    // Export.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    assert.match(download.suggestedFilename(), /^test-study-\d{8}-\d{6}\.zip$/);
    const zipFile = path.join(tmp, 'export.zip');
    await download.saveAs(zipFile);
    assert.match(await page.textContent('#status'), /Exported 8 recordings of 2 participants/);

    const zip = unzipFile(zipFile);
    const manifestJson = JSON.parse(text(zip['manifest.json']));
    assert.deepEqual(JSON.parse(text(zip['protocol.json'])).tasks.map((t) => t.id), ['cough', 'counting', 'breathing']);
    const csv = text(zip['manifest.csv']);
    assert.equal(csv.split('\n')[0], 'path,label,group,modality,split,session_status,recorded_at,sample_rate,input_device,browser');
    const rows = readManifestCsv(csv);
    assert.equal(rows.length, 8);
    assert.deepEqual(Object.keys(zip).filter((n) => n.endsWith('.wav')).sort(), rows.map((r) => r.path).sort());
    for (const [who, label] of [[first, 'positive'], [second, 'negative']]) {
      const mine = rows.filter((r) => r.group === who);
      assert.deepEqual(mine.map((r) => r.path), KEYS.map((k) => `audio/${who}/${k}.wav`));
      assert.deepEqual(mine.map((r) => r.modality), ['cough', 'cough', 'speech', 'breath']);
      assert.ok(mine.every((r) => r.label === label && r.split === ''));
    }
    for (const r of manifestJson.rows) {
      const bytes = zip[r.path];
      const h = wavHeader(bytes);
      assert.deepEqual([h.riff, h.wave, h.fmt, h.data], ['RIFF', 'WAVE', 'fmt ', 'data']);
      assert.deepEqual([h.format, h.channels, h.bits, h.blockAlign], [1, 1, 16, 2]);
      assert.equal(h.sampleRate, r.sampleRate, 'stored at the capture rate');
      assert.ok([44100, 48000].includes(h.sampleRate), `capture rate ${h.sampleRate}`);
      assert.equal(h.byteRate, 2 * h.sampleRate);
      assert.equal(h.dataBytes, bytes.length - 44);
      assert.equal(h.riffBytes, bytes.length - 8);
      assert.equal(h.dataBytes / 2, r.frames);
      const seconds = r.frames / h.sampleRate;
      assert.ok(Math.abs(seconds - 1.5) < 0.06, `${r.path}: ${seconds} s`);
    }

    // The factory reads the extracted export.
    const dir = path.join(tmp, 'export');
    for (const [name, bytes] of Object.entries(zip)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), bytes);
    }
    let model = null;
    if (existsSync(FACTORY)) {
      const out = execFileSync(FACTORY, ['manifest', 'manifest', path.join(dir, 'manifest.csv'), path.join(tmp, 'read-back.csv')], { encoding: 'utf8' });
      assert.match(out, /^8 rows -> /);
      const readBack = readManifestCsv(readFileSync(path.join(tmp, 'read-back.csv'), 'utf8'), 'read-back.csv');
      assert.ok(readBack.every((r) => path.isAbsolute(r.path) && existsSync(r.path)));
      assert.deepEqual(readBack.map((r) => [r.label, r.group, r.modality]), rows.map((r) => [r.label, r.group, r.modality]));
      // Train a tiny cough model on the export (the factory's test recipe
      // with this study's labels), for the evaluation below.
      const recipe = JSON.parse(readFileSync(path.join(root, 'tests/factory/tiny_recipe.json'), 'utf8'));
      recipe.name = 'research-export-cough';
      recipe.labels = ['negative', 'positive'];
      recipe.data = { format: 'manifest', validation_fraction: 0.5, split_seed: 1 };
      recipe.branches[0].modality = 'cough';
      recipe.train.epochs = 3;
      recipe.train.qat_epochs = 1;
      writeFileSync(path.join(tmp, 'recipe.json'), JSON.stringify(recipe));
      execFileSync(FACTORY, ['train', path.join(tmp, 'recipe.json'), '--data', path.join(dir, 'manifest.csv'),
        '--out', path.join(tmp, 'trained')], { encoding: 'utf8', stdio: 'pipe' });
      model = path.join(tmp, 'trained', 'research-export-cough.tm2');
      assert.ok(existsSync(model));
    } else {
      console.log('# tm2-factory is not built: the export was checked against the reader rules of docs/factory.md only');
    }

    // The trained model, loaded into the page, evaluated on the stored sessions.
    if (model) {
      await page.setInputFiles('#model-file', model);
      await page.waitForFunction(() => /in use/.test(document.getElementById('status').textContent));
      await page.click('#eval-stored');
      await page.waitForFunction(() => window.research.evaluation !== null);
      const ev = await page.evaluate(() => window.research.evaluation);
      assert.equal(ev.results.length, 4, 'one item per cough take');
      assert.equal(ev.metrics.scored, 4);
      await shot(page, 'research-phone-5-evaluated-trained');
      if (existsSync(CLI)) {
        for (const r of ev.results) {
          const out = execFileSync(CLI, ['run', model, path.join(dir, r.paths[0])], { encoding: 'utf8' });
          const native = out.split('\n').filter((l) => /^(negative|positive)\s/.test(l)).map((l) => l.trim().split(/\s+/)[1]);
          assert.deepEqual(r.probabilities.map((p) => p.toFixed(4)), native, r.paths[0]);
        }
      }
    }
    assert.deepEqual(errors, []);
    await context.close();

    // Import into a fresh profile.
    const fresh = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    ({ page, errors } = await openResearch(fresh, server.url));
    await unlock(page);
    await page.setInputFiles('#import-file', zipFile);
    await page.waitForFunction(() => /Imported 2 sessions/.test(document.getElementById('status').textContent));
    const table = await page.$$eval('#sessions tbody tr', (trs) => trs.map((tr) => [...tr.children].slice(0, 5).map((c) => c.textContent)));
    assert.deepEqual(table.map((r) => [r[0], r[2], r[3], r[4]]).sort(),
      [[first, 'positive', '4 / 4', 'complete'], [second, 'negative', '4 / 4', 'complete']].sort());
    await shot(page, 'research-desktop-imported');
    // Importing again changes nothing.
    await page.setInputFiles('#import-file', zipFile);
    await page.waitForFunction(() => /2 already stored/.test(document.getElementById('status').textContent));
    assert.deepEqual(errors, []);
    await fresh.close();
  } finally {
    await browser.close();
  }
});

// Page-level stand-ins: navigator.storage.estimate reports a full quota
// while window.__full is set; getUserMedia refuses while window.__deny is
// set, and the streams it gave out are kept so the test can end them.
const OVERRIDES = () => {
  const estimate = navigator.storage.estimate.bind(navigator.storage);
  navigator.storage.estimate = async () => (window.__full ? { usage: 2e9 - 5e5, quota: 2e9 } : estimate());
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__streams = [];
  navigator.mediaDevices.getUserMedia = async (c) => {
    if (window.__deny) throw new DOMException('Permission denied', 'NotAllowedError');
    const s = await gum(c);
    window.__streams.push(s);
    return s;
  };
};

test('research errors: a full quota and a lost microphone permission keep what was stored', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    await context.addInitScript(OVERRIDES);
    const { page, errors } = await openResearch(context, server.url);
    assert.match(await page.textContent('#study-name'), /Cough, speech and breath/, 'the default protocol');
    const who = await startParticipant(page, 'negative');
    await recordTake(page, 'cough-1');

    await page.evaluate(() => { window.__full = true; });
    await recordTake(page, 'cough-2', 'storage-full');
    assert.match(await page.textContent('#alert'), /Storage is full: .*was not saved\. Everything saved before is kept/);
    assert.match(await page.textContent('#storage'), /Storage is full: the last take could not be written/);
    await shot(page, 'research-desktop-error-quota');

    await page.evaluate(() => {
      window.__full = false;
      window.__deny = true;
      for (const s of window.__streams) for (const t of s.getTracks()) t.stop();
    });
    await recordTake(page, 'cough-2', 'mic-denied');
    assert.match(await page.textContent('#alert'), /Microphone access was denied.*The 1 take already saved for this participant is kept/);
    await shot(page, 'research-desktop-error-permission');

    await page.reload();
    await waitReady(page);
    assert.match(await page.textContent('#resume-note'), new RegExp(`${who} has an unfinished session .*1 of 4 takes saved`));
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
