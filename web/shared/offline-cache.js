// The offline cache behind both pages' service workers. A classic script,
// loaded with importScripts: both pages register their worker as a classic
// one (register('sw.js')), which every browser with service workers runs.
// The browser stores an imported script with the worker that imported it,
// so this file needs no place in the precache lists.
//
// Each page's sw.js calls offlineCache() once, at the top level (handlers
// must be added while the worker script first runs):
//   name      cache name prefix; the cache is `${name}-v${version}`
//   files     paths relative to the worker's scope, cached at install
//   moreFiles async () => absolute URLs to cache at install as well, e.g.
//             () => manifestModels('models/manifest.json', ['screening', 'gate'])
//   keep      accept the page's {type: 'keep', urls} message
//   anyCache  offline, also look in the site's other caches
//   pairs     groups of files (paths like `files`) that only work together,
//             e.g. an engine's .js loader and its .wasm
// Fetches go to the network first when it answers and fall back to the
// cache, so an update is picked up online and the page still opens offline.
// A network answer is always what the page gets, even when storing it fails
// (a full quota): a failed store is not a failed network. Members of a pair
// are stored together once each has a fresh answer, and a failed store
// removes the whole pair, so the cache never holds one build's loader with
// another build's .wasm.
// It never sends anything anywhere: it only ever fetches the site's own files.
// eslint-disable-next-line no-unused-vars
function offlineCache({ name, version, files, moreFiles = async () => [], keep = false, anyCache = false, pairs = [] }) {
  const CACHE = `${name}-v${version}`;
  const own = (url) => new URL(url).origin === self.location.origin;
  const abs = (f) => new URL(f, self.registration.scope).href;
  const pairOf = new Map();
  for (const group of pairs) {
    const urls = group.map(abs);
    for (const u of urls) pairOf.set(u, urls);
  }
  // Fresh answers of pair members waiting for the rest of their pair.
  const fresh = new Map();

  self.addEventListener('install', (event) => {
    event.waitUntil((async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll([...files.map((f) => new URL(f, self.registration.scope).href), ...(await moreFiles())]);
      await self.skipWaiting();
    })());
  });

  self.addEventListener('activate', (event) => {
    event.waitUntil((async () => {
      // Only this page's older caches: the other page keeps its own.
      for (const key of await caches.keys()) {
        if (key.startsWith(`${name}-`) && key !== CACHE) await caches.delete(key);
      }
      await self.clients.claim();
    })());
  });

  // The page names the manifest and models it actually uses when they are
  // not the default ones (app.js, keepOffline); only this site's own files
  // are fetched and kept.
  if (keep) {
    self.addEventListener('message', (event) => {
      const urls = event.data?.type === 'keep' && Array.isArray(event.data.urls) ? event.data.urls : [];
      const kept = urls.filter((u) => typeof u === 'string' && own(u));
      event.waitUntil((async () => {
        const cache = await caches.open(CACHE);
        for (const u of kept) if (!(await cache.match(u))) await cache.add(u);
        event.ports[0]?.postMessage('kept');
      })());
    });
  }

  async function store(cache, req, res) {
    const url = req.url.split(/[?#]/)[0];
    const group = pairOf.get(url);
    try {
      if (!group) {
        await cache.put(req, res);
        return;
      }
      fresh.set(url, res);
      if (!group.every((u) => fresh.has(u))) return;
      const answers = group.map((u) => [u, fresh.get(u)]);
      for (const u of group) fresh.delete(u);
      for (const [u, r] of answers) await cache.put(u, r);
    } catch (err) {
      console.warn(`offline cache: could not store ${url}:`, err);
      if (group) for (const u of group) await cache.delete(u).catch(() => {});
    }
  }

  self.addEventListener('fetch', (event) => {
    const req = event.request;
    if (req.method !== 'GET' || !own(req.url)) return;
    event.respondWith((async () => {
      const cache = await caches.open(CACHE);
      let res;
      try {
        res = await fetch(req);
      } catch (err) {
        // Only here did the network fail: serve the kept copy.
        const hit = (await cache.match(req, { ignoreSearch: true })) ??
          (anyCache ? await caches.match(req, { ignoreSearch: true }) : undefined);
        if (hit) return hit;
        throw err;
      }
      if (res.ok) event.waitUntil(store(cache, req, res.clone()));
      return res;
    })());
  });
}

// The model files (and model cards) a models manifest names under `keys`
// ('screening', 'gate'), as absolute URLs; `path` is the manifest's, relative to the
// worker's scope. Read at install, so the precache follows the manifest:
// a page may fetch a model before its worker takes control, and offline
// that model must already be in the cache.
// eslint-disable-next-line no-unused-vars
async function manifestModels(path, keys) {
  const url = new URL(path, self.registration.scope);
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`cannot fetch ${url.pathname} (HTTP ${res.status})`);
  const manifest = await res.json();
  // Asked for the pack too and the manifest has one (one file holding the
  // models): the models' own files are not downloaded, only the pack and
  // the cards.
  const viaPack = keys.includes('pack') && manifest.pack;
  const files = (m, k) => (viaPack && k !== 'pack' ? [m.card] : [m.url, m.card]);
  return keys.filter((k) => manifest[k]).flatMap((k) => files(manifest[k], k).filter(Boolean))
    .map((u) => new URL(u, url).href);
}
