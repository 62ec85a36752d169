// The page's side of engine-worker.js: one module worker holds the engine
// and the models; each call posts a request and resolves with its answer
// (or rejects with the worker's message).
//
//   const models = await EngineClient.start({ base, variant, screening, gate });
//   const p = await models.call('gate', { audio });
export class EngineClient {
  constructor(worker) {
    this.worker = worker;
    this.next = 1;
    this.waiting = new Map();
    worker.onmessage = (e) => {
      const { id, ok, value, error } = e.data;
      const w = this.waiting.get(id);
      this.waiting.delete(id);
      if (ok) w?.resolve(value);
      else w?.reject(new Error(error));
    };
    worker.onerror = (e) => {
      e.preventDefault?.();
      const err = new Error(`The screening engine stopped: ${e.message || 'it could not be started'}. Reload the page.`);
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
  }

  static async start(urls) {
    const client = new EngineClient(new Worker(new URL('engine-worker.js', import.meta.url), { type: 'module', name: 'tinym2-engine' }));
    client.info = await client.call('init', urls);
    return client;
  }

  call(op, args = {}) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, op, ...args });
    });
  }
}
