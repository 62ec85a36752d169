// Service worker: keeps the page, the engine and the models for offline
// use. Install caches every file the page loads (the models are read from
// the manifest); fetches go to the network first when it answers and fall
// back to the cache, so an update is picked up online and the page still
// opens offline. It never sends anything anywhere: it only ever fetches the
// site's own files.
const CACHE = 'tinym2-screening-v1';
const PAGE = [
  './', 'index.html', 'styles.css', 'app.js', 'engine.js', 'recorder.js', 'quality.js',
  'spectrogram.js', 'wav.js', 'capture-worklet.js',
  'engine/tinym2-simd.js', 'engine/tinym2-simd.wasm',
  'engine/tinym2-scalar.js', 'engine/tinym2-scalar.wasm',
  'models/manifest.json',
];

async function modelUrls() {
  const url = new URL('models/manifest.json', self.registration.scope);
  const manifest = await (await fetch(url, { cache: 'no-store' })).json();
  return [manifest.screening, manifest.gate].filter(Boolean).map((m) => new URL(m.url, url).href);
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll([...PAGE.map((p) => new URL(p, self.registration.scope).href), ...(await modelUrls())]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    // Only this page's older caches: research mode keeps its own.
    for (const key of await caches.keys()) {
      if (key.startsWith('tinym2-screening-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

// The page names the manifest and models it actually uses (app.js,
// keepOffline); only this site's own files are fetched and kept.
self.addEventListener('message', (event) => {
  const urls = event.data?.type === 'keep' && Array.isArray(event.data.urls) ? event.data.urls : [];
  const own = urls.filter((u) => typeof u === 'string' && new URL(u).origin === self.location.origin);
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    for (const u of own) if (!(await cache.match(u))) await cache.add(u);
    event.ports[0]?.postMessage('kept');
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
      const hit = await cache.match(req, { ignoreSearch: true });
      if (hit) return hit;
      throw err;
    }
  })());
});
