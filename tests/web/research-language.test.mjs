// Research mode in the participant's language (Chromium): the shipped
// protocol's translations picked from the browser's languages and from a
// link's ?lang=; consent, questions, answers and the take steps in that
// language, the answer stored as the protocol's own value (the label), and
// the consent text naming the withdraw button the participant gets.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launch, PHONE } from './browser.mjs';
import { fixtures, root } from './paths.mjs';
import { FAST, openResearch, readStore, recordTake } from './research-helpers.mjs';
import { MESSAGES } from '../../web/research/i18n-messages.js';
import { SCREENS } from '../../web/research/i18n-screens.js';

const COUGH = path.join(fixtures, 'audio', 'coswara_cough_16k.wav');
const protocol = JSON.parse(readFileSync(path.join(root, 'models/protocols/default.json'), 'utf8'));
let server;

before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Consent and the label answer (by its shown words) in the page's language.
async function consentAndAnswer(page, lang, shownLabel) {
  const tr = protocol.translations[lang];
  assert.equal(await page.getAttribute('html', 'lang'), lang);
  await page.click('#new-session');
  await page.waitForSelector('#consent-view:not([hidden])');
  assert.equal(await page.textContent('#consent-agree-label'), tr.consent.agree);
  const paragraphs = await page.$$eval('#consent-text p', (ps) => ps.map((p) => p.textContent));
  assert.deepEqual(paragraphs, tr.consent.text);
  await page.check('#consent-agree');
  await page.click('#consent-continue');
  await page.waitForSelector('#questions-view:not([hidden])');
  // The consent text names the button this page shows.
  assert.ok(tr.consent.text.join(' ').includes(await page.textContent('#withdraw')), `${lang}: the consent text names the withdraw button`);
  const legend = await page.textContent('#q-test_result legend');
  assert.ok(legend.startsWith(tr.questions.test_result.text), legend);
  await page.getByLabel(shownLabel, { exact: true }).check();
  await page.click('#questions-continue');
  await page.waitForSelector('#tasks-view:not([hidden])');
  assert.equal(await page.textContent('#take-cough-1 .prompt').then((t) => t.startsWith(tr.tasks.cough)), true);
}

test('research mode shows the participant\'s language: from the browser (de-AT) and from ?lang=fr', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  try {
    // A browser asking for Austrian German gets the protocol's German.
    const de = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block', locale: 'de-AT' });
    const { page, errors } = await openResearch(de, server.url);
    assert.equal(await page.textContent('#new-session'), 'Als neue Teilnehmerin / neuer Teilnehmer beginnen');
    await consentAndAnswer(page, 'de', 'negativ');
    assert.equal(await page.textContent('#take-cough-1 .record'), 'Aufnehmen');
    assert.equal(await page.textContent('#take-cough-1 .step-title'), '1 von 4: Husten, Aufnahme 1 von 2');
    assert.match(await page.textContent('#take-counting-1 .prompt'), /Zwischen 1,5 und 1,5|dauert 1,5 Sekunden/);
    const { sessions } = await readStore(page);
    assert.deepEqual(sessions.map((s) => s.answers), [{ test_result: 'negative' }], 'the label is the protocol\'s value, not the shown word');
    // The quality check and the status line speak German too: a take
    // stopped at once is too short (counting needs 1.5 s here)...
    await page.click('#take-counting-1 .record');
    await page.click('#take-counting-1 .stop');
    await page.waitForSelector('#take-counting-1[data-state]', { timeout: 30000 });
    assert.equal(await page.getAttribute('#take-counting-1', 'data-state'), 'rejected-short');
    const tooShort = /^(Zu kurz: \d,\d s, diese Aufnahme braucht mindestens 1,5 s\. Bitte nehmen Sie erneut auf\.|Die Aufnahme enthält keinen Ton\.)$/;
    assert.match(await page.textContent('#take-counting-1 .quality'), tooShort);
    assert.match(await page.textContent('#status'), /^Sprechen muss erneut aufgenommen werden: (Zu kurz|Die Aufnahme enthält)/);
    // ... and a saved one says so, with the takes left.
    await recordTake(page, 'cough-1');
    assert.match(await page.textContent('#take-cough-1 .quality'), /^Gespeichert: 1,\d s mit \d+ Hz\.$/);
    assert.equal(await page.textContent('#status'), 'Husten, Aufnahme 1 von 2 gespeichert. Noch 3 Aufnahmen.');
    assert.deepEqual(errors, []);

    // A link's ?lang= wins over the browser; a browser language the
    // protocol lacks (Japanese) falls back to it too.
    const fr = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block', locale: 'ja-JP' });
    const second = await openResearch(fr, server.url, `${FAST}&lang=fr`);
    await consentAndAnswer(second.page, 'fr', 'positif');
    assert.equal(await second.page.textContent('#tasks-h'), 'Enregistrements');
    // After a reload the session resumes in the language it was consented in.
    await second.page.goto(`${server.url}research/${FAST}`);
    await second.page.waitForFunction(() => document.body.dataset.ready === 'true');
    assert.equal(await second.page.getAttribute('html', 'lang'), 'en', 'ja-JP without ?lang= gets the protocol\'s own language');
    await second.page.click('#resume');
    await second.page.waitForSelector('#tasks-view:not([hidden])');
    assert.equal(await second.page.getAttribute('html', 'lang'), 'fr');
    assert.equal(await second.page.textContent('#review-button'), 'Relire la session');
    assert.deepEqual(second.errors, []);
  } finally {
    await browser.close();
  }
});

// Every status, quality, upload and error message and every text of the
// page's frame and screens exists in every language, with the same
// placeholders as the English one (a missing {n} would print "undefined";
// a missing key would fall back to English).
test('the participant messages and screens are complete in de, fr and es', () => {
  const holes = (text) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
  // Words that are the same in English and that language.
  const same = { fr: ['reviewParticipant'] };
  for (const table of [MESSAGES, SCREENS]) {
    assert.deepEqual(Object.keys(table).sort(), ['de', 'en', 'es', 'fr']);
    for (const lang of ['de', 'fr', 'es']) {
      assert.deepEqual(Object.keys(table[lang]).sort(), Object.keys(table.en).sort(), lang);
      for (const [key, en] of Object.entries(table.en)) {
        assert.deepEqual(holes(table[lang][key]), holes(en), `${lang}.${key}`);
        if (!same[lang]?.includes(key)) assert.notEqual(table[lang][key], en, `${lang}.${key} is still English`);
      }
    }
  }
});
