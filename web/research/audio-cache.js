// Decoded evaluation audio, kept between evaluations (a model switch
// re-reads every recording) but bounded in bytes: the least recently used
// entries go first, and an entry larger than the whole budget is not kept.
// Pure (browser and node).

export const DEFAULT_CACHE_BYTES = 128 * 1024 * 1024;

export class AudioCache {
  constructor(limitBytes = DEFAULT_CACHE_BYTES) {
    this.limit = limitBytes;
    this.map = new Map(); // insertion order = least recently used first
    this.bytes = 0;
  }

  get(key) {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  set(key, audio) {
    this.delete(key);
    const size = audio.samples.byteLength;
    if (size > this.limit) return;
    this.map.set(key, audio);
    this.bytes += size;
    for (const [k] of this.map) {
      if (this.bytes <= this.limit) break;
      this.delete(k);
    }
  }

  delete(key) {
    const v = this.map.get(key);
    if (v === undefined) return;
    this.map.delete(key);
    this.bytes -= v.samples.byteLength;
  }

  clear() {
    this.map.clear();
    this.bytes = 0;
  }

  get size() {
    return this.map.size;
  }
}
