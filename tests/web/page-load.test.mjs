// Loading the public page (Chromium, shipped models): the first screen
// (Start without scrolling, plain words, linked model cards, one size
// figure, favicon and an installable web app manifest, no failed request),
// models that fail to arrive, inference off the main thread, the offline
// reload, and the service worker when storing a response fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { launch, openPage, shot, consent, DESKTOP, PHONE } from './browser.mjs';
import { assertAccessible } from './a11y.mjs';
import { startOverridableServer, clip, assertNoOverflow, pngSize } from './public-helpers.mjs';

// The shipped manifest loads one pack; without its `pack` entry, the two files.
const SHIPPED = JSON.parse(readFileSync(new URL('../../models/manifest.json', import.meta.url), 'utf8'));
const PACK_BYTES = statSync(new URL(`../../models/${SHIPPED.pack.url}`, import.meta.url)).size;
const { pack: _pack, ...SEPARATE } = SHIPPED;
const SCREENS = [['desktop-1280x800', { width: 1280, height: 800 }], ['phone-390x844', PHONE], ['narrow-320x640', { width: 320, height: 640 }]];
let server;
before(async () => { server = await startOverridableServer(); });
after(async () => { await server.close(); });

test('first screen: Start visible without scrolling, plain words, linked model cards, one size, icons, no failed request', async () => {
  const browser = await launch();
  try {
    for (const [size, viewport] of SCREENS) {
      const context = await browser.newContext({ viewport, serviceWorkers: 'block' });
      const page = await context.newPage();
      const failed = [];
      page.on('requestfailed', (r) => failed.push(`${r.url()} ${r.failure()?.errorText}`));
      page.on('response', (r) => { if (r.status() >= 400) failed.push(`${r.url()} HTTP ${r.status()}`); });
      await page.goto(server.url);
      await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30000 });
      const box = await page.locator('#start').boundingBox();
      if (size !== 'narrow-320x640') {
        assert.ok(box.y + box.height <= viewport.height, `${size}: Start ends at ${box.y + box.height} px, screen is ${viewport.height} px`);
      }
      const first = await page.innerText('#intro');
      assert.doesNotMatch(first, /AUC|channel/, `${size}: no jargon on the first screen`);
      assert.match(first, /not a medical device/);
      await assertNoOverflow(page, `first screen (${size})`);
      await assertAccessible(page, `first screen (${size})`);
      await shot(page, `load-${size}-first-screen`);
      // The model cards are links that open.
      await page.click('#about summary');
      for (const id of ['#models-card-link', '#gate-card-link']) {
        const href = await page.getAttribute(id, 'href');
        const text = await page.evaluate(async (u) => (await fetch(u)).text(), href);
        assert.match(text, /^# (covid-cough|sound-gate-tile)/, id);
      }
      assert.doesNotMatch(await page.innerText('#model-card'), /AUC|0\.87/);
      await assertAccessible(page, `about opened (${size})`);
      // One size figure for the model: the footer's, from the file itself.
      const body = await page.innerText('body');
      const kb = [...body.matchAll(/(\d+(?:\.\d+)?) KB(?! working)/g)].map((m) => m[1]);
      assert.deepEqual([...new Set(kb)], [(PACK_BYTES / 1024).toFixed(1)], `size figures: ${kb}`);
      // Favicon and the installable app: manifest with PNG icons that exist.
      assert.equal(await page.evaluate(async () => (await fetch('favicon.ico')).status), 200);
      const manifestHref = await page.getAttribute('link[rel="manifest"]', 'href');
      const manifest = await page.evaluate(async (u) => (await fetch(u)).json(), manifestHref);
      assert.equal(manifest.display, 'standalone');
      for (const want of [192, 512]) {
        const icon = manifest.icons.find((i) => i.sizes === `${want}x${want}` && i.type === 'image/png');
        assert.ok(icon, `icon ${want}`);
        const bytes = Buffer.from(await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())], icon.src));
        assert.deepEqual(pngSize(bytes), { width: want, height: want });
      }
      assert.deepEqual(failed, [], `${size}: failed requests`);
      await context.close();
    }
  } finally {
    await browser.close();
  }
});

test('the models run in a Web Worker, not on the page\'s main thread', async () => {
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
    await context.addInitScript(() => {
      window.mainThreadWasm = 0;
      for (const name of ['instantiate', 'instantiateStreaming', 'compile', 'compileStreaming']) {
        const original = WebAssembly[name];
        WebAssembly[name] = function counted(...args) { window.mainThreadWasm++; return original.apply(this, args); };
      }
      window.WebAssembly.Module = new Proxy(WebAssembly.Module, { construct(t, a) { window.mainThreadWasm++; return new t(...a); } });
    });
    const page = await context.newPage();
    await page.goto(server.url);
    await page.waitForFunction(() => document.body.dataset.ready === 'true', null, { timeout: 30000 });
    assert.ok(page.workers().some((w) => w.url().endsWith('/engine-worker.js')), 'engine worker started');
    await consent(page);
    for (let i = 0; i < 3; i++) {
      await page.setInputFiles(`#step-${i} .file`, clip('coswara_cough_16k.wav'));
      await page.waitForSelector(`#step-${i}[data-state="accepted"]`);
    }
    await page.click('#screen');
    await page.waitForSelector('#result:not([hidden])');
    assert.equal(await page.evaluate(() => window.mainThreadWasm), 0, 'no WebAssembly compiled on the main thread');
    assert.equal(await page.evaluate(() => typeof window.tm2.result.score), 'number');
  } finally {
    await browser.close();
  }
});

for (const [what, path, pattern, withoutPack, also = []] of [
  ['the models\' pack', '/models/screening.pack.tm2', /models' file is missing on the server \(\/models\/screening\.pack\.tm2: HTTP 404\)/],
  ['the sound-type model', '/models/sound-gate.tm2', /sound-check model is missing on the server \(\/models\/sound-gate\.tm2: HTTP 404\)/, true],
  ['the screening model', '/models/covid-cough.tm2', /screening model is missing on the server \(\/models\/covid-cough\.tm2: HTTP 404\)/, true],
  ['the models list', '/models/manifest.json', /list of models is missing on the server \(\/models\/manifest\.json: HTTP 404\)/],
  // Chromium 156 loads the relaxed build (engine.js, bestVariant); the
  // SIMD128 one is missing too, so no other build hides the error.
  ['the engine', '/engine/tinym2-relaxed.wasm', /screening engine is missing on the server/, false,
    ['/engine/tinym2-simd.wasm']],
]) {
  test(`a missing file (${what}) is a clear message, not a page without its check`, async () => {
    const browser = await launch();
    server.override(path, { status: 404, body: 'not found' });
    for (const p of also) server.override(p, { status: 404, body: 'not found' });
    // The two model files are used when the manifest names no pack.
    if (withoutPack) server.override('/models/manifest.json', { body: JSON.stringify(SEPARATE), headers: { 'Content-Type': 'application/json' } });
    try {
      const context = await browser.newContext({ viewport: DESKTOP, serviceWorkers: 'block' });
      const page = await context.newPage();
      await page.goto(server.url);
      await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
      assert.equal(await page.evaluate(() => document.body.dataset.ready), 'error');
      assert.match(await page.textContent('#alert'), pattern);
      assert.equal(await page.isDisabled('#start'), true);
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'alert');
      await assertAccessible(page, `missing ${what}`);
      await shot(page, `load-desktop-missing-${path.split('/').pop()}`);
    } finally {
      server.override(path, null);
      for (const p of also) server.override(p, null);
      server.override('/models/manifest.json', null);
      await browser.close();
    }
  });
}

async function controlled(page) {
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15000 })
    .catch(() => page.reload().then(() => page.waitForFunction(() => document.body.dataset.ready === 'true')));
}

test('offline: the page, its icons, manifest and model cards come from the service worker; accessible offline', async () => {
  const browser = await launch();
  try {
    const { page, context } = await openPage(browser, server.url, { manifest: null });
    await controlled(page);
    await context.setOffline(true);
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready, null, { timeout: 30000 });
    assert.equal(await page.evaluate(() => document.body.dataset.ready), 'true', await page.textContent('#alert'));
    for (const u of ['favicon.ico', 'manifest.webmanifest', 'icon-192.png', 'models/covid-cough.card.md', 'models/sound-gate.card.md']) {
      assert.equal(await page.evaluate(async (x) => (await fetch(x)).status, u), 200, u);
    }
    await assertAccessible(page, 'offline');
    await consent(page);
    for (let i = 0; i < 3; i++) {
      await page.setInputFiles(`#step-${i} .file`, clip('coswara_cough_16k.wav'));
      await page.waitForSelector(`#step-${i}[data-state="accepted"]`);
    }
    await page.click('#screen');
    await page.waitForSelector('#result:not([hidden])');
    await assertAccessible(page, 'offline result');
    await shot(page, 'load-desktop-offline-result');
  } finally {
    await browser.close();
  }
});

test('service worker: a store that fails (full quota) still serves the network answer and never pairs a new engine .js with an old .wasm', async () => {
  const browser = await launch();
  try {
    const { page, context } = await openPage(browser, server.url, { manifest: null });
    await controlled(page);
    const [sw] = context.serviceWorkers();
    assert.ok(sw, 'service worker running');
    // Every store now fails as with a full quota.
    await sw.evaluate(() => {
      Cache.prototype.put = () => Promise.reject(new DOMException('quota', 'QuotaExceededError'));
    });
    // A new version of a page file and of the engine on the server.
    server.override('/styles.css', { body: '/* version 2 */', headers: { 'Content-Type': 'text/css' } });
    server.override('/engine/tinym2-simd.js', { body: '// version 2', headers: { 'Content-Type': 'text/javascript', 'X-Build': '2' } });
    server.override('/engine/tinym2-simd.wasm', { body: 'version 2', headers: { 'Content-Type': 'application/wasm', 'X-Build': '2' } });
    const got = await page.evaluate(async () => Promise.all(['styles.css', 'engine/tinym2-simd.js', 'engine/tinym2-simd.wasm']
      .map(async (u) => (await fetch(u)).text())));
    assert.deepEqual(got, ['/* version 2 */', '// version 2', 'version 2'], 'the network answers, not the old copies');
    // With every store failing, the cache keeps no half-updated engine pair.
    const builds = await sw.evaluate(async () => {
      const out = {};
      for (const name of await caches.keys()) {
        const cache = await caches.open(name);
        for (const f of ['engine/tinym2-simd.js', 'engine/tinym2-simd.wasm']) {
          const r = await cache.match(new URL(f, self.registration.scope).href);
          out[f] = r ? (r.headers.get('X-Build') ?? '1') : 'none';
        }
      }
      return out;
    });
    assert.equal(builds['engine/tinym2-simd.js'], builds['engine/tinym2-simd.wasm'], JSON.stringify(builds));
  } finally {
    server.override('/styles.css', null);
    server.override('/engine/tinym2-simd.js', null);
    server.override('/engine/tinym2-simd.wasm', null);
    await browser.close();
  }
});

test('service worker: when only the .wasm cannot be stored, the pair is dropped rather than mixed', async () => {
  const browser = await launch();
  try {
    const { page, context } = await openPage(browser, server.url, { manifest: null });
    await controlled(page);
    const [sw] = context.serviceWorkers();
    await sw.evaluate(() => {
      const put = Cache.prototype.put;
      Cache.prototype.put = function maybe(req, res) {
        const url = typeof req === 'string' ? req : req.url;
        return url.endsWith('.wasm') ? Promise.reject(new DOMException('quota', 'QuotaExceededError')) : put.call(this, req, res);
      };
    });
    server.override('/engine/tinym2-scalar.js', { body: '// version 2', headers: { 'Content-Type': 'text/javascript', 'X-Build': '2' } });
    server.override('/engine/tinym2-scalar.wasm', { body: 'version 2', headers: { 'Content-Type': 'application/wasm', 'X-Build': '2' } });
    await page.evaluate(async () => { for (const u of ['engine/tinym2-scalar.js', 'engine/tinym2-scalar.wasm']) await (await fetch(u)).text(); });
    await page.waitForTimeout(300);
    const builds = await sw.evaluate(async () => {
      const cache = await caches.open((await caches.keys()).find((k) => k.startsWith('tinym2-screening')));
      const get = async (f) => {
        const r = await cache.match(new URL(f, self.registration.scope).href);
        return r ? (r.headers.get('X-Build') ?? '1') : 'none';
      };
      return [await get('engine/tinym2-scalar.js'), await get('engine/tinym2-scalar.wasm')];
    });
    assert.equal(builds[0], builds[1], `cached .js build ${builds[0]}, .wasm build ${builds[1]}`);
  } finally {
    server.override('/engine/tinym2-scalar.js', null);
    server.override('/engine/tinym2-scalar.wasm', null);
    await browser.close();
  }
});
