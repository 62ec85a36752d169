// Service worker of research mode (scope /research/): keeps the page, the
// modules it shares with the screening page, the engine, the ZIP library,
// the default protocol, and the default models manifest with its
// sound-type model for offline use. How it caches:
// ../shared/offline-cache.js. Stored recordings live in IndexedDB, not here.
importScripts('../shared/offline-cache.js');

offlineCache({
  name: 'tinym2-research',
  version: 6,
  files: [
    './', 'index.html', 'research.css', 'app.js', 'page.js', 'study.js', 'session.js', 'takes.js',
    'stored-data.js', 'researcher.js', 'remote.js', 'upload-queue.js', 'protocol.js', 'store.js', 'manifest.js', 'metrics.js',
    'archive.js', 'lock.js', 'evaluate.js', 'eval-worker.js', 'audio-cache.js', 'i18n.js', 'i18n-messages.js', 'i18n-screens.js',
    '../shared/base.css', '../shared/guard.js', '../shared/audio-input.js',
    '../engine.js', '../recorder.js', '../quality.js', '../wav.js', '../capture-worklet.js',
    '../engine/tinym2-relaxed.js', '../engine/tinym2-relaxed.wasm',
    '../engine/tinym2-simd.js', '../engine/tinym2-simd.wasm',
    '../engine/tinym2-scalar.js', '../engine/tinym2-scalar.wasm',
    '../vendor/fflate/browser.js', '../vendor/tus/tus.min.js',
    '../models/manifest.json', '../models/protocols/default.json',
  ],
  // The sound-type model of the manifest the page reads by default (study.js,
  // loadGate). The page fetches it before this worker takes control on a
  // first visit, so it is cached here at install. Research mode never runs
  // the screening model, so that one is left out.
  moreFiles: () => manifestModels('../models/manifest.json', ['gate']),
  // Offline, a file fetched before this worker took control (another
  // manifest's, with ?manifest=) may be in the screening page's cache.
  anyCache: true,
});
