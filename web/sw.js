// Service worker of the screening page (scope /): keeps the page, the
// engine, the manifest and its models for offline use. How it caches:
// shared/offline-cache.js.
importScripts('shared/offline-cache.js');

offlineCache({
  name: 'tinym2-screening',
  version: 5,
  files: [
    './', 'index.html', 'styles.css', 'app.js', 'page-state.js', 'steps.js', 'result-view.js', 'engine.js', 'engine-client.js', 'engine-worker.js',
    'result.js', 'recorder.js', 'quality.js', 'spectrogram.js', 'wav.js', 'capture-worklet.js',
    'shared/base.css', 'shared/guard.js', 'shared/audio-input.js',
    'favicon.ico', 'icon.svg', 'icon-192.png', 'icon-512.png', 'manifest.webmanifest',
    'engine/tinym2-relaxed.js', 'engine/tinym2-relaxed.wasm',
    'engine/tinym2-simd.js', 'engine/tinym2-simd.wasm',
    'engine/tinym2-scalar.js', 'engine/tinym2-scalar.wasm',
    'models/manifest.json',
  ],
  // An engine's loader and its .wasm are built together: the cache holds
  // both from the same build or neither.
  pairs: [
    ['engine/tinym2-relaxed.js', 'engine/tinym2-relaxed.wasm'],
    ['engine/tinym2-simd.js', 'engine/tinym2-simd.wasm'],
    ['engine/tinym2-scalar.js', 'engine/tinym2-scalar.wasm'],
  ],
  // The models (and their cards) are whatever the default manifest lists.
  moreFiles: () => manifestModels('models/manifest.json', ['pack', 'screening', 'gate']),
  keep: true, // the page may run on another manifest (?manifest=)
});
