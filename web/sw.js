// Service worker of the screening page (scope /): keeps the page, the
// engine, the manifest and its models for offline use. How it caches:
// shared/offline-cache.js.
importScripts('shared/offline-cache.js');

offlineCache({
  name: 'tinym2-screening',
  version: 1,
  files: [
    './', 'index.html', 'styles.css', 'app.js', 'engine.js', 'recorder.js', 'quality.js',
    'spectrogram.js', 'wav.js', 'capture-worklet.js', 'shared/base.css', 'shared/guard.js',
    'engine/tinym2-simd.js', 'engine/tinym2-simd.wasm',
    'engine/tinym2-scalar.js', 'engine/tinym2-scalar.wasm',
    'models/manifest.json',
  ],
  // The models are whatever the default manifest lists.
  moreFiles: () => manifestModels('models/manifest.json', ['screening', 'gate']),
  keep: true, // the page may run on another manifest (?manifest=)
});
