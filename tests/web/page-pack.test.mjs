// The page's models from one pack (Chromium, shipped manifest): the sound
// gate and the cough model arrive in one download (models/screening.pack.tm2)
// and one engine switches between them for the sound checks and the
// screening; the results equal those of the two separate model files
// (the page's pack codes no layer), and a pack without a named model is a
// clear message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, consent, DESKTOP } from './browser.mjs';
import { startOverridableServer, clip } from './public-helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const shipped = JSON.parse(readFileSync(path.join(root, 'models/manifest.json'), 'utf8'));
const packBytes = statSync(path.join(root, 'models', shipped.pack.url)).size;
let server;
before(async () => { server = await startOverridableServer(); });
after(async () => { await server.close(); });

// Three cough takes, each through the sound check, then the screening:
// the .tm2 files requested and the result.
async function screenThreeCoughs(browser) {
  const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
  const page = await context.newPage();
  const models = [];
  page.on('request', (r) => { if (/\.tm2$/.test(new URL(r.url()).pathname)) models.push(new URL(r.url()).pathname); });
  await page.goto(server.url);
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.textContent('#alert'));
  const footer = await page.innerText('#engine-info');
  await consent(page);
  for (let i = 0; i < 3; i++) {
    await page.setInputFiles(`#step-${i} .file`, clip('coswara_cough_16k.wav'));
    await page.waitForSelector(`#step-${i}[data-state="accepted"]`);
  }
  // A breathing clip where a cough is asked for: the gate (a switch away
  // from the screening model) refuses it.
  await page.setInputFiles('#step-0 .file', clip('coswara_breathing_16k.wav'));
  await page.waitForSelector('#step-0:not([data-state="accepted"]):not([data-state="checking"])');
  const refused = await page.getAttribute('#step-0', 'data-state');
  await page.setInputFiles('#step-0 .file', clip('coswara_cough_16k.wav'));
  await page.waitForSelector('#step-0[data-state="accepted"]');
  await page.click('#screen');
  await page.waitForSelector('#result:not([hidden])');
  const result = await page.evaluate(() => ({ probabilities: window.tm2.result.probabilities, alignments: window.tm2.result.alignments }));
  await context.close();
  return { models, footer, refused, result };
}

test('one download for the gate and the screening model; the engine switches between them', async () => {
  const browser = await launch();
  try {
    const viaPack = await screenThreeCoughs(browser);
    assert.deepEqual(viaPack.models, [`/models/${shipped.pack.url}`], 'the pack is the only model file downloaded');
    assert.match(viaPack.footer, /one models file \(sound-gate-tile, covid-cough\)/);
    assert.match(viaPack.footer, new RegExp(`${(packBytes / 1024).toFixed(1)} KB`));
    assert.notEqual(viaPack.refused, 'accepted', 'breathing refused where a cough was asked for');
    // The same page on the two separate files (the manifest without its
    // pack): the same bytes of every result.
    const { pack, ...separate } = shipped;
    server.override('/models/manifest.json', { body: JSON.stringify(separate), headers: { 'Content-Type': 'application/json' } });
    let viaFiles;
    try {
      viaFiles = await screenThreeCoughs(browser);
    } finally {
      server.override('/models/manifest.json', null);
    }
    assert.deepEqual(viaFiles.models.sort(), ['/models/covid-cough.tm2', '/models/sound-gate.tm2']);
    assert.equal(viaFiles.refused, viaPack.refused);
    assert.deepEqual(viaPack.result, viaFiles.result);
    assert.equal(typeof viaPack.result.probabilities[0], 'number');
  } finally {
    await browser.close();
  }
});

test('a pack without the model the manifest names is a clear message', async () => {
  const browser = await launch();
  server.override('/models/manifest.json', {
    body: JSON.stringify({ ...shipped, pack: { ...shipped.pack, gate: 'no-such-model' } }),
    headers: { 'Content-Type': 'application/json' },
  });
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => document.body.dataset.ready), 'error');
    assert.match(await page.textContent('#alert'), /models' file has no model 'no-such-model' \(it has sound-gate-tile, covid-cough\)/);
    assert.equal(await page.isDisabled('#start'), true);
  } finally {
    server.override('/models/manifest.json', null);
    await browser.close();
  }
});
