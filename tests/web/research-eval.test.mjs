// Evaluation in research mode: a ZIP of real clips with a factory manifest
// (nested in a folder, three participants x cough/speech/breath) through the
// three-branch parity model gives exactly the native engine's probabilities
// (the float bits of tests/parity/expected_hashes.txt, and the digits of
// `tinym2 run` when built); metrics, the confusion matrix and the CSV
// download; then a switch to a second model and back without a reload.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { zipSync, strToU8 } from 'fflate';
import { startServer, launch, shot, DESKTOP } from './browser.mjs';
import { fixtures, parityModel, root } from './paths.mjs';
import { openResearch, unlock } from './research-helpers.mjs';

const CLI = path.join(root, 'build/native/native/cli/tinym2');
const FACTORY = path.join(root, 'build/native/native/factory/tm2-factory');
// The parity cases (tests/parity/parity_run.cc), one participant each.
const CASES = {
  coswara: ['coswara_cough_16k.wav', 'coswara_counting_16k.wav', 'coswara_breathing_16k.wav'],
  mixed_rates: ['covid_telegram_cough_48k.wav', 'speech_commands_yes_16k.wav', 'covid_callcenter_cough_8k_stereo.wav'],
  rate_swaps: ['covid_callcenter_cough_8k_stereo.wav', 'covid_telegram_cough_48k.wav', 'speech_commands_yes_16k.wav'],
};
const LABELS = { coswara: 'class_b', mixed_rates: 'class_a', rate_swaps: 'class_b' };
const MODALITIES = ['cough', 'speech', 'breath'];
const tmp = mkdtempSync(path.join(os.tmpdir(), 'tm2-research-eval-'));
let server;

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
const probHash = (probs) => fnv1a64(new Uint8Array(Float32Array.from(probs).buffer));
function expectedProbHash(name) {
  const line = readFileSync(path.join(root, 'tests/parity/expected_hashes.txt'), 'utf8').split('\n').find((l) => l.startsWith(`${name} `));
  return line.trim().split(/\s+/)[3];
}

function nativeDigits(model, files, labels) {
  const out = execFileSync(CLI, ['run', model, ...files], { encoding: 'utf8' });
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => labels.includes(f[0])).map((f) => f[1]);
}

function buildZip() {
  const files = {};
  const lines = ['group,path,modality,label'];
  for (const [group, clips] of Object.entries(CASES)) {
    clips.forEach((clip, b) => {
      files[`study/audio/${clip}`] = new Uint8Array(readFileSync(path.join(fixtures, 'audio', clip)));
      lines.push(`${group},audio/${clip},${MODALITIES[b]},${LABELS[group]}`);
    });
  }
  files['study/manifest.csv'] = strToU8(`${lines.join('\n')}\n`);
  const file = path.join(tmp, 'clips.zip');
  writeFileSync(file, zipSync(files));
  return file;
}

async function evaluation(page, previous) {
  await page.waitForFunction((model) => (window.research.evaluation && window.research.evaluation.model !== model) ||
    !document.getElementById('alert').hidden, previous);
  assert.equal(await page.isHidden('#alert'), true, await page.textContent('#alert'));
  return page.evaluate(() => window.research.evaluation);
}

test('evaluation on a ZIP of real clips matches the native engine; metrics, CSV and a model switch', async () => {
  const zip = buildZip();
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block', acceptDownloads: true });
    const { page, errors } = await openResearch(context, server.url, '?sw=off');
    await unlock(page);
    await page.evaluate(() => { window.__noReload = true; });
    const requests = [];
    context.on('request', (req) => requests.push(req.url()));
    await page.setInputFiles('#eval-zip', zip);
    await page.waitForFunction(() => /Recordings loaded/.test(document.getElementById('status').textContent));
    assert.match(await page.textContent('#eval-source'), /clips\.zip: 9 recordings with labels from study\/manifest\.csv/);
    await page.setInputFiles('#model-file', parityModel);
    const ev = await evaluation(page, null);
    assert.deepEqual(ev.results.map((r) => r.group), Object.keys(CASES));
    for (const r of ev.results) {
      assert.deepEqual(r.paths, CASES[r.group].map((c) => `study/audio/${c}`));
      assert.equal(probHash(r.probabilities), expectedProbHash(r.group), `${r.group}: the native engine's float bits`);
      if (existsSync(CLI)) {
        const native = nativeDigits(parityModel, CASES[r.group].map((c) => path.join(fixtures, 'audio', c)), ev.labels);
        assert.deepEqual(r.probabilities.map((p) => p.toFixed(4)), native, r.group);
      }
    }
    // The table shows the same digits.
    const cells = await page.$$eval('#predictions tbody tr', (trs) => trs.map((tr) => [...tr.children].slice(5).map((c) => c.textContent)));
    assert.deepEqual(cells, ev.results.map((r) => r.probabilities.map((p) => p.toFixed(4))));
    // Metrics: three labelled items over three classes (no AUC: not binary).
    assert.equal(ev.metrics.scored, 3);
    const predicted = ev.results.map((r) => ev.labels[r.probabilities.indexOf(Math.max(...r.probabilities))]);
    const correct = predicted.filter((p, i) => p === ev.results[i].label).length;
    assert.equal(ev.metrics.accuracy, correct / 3);
    assert.match(await page.textContent('#metrics'), new RegExp(`Accuracy ${(correct / 3).toFixed(3)} on 3 labelled items`));
    assert.equal(ev.metrics.confusion.flat().reduce((a, b) => a + b), 3);
    assert.match(await page.getAttribute('#confusion', 'aria-label'), /true class_b, predicted class_b: \d/);
    const painted = await page.$eval('#confusion', (c) => {
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let dark = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++;
      return dark;
    });
    assert.ok(painted > 100, 'the confusion matrix is drawn');
    await shot(page, 'research-desktop-evaluation');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    const csvFile = path.join(tmp, 'predictions.csv');
    await download.saveAs(csvFile);
    const csv = readFileSync(csvFile, 'utf8').trim().split('\n');
    assert.equal(csv[0], 'item,paths,group,label,predicted,p_class_a,p_class_b,p_class_c,correct');
    assert.equal(csv.length, 4);
    assert.equal(csv[1].split(',')[4], predicted[0]);

    // A second model: a one-branch speech model the factory trains on its
    // fixture clips in about two seconds (or, without the factory, the same
    // model under another name). Switching re-evaluates without a reload.
    let second = path.join(tmp, 'parity-copy.tm2');
    let speechModel = false;
    if (existsSync(FACTORY)) {
      execFileSync(FACTORY, ['train', path.join(root, 'tests/factory/tiny_recipe.json'), '--data',
        path.join(fixtures, 'audio/factory/manifest.csv'), '--out', path.join(tmp, 'yes-no')], { stdio: 'pipe' });
      second = path.join(tmp, 'yes-no', 'factory-test-yes-no.tm2');
      speechModel = true;
    } else {
      writeFileSync(second, readFileSync(parityModel));
    }
    await page.setInputFiles('#model-file', second);
    const ev2 = await evaluation(page, ev.model);
    assert.equal(ev2.model, path.basename(second));
    if (speechModel) {
      assert.deepEqual(ev2.labels, ['no', 'yes']);
      assert.deepEqual(ev2.results.map((r) => r.paths[0]),
        Object.values(CASES).map((c) => `study/audio/${c[1]}`).filter((p) => !p.includes('counting')));
      assert.equal(ev2.metrics.scored, 0, 'class_* labels are not this model\'s');
      assert.match(await page.textContent('#metrics'), /no metrics/);
      // The 5-s counting is longer than the model's 2 s: refused, not cut.
      assert.deepEqual(ev2.refused.map((r) => r.paths[0]), ['study/audio/coswara_counting_16k.wav']);
      assert.match(await page.textContent('#refused'), /coswara_counting_16k\.wav: Too long: 5\.\d s\. This step takes recordings of up to 2\.0 s/);
      assert.match(await page.textContent('#metrics'), /1 refused: longer than the model takes/);
      if (existsSync(CLI)) {
        for (const r of ev2.results) {
          const file = path.join(fixtures, 'audio', path.basename(r.paths[0]));
          assert.deepEqual(r.probabilities.map((p) => p.toFixed(4)), nativeDigits(second, [file], ev2.labels));
        }
      }
    }
    await shot(page, 'research-desktop-evaluation-second-model');
    assert.deepEqual(await page.$$eval('#model-select option', (o) => o.map((x) => x.textContent)),
      ['parity_multibranch.tm2', path.basename(second)]);
    await page.selectOption('#model-select', '0');
    const back = await evaluation(page, ev2.model);
    assert.deepEqual(back.results.map((r) => probHash(r.probabilities)), ev.results.map((r) => probHash(r.probabilities)));
    assert.equal(await page.evaluate(() => window.__noReload), true, 'no reload');
    assert.deepEqual(requests.filter((u) => !u.startsWith('blob:') && !u.startsWith('data:')), [], 'no request after load');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});
