// Shared steps of the research-mode browser tests.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { unzipSync, strFromU8 } from 'fflate';
import { shot } from './browser.mjs';

export const FAST = '?countdown=0&seconds=1.5&sw=off';

// Opens research mode and waits for it to be ready. The models manifest is
// replaced by one without a sound-type model: the fake microphone plays a
// cough for every task, and these tests are about storage, not the gate.
export async function openResearch(context, url, query = FAST) {
  await context.route('**/models/manifest.json', (route) => route.fulfill({ json: { format: 1, screening: null, gate: null } }));
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => d.accept());
  await page.goto(`${url}research/${query}`);
  await waitReady(page);
  return { page, errors };
}

// The researcher passcode the tests set on first use and type later.
export const PASSCODE = 'test-passcode-1';

// Opens the researcher screens (sets the passcode on first use).
export async function unlock(page, passcode = PASSCODE) {
  if (await page.isVisible('#researcher-screens')) return;
  if (!(await page.$('#passcode'))) return; // a page without the lock (before it existed)
  await page.fill('#passcode', passcode);
  if (await page.isVisible('#passcode-confirm')) await page.fill('#passcode-confirm', passcode);
  await page.click('#unlock');
  await page.waitForSelector('#researcher-screens:not([hidden])');
}

export async function waitReady(page) {
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  if (ready !== 'true') throw new Error(`research page did not start: ${await page.textContent('#alert')}`);
}

// Consent with the keyboard, then the label answer; returns the participant code.
export async function startParticipant(page, label, { next = false } = {}) {
  await page.click(next ? '#next-participant' : '#new-session');
  await page.waitForSelector('#consent-view:not([hidden])');
  await page.focus('#consent-agree');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#questions-view:not([hidden])');
  const id = await page.textContent('#participant-id');
  assert.match(id, /^p-[a-km-np-z2-9]{10}$/);
  await page.check(`#questions-view input[value="${label}"]`);
  await page.click('#questions-continue');
  await page.waitForSelector('#tasks-view:not([hidden])');
  return id;
}

// Records the take with this key (e.g. "cough-2") and waits for its verdict.
export async function recordTake(page, key, expected = 'saved') {
  const sel = `#take-${key}`;
  await page.evaluate((s) => document.querySelector(s).removeAttribute('data-state'), sel);
  await page.click(`${sel} .record`);
  await page.waitForSelector(`${sel}[data-state]`, { timeout: 30000 });
  assert.equal(await page.getAttribute(sel, 'data-state'), expected, await page.textContent(`${sel} .quality`));
}

// A viewport narrower than any phone the page supports.
export const NARROW = { width: 320, height: 640 };

// No horizontal scrolling of the page itself.
export async function assertNoOverflow(page, state) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth }));
  assert.ok(scroll <= width, `${state}: the page is ${scroll} px wide in a ${width} px window`);
}

// Reads research mode's IndexedDB directly: {sessions, takes} (takes with
// their audio size instead of the audio).
export async function readStore(page) {
  return page.evaluate(() => new Promise((resolve, reject) => {
    const open = indexedDB.open('tinym2-research');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const t = open.result.transaction(['sessions', 'takes', 'meta']);
      const out = {};
      const all = (name) => new Promise((res) => { const r = t.objectStore(name).getAll(); r.onsuccess = () => res(r.result); });
      Promise.all([all('sessions'), all('takes'), all('meta')]).then(([sessions, takes, meta]) => {
        out.sessions = sessions.map((s) => ({ id: s.id, status: s.status, answers: s.answers }));
        out.takes = takes.map((k) => ({ id: k.id, session: k.session, savedAt: k.savedAt, bytes: k.wav.byteLength, recordedAt: k.recordedAt, inputDevice: k.inputDevice, browser: k.browser }));
        out.meta = JSON.stringify(meta, (k, v) => (ArrayBuffer.isView(v) ? Array.from(v) : v));
        open.result.close();
        resolve(out);
      });
    };
  }));
}

export async function finishSession(page, prefix) {
  await page.click('#review-button');
  await page.waitForSelector('#review-view:not([hidden])');
  if (prefix) await shot(page, `${prefix}-review`);
  await page.click('#finish');
  await page.waitForSelector('#done-view:not([hidden])');
}

// {name -> Uint8Array} of a ZIP file, read with the page's own library.
export const unzipFile = (file) => unzipSync(new Uint8Array(readFileSync(file)));
export const text = (bytes) => strFromU8(bytes);

// The fields of a 16-bit PCM WAV header (44-byte canonical layout).
export function wavHeader(bytes) {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const s = (at, n) => String.fromCharCode(...bytes.subarray(at, at + n));
  return {
    riff: s(0, 4), wave: s(8, 4), fmt: s(12, 4), format: v.getUint16(20, true), channels: v.getUint16(22, true),
    sampleRate: v.getUint32(24, true), byteRate: v.getUint32(28, true), blockAlign: v.getUint16(32, true),
    bits: v.getUint16(34, true), data: s(36, 4), dataBytes: v.getUint32(40, true), riffBytes: v.getUint32(4, true),
  };
}
