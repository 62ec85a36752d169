// Where the browser tests find the repository, the engine build and the
// fixtures. TM2_WEB_ENGINE overrides the engine folder (default: the wasm
// preset's build/wasm/web-engine, which `npm run build:web` fills).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const engineDir = path.resolve(root, process.env.TM2_WEB_ENGINE ?? 'build/wasm/web-engine');
export const fixtures = path.join(root, 'tests/fixtures');
export const parityModel = path.join(fixtures, 'models/parity_multibranch.tm2');
export const artifacts = path.join(root, 'test-artifacts');
