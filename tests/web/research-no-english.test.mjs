// No English left on a participant's screens in German (?lang=de), in real
// Chromium: every screen a participant passes through (start, consent,
// questions, the takes with a refused microphone, a too-short take and
// saved takes, the resume offer after a reload, review, done, withdrawal),
// on this device and from a study link of the real tinym2-study (upload
// states, the study's privacy note). On each screen the test walks the
// DOM: every visible text node, every aria-label/title/alt of a visible
// element and the window title. A text fails when it is one of the page's
// English texts (i18n tables, index.html as shipped, the protocol's own
// language) or holds an English word; only proper names (tinym2,
// WebAssembly, API names), participant codes and numbers are let through.
// The researcher screens behind the lock stay English (docs/research.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launch, PHONE } from './browser.mjs';
import { fixtures, root, engineDir } from './paths.mjs';
import { FAST, openResearch, waitReady, recordTake } from './research-helpers.mjs';
import { pageTexts } from '../../web/research/i18n.js';
import { binary, startStudyServer } from '../study-server/server.mjs';

const COUGH = path.join(fixtures, 'audio', 'coswara_cough_16k.wav');
const protocol = JSON.parse(readFileSync(path.join(root, 'models/protocols/default.json'), 'utf8'));

// Proper names and API names that read the same in every language.
const NAMES = /\b(tinym2|WebAssembly|SIMD|getUserMedia|AudioWorklet|COVID-19|PCR|Hz|Tab)\b/g;
// Words of English that are no words of German.
const ENGLISH_WORD = /\b(the|and|of|to|your|you|is|are|this|that|with|for|from|take|takes|please|saved|recording|recordings|participant|session|not|has|have|been|be|can|again|here|or|by|on|at|it|no|yes|cough|speech|breathing|record|stop|level|loading|ready|researcher|screen|page)\b/i;

// Codes and numbers out, blanks folded: what is left is words.
const normal = (s) => s.replace(NAMES, '').replace(/\bp-[a-km-np-z2-9]{10}\b/g, 'CODE').replace(/\b[0-9a-f]{16,}\b/g, 'ID')
  .replace(/\d+([.,:]\d+)*/g, 'N').replace(/\s+/g, ' ').trim();
const onlyCodes = (s) => !/\p{L}/u.test(normal(s).replace(/\b(CODE|ID|N|s)\b/g, ''));

// The English a screen could show: the page's texts (placeholders match
// anything), the shipped index.html's texts, the protocol's own words.
function englishTexts(staticTexts) {
  const protocolTexts = [protocol.study, ...protocol.consent.text, protocol.consent.agree,
    ...protocol.tasks.map((t) => t.prompt), ...protocol.questions.flatMap((q) => [q.text, ...(q.values ?? [])])];
  const patterns = Object.values(pageTexts('en')).map((s) => new RegExp(`^${normal(s)
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '.*')}$`, 's'));
  const exact = new Set([...staticTexts, ...protocolTexts].map(normal).filter((s) => s && !onlyCodes(s)));
  return (s) => exact.has(normal(s)) || patterns.some((p) => p.test(normal(s)));
}

// Every text a participant sees or hears on the current screen: [where, text].
const screenTexts = (page) => page.evaluate(() => {
  const out = [];
  const shown = (e) => e.checkVisibility({ visibilityProperty: true });
  const where = (e) => `${e.tagName.toLowerCase()}${e.id ? `#${e.id}` : ''}${e.className ? `.${String(e.className).split(' ')[0]}` : ''}`;
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const e = n.parentElement;
    const text = n.textContent.replace(/\s+/g, ' ').trim();
    if (text && e && !e.closest('template, script, style') && shown(e)) out.push([where(e), text]);
  }
  for (const e of document.body.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
    if (!shown(e)) continue;
    for (const a of ['aria-label', 'title', 'alt', 'placeholder']) if (e.hasAttribute(a)) out.push([`${where(e)}[${a}]`, e.getAttribute(a)]);
  }
  out.push(['title', document.title]);
  return out;
});

// index.html's texts as shipped (English), read with the browser's parser.
const shippedTexts = (page) => page.evaluate(async () => {
  const doc = new DOMParser().parseFromString(await (await fetch('index.html')).text(), 'text/html');
  const out = [];
  const walk = doc.createTreeWalker(doc.documentElement, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) out.push(n.textContent.replace(/\s+/g, ' ').trim());
  const templ = doc.getElementById('take-template').content;
  for (const e of templ.querySelectorAll('*')) if (e.children.length === 0 && e.textContent.trim()) out.push(e.textContent.trim());
  for (const e of doc.querySelectorAll('[aria-label]')) out.push(e.getAttribute('aria-label'));
  return out.filter(Boolean);
});

// Walks the screen and fails on any English; returns how many texts it read.
async function assertGerman(page, screen, isEnglish, seen) {
  assert.equal(await page.getAttribute('html', 'lang'), 'de', screen);
  const english = [];
  const texts = await screenTexts(page);
  for (const [where, text] of texts) {
    if (onlyCodes(text)) continue;
    if (isEnglish(text) || ENGLISH_WORD.test(normal(text))) english.push(`${where}: "${text}"`);
  }
  assert.deepEqual(english, [], `${screen}: English on a German screen`);
  seen.push(`${screen} (${texts.length})`);
  return texts;
}

let server;
before(async () => { server = await startServer(); });
after(async () => { await server.close(); });

// Consent and answers through the German screens (label: "negativ").
async function consentAndAnswer(page, check) {
  await page.locator('#new-session:visible, #next-participant:visible').first().click();
  await page.waitForSelector('#consent-view:not([hidden])');
  await check('consent');
  await page.check('#consent-agree');
  await page.click('#consent-continue');
  await page.waitForSelector('#questions-view:not([hidden])');
  await check('questions');
  await page.getByLabel('negativ', { exact: true }).check();
  await page.click('#questions-continue');
  await page.waitForSelector('#tasks-view:not([hidden])');
}

test('every participant screen on this device is German with ?lang=de', async () => {
  const browser = await launch({ mic: { file: COUGH } });
  const seen = [];
  try {
    // An English browser: the link's ?lang=de decides.
    const context = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block', locale: 'en-US' });
    const { page, errors } = await openResearch(context, server.url, `${FAST}&lang=de`);
    const isEnglish = englishTexts(await shippedTexts(page));
    const check = (screen) => assertGerman(page, screen, isEnglish, seen);
    await check('start');
    await consentAndAnswer(page, check);
    await check('tasks');
    // The microphone refused: its message, at the step and in the alert.
    await page.evaluate(() => {
      window.realGetUserMedia = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('refused', 'NotAllowedError'));
    });
    await page.click('#take-cough-1 .record');
    await page.waitForSelector('#take-cough-1[data-state="mic-denied"]');
    assert.match(await page.textContent('#alert'), /^Der Zugriff auf das Mikrofon wurde verweigert/);
    await check('tasks, microphone refused');
    await page.evaluate(() => { navigator.mediaDevices.getUserMedia = window.realGetUserMedia; });
    // A take stopped at once is refused as too short (or empty).
    await page.click('#take-counting-1 .record');
    await page.click('#take-counting-1 .stop');
    await page.waitForSelector('#take-counting-1[data-state^="rejected"]', { timeout: 30000 });
    await check('tasks, take refused');
    await recordTake(page, 'cough-1');
    await check('tasks, one take saved');
    // A reload mid-session: the start screen offers to resume.
    await page.reload();
    await waitReady(page);
    await page.waitForSelector('#resume:not([hidden])');
    await check('start, resume offered');
    await page.click('#resume');
    await page.waitForSelector('#tasks-view:not([hidden])');
    for (const key of ['cough-2', 'counting-1', 'breathing-1']) await recordTake(page, key);
    await check('tasks, all saved');
    await page.click('#review-button');
    await page.waitForSelector('#review-view:not([hidden])');
    const review = await check('review');
    assert.ok(review.some(([, text]) => /^Husten, Aufnahme 2 von 2: 1,\d s mit \d+ Hz$/.test(text)), 'the review names the takes');
    await page.click('#finish');
    await page.waitForSelector('#done-view:not([hidden])');
    assert.match(await page.textContent('#done-text'), /^Vielen Dank\. Die Sitzung der Teilnahme p-\w+ ist vollständig und gespeichert \(4 Aufnahmen\)\.$/);
    await check('done');
    // The next participant withdraws (the confirmation is accepted).
    await consentAndAnswer(page, check);
    await page.click('#withdraw');
    await page.waitForSelector('#start-view:not([hidden])');
    assert.match(await page.textContent('#status'), /^Sie haben Ihre Teilnahme zurückgezogen/);
    await check('start, after withdrawal');
    assert.deepEqual(errors, []);
    console.log(`# German screens checked: ${seen.join(', ')}`);
  } finally {
    await browser.close();
  }
});

test('every participant screen from a study link is German with ?lang=de', { skip: !existsSync(binary) && `tinym2-study is not built (${binary}): build the native preset first` }, async () => {
  const study = await startStudyServer({ args: ['--engine', engineDir] });
  const browser = await launch({ mic: { file: COUGH } });
  const seen = [];
  try {
    const context = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block', locale: 'en-US' });
    const query = `${FAST}&lang=de&study=${study.study.id}&join=${study.study.join}`;
    const { page, errors } = await openResearch(context, `${study.url}/`, query);
    const isEnglish = englishTexts(await shippedTexts(page));
    const check = (screen) => assertGerman(page, screen, isEnglish, seen);
    await check('study start');
    assert.match(await page.textContent('#privacy-note'), /^Über einen Studienlink geöffnet/);
    await consentAndAnswer(page, check);
    for (const key of ['cough-1', 'cough-2', 'counting-1', 'breathing-1']) await recordTake(page, key);
    await page.waitForSelector('#take-breathing-1[data-upload="uploaded"]', { timeout: 60000 });
    assert.equal(await page.textContent('#take-breathing-1 .upload'), 'Auf den Studienserver hochgeladen.');
    await check('study tasks, uploaded');
    await page.click('#review-button');
    await page.waitForSelector('#review-view:not([hidden])');
    await check('study review');
    await page.click('#finish');
    await page.waitForSelector('#done-view:not([hidden])');
    await check('study done');
    await consentAndAnswer(page, check);
    await page.click('#withdraw');
    await page.waitForSelector('#start-view:not([hidden])');
    assert.match(await page.textContent('#status'), /vom Studienserver gelöscht/);
    await check('study start, after withdrawal');
    assert.deepEqual(errors, []);
    console.log(`# German screens checked: ${seen.join(', ')}`);
  } finally {
    await browser.close();
    await study.stop();
  }
});

// The check itself catches English: the English page fails it.
test('the check fails on the English page', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: PHONE, serviceWorkers: 'block', locale: 'en-US' });
    const { page } = await openResearch(context, server.url, FAST);
    const isEnglish = englishTexts(await shippedTexts(page));
    await page.evaluate(() => document.documentElement.setAttribute('lang', 'de'));
    await assert.rejects(assertGerman(page, 'English start', isEnglish, []), /English on a German screen/);
  } finally {
    await browser.close();
  }
});
