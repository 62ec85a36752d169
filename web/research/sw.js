// Service worker of research mode (scope /research/): keeps the page, the
// shared modules, the engine, the ZIP library and the default protocol for
// offline use. Network first when it answers, the cache otherwise, like the
// screening page's worker; it only ever fetches this site's own files.
// Stored recordings live in IndexedDB, not here.
const CACHE = 'tinym2-research-v1';
const FILES = [
  './', 'index.html', 'research.css', 'app.js', 'protocol.js', 'store.js', 'manifest.js', 'metrics.js',
  'archive.js',
  '../styles.css', '../engine.js', '../recorder.js', '../quality.js', '../wav.js', '../capture-worklet.js',
  '../engine/tinym2-simd.js', '../engine/tinym2-simd.wasm',
  '../engine/tinym2-scalar.js', '../engine/tinym2-scalar.wasm',
  '../vendor/fflate/browser.js',
  '../models/manifest.json', '../models/protocols/default.json',
];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(FILES.map((f) => new URL(f, self.registration.scope).href));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('tinym2-research-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const res = await fetch(req);
      if (res.ok) await cache.put(req, res.clone());
      return res;
    } catch (err) {
      const hit = (await cache.match(req, { ignoreSearch: true })) ?? (await caches.match(req, { ignoreSearch: true }));
      if (hit) return hit;
      throw err;
    }
  })());
});
