// Shared set-up for the browser tests: the page's own server on a free
// port, and Debian's Chromium driven by playwright-core (no browser
// download), optionally with a fake microphone playing a WAV file.
import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { createServer } from '../../scripts/serve.mjs';
import { artifacts, engineDir } from './paths.mjs';

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export async function startServer() {
  const server = createServer({ engineDir });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://localhost:${server.address().port}/`;
  return { url, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

// mic: {file, loop} plays `file` as the microphone and grants access;
// mic: 'deny' refuses any permission prompt; no mic: no fake device.
export async function launch({ mic } = {}) {
  const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required'];
  if (mic === 'deny') {
    args.push('--use-fake-device-for-media-stream', '--deny-permission-prompts');
  } else if (mic) {
    args.push('--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${mic.file}${mic.loop === false ? '%noloop' : ''}`);
  }
  return chromium.launch({ executablePath: '/usr/bin/chromium', args, headless: true });
}

// The page tests run the core's three-branch test model (known hashes, a
// three-recording flow); `manifest: null` opens the page with the shipped
// models instead.
export const TEST_MANIFEST = 'models/manifest.test.json';

export function withManifest(query, manifest) {
  if (!manifest) return query;
  return `${query}${query.includes('?') ? '&' : '?'}manifest=${manifest}`;
}

// Opens the page and waits until the engine and the model are loaded.
export async function openPage(browser, url,
  { viewport = DESKTOP, serviceWorkers = 'allow', query = '', manifest = TEST_MANIFEST } = {}) {
  const context = await browser.newContext({ viewport, serviceWorkers });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url + withManifest(query, manifest));
  await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
  const ready = await page.evaluate(() => document.body.dataset.ready);
  if (ready !== 'true') throw new Error(`page did not start: ${await page.textContent('#alert')}`);
  return { context, page, errors };
}

export async function shot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: path.join(artifacts, `${name}.png`), fullPage: true });
}

// Ticks consent and starts the flow with the keyboard only.
export async function consent(page) {
  await page.focus('#consent');
  await page.keyboard.press('Space');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#steps:not([hidden])');
}
