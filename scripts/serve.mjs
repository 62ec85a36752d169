#!/usr/bin/env node
// A static server for the screening page on localhost, with node's http
// module only. It maps URL prefixes to folders of the repository:
//   /engine/                 -> the engine build (TM2_WEB_ENGINE or --engine,
//                               default build/wasm/web-engine)
//   /models/                 -> models/ (manifest.json and shipped models)
//   /tests/fixtures/models/  -> the in-repo test model(s)
//   /vendor/fflate/          -> node_modules/fflate/esm (ZIP, research mode)
//   /vendor/tus/             -> node_modules/tus-js-client/dist (research mode's uploads)
//   /                        -> web/
// and sends COOP/COEP (cross-origin isolation) and a Content-Security-Policy
// that allows nothing but this origin, so the page cannot reach any other
// host even by mistake.
//
//   node scripts/serve.mjs [--port 8080] [--host 127.0.0.1] [--engine DIR]
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.tm2': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webmanifest': 'application/manifest+json',
  '.ico': 'image/x-icon',
  // Model cards (models/*.card.md) are read in the browser as they are.
  '.md': 'text/plain; charset=utf-8',
};

const HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
    "img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; " +
    "worker-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Permissions-Policy': 'microphone=(self), camera=(), geolocation=()',
  'Cache-Control': 'no-cache',
};

export function routes(engineDir) {
  return [
    ['/engine/', engineDir],
    ['/models/', path.join(root, 'models')],
    ['/tests/fixtures/models/', path.join(root, 'tests/fixtures/models')],
    ['/vendor/fflate/', path.join(root, 'node_modules/fflate/esm')],
    ['/vendor/tus/', path.join(root, 'node_modules/tus-js-client/dist')],
    ['/', path.join(root, 'web')],
  ];
}

function resolve(table, urlPath) {
  for (const [prefix, dir] of table) {
    if (!urlPath.startsWith(prefix)) continue;
    let rel = urlPath.slice(prefix.length);
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.resolve(dir, rel);
    if (file !== dir && !file.startsWith(dir + path.sep)) return null; // no ../ escapes
    return file;
  }
  return null;
}

export function createServer({ engineDir }) {
  const table = routes(engineDir);
  return http.createServer((req, res) => {
    let urlPath;
    try {
      urlPath = decodeURIComponent(new URL(req.url, 'http://localhost').pathname);
    } catch {
      res.writeHead(400, HEADERS).end('bad request');
      return;
    }
    const file = resolve(table, urlPath);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, HEADERS).end('method not allowed');
      return;
    }
    fs.stat(file ?? '', (err, st) => {
      if (err || !st.isFile()) {
        res.writeHead(404, { ...HEADERS, 'Content-Type': 'text/plain' }).end(`not found: ${urlPath}`);
        return;
      }
      const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
      const headers = { ...HEADERS, 'Content-Type': type, 'Content-Length': st.size };
      // The service worker controls the whole site from /sw.js.
      if (urlPath === '/sw.js') headers['Service-Worker-Allowed'] = '/';
      res.writeHead(200, headers);
      if (req.method === 'HEAD') res.end();
      else fs.createReadStream(file).pipe(res);
    });
  });
}

function parseArgs(argv) {
  const o = {
    port: Number(process.env.PORT ?? 8080),
    host: '127.0.0.1',
    engineDir: path.resolve(root, process.env.TM2_WEB_ENGINE ?? 'build/wasm/web-engine'),
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--port') o.port = Number(argv[++i]);
    else if (argv[i] === '--host') o.host = argv[++i];
    else if (argv[i] === '--engine') o.engineDir = path.resolve(argv[++i]);
    else throw new Error(`serve: unknown argument ${argv[i]}`);
  }
  return o;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const o = parseArgs(process.argv.slice(2));
  if (!fs.existsSync(path.join(o.engineDir, 'tinym2-simd.js'))) {
    console.error(`serve: no engine build in ${o.engineDir} (run: npm run build:web)`);
    process.exit(1);
  }
  createServer(o).listen(o.port, o.host, () => {
    console.log(`tinym2 screening page: http://${o.host === '127.0.0.1' ? 'localhost' : o.host}:${o.port}/`);
  });
}
