// ZIP export and import of research data with fflate (served from
// node_modules/fflate by scripts/serve.mjs under /vendor/fflate/).
// The layout is described in manifest.js and docs/research.md.
import { zipSync, unzipSync, strToU8, strFromU8 } from '../vendor/fflate/browser.js';
import { buildManifest, readManifestCsv, joinPath, exportName } from './manifest.js';
import { validateProtocol } from './protocol.js';
import { parseWav } from '../wav.js';

// Sessions of `protocol` (complete ones, plus unfinished ones when asked)
// with their audio -> {bytes, name, rows, participants}.
export async function exportZip(store, protocol, { includeUnfinished = false } = {}) {
  const sessions = (await store.listSessions()).filter((s) =>
    s.protocol.id === protocol.id && (includeUnfinished || s.status === 'complete'));
  const withTakes = [];
  for (const session of sessions) withTakes.push({ session, takes: await store.listTakes(session.id, { withAudio: true }) });
  return zipSessions(protocol, withTakes);
}

// The export ZIP of sessions and their takes (with `wav` audio), wherever
// they come from: this device's store, or the study server's dashboard.
// `withTakes`: [{session: {participant, status, answers, ...}, takes}].
export function zipSessions(protocol, withTakes) {
  const { rows, csv, json } = buildManifest(protocol, withTakes);
  if (rows.length === 0) throw new Error('There is nothing to export yet: no stored session of this study has a label and a saved take.');
  const files = {
    'manifest.csv': [strToU8(csv), { level: 6 }],
    'manifest.json': [strToU8(`${JSON.stringify(json, null, 2)}\n`), { level: 6 }],
    'protocol.json': [strToU8(`${JSON.stringify(protocol, null, 2)}\n`), { level: 6 }],
  };
  const byPath = new Map();
  for (const { session, takes } of withTakes) {
    for (const t of takes) byPath.set(`audio/${session.participant}/${t.task}-${t.take}.wav`, t.wav);
  }
  // PCM hardly compresses: stored as is, which keeps export fast.
  for (const r of rows) files[r.path] = [new Uint8Array(byPath.get(r.path)), { level: 0 }];
  return { bytes: zipSync(files), name: exportName(protocol.id, new Date(json.exportedAt)), rows, participants: json.participants };
}

// All files of a ZIP: Map(path -> Uint8Array); folders and macOS metadata left out.
export function readZip(bytes) {
  let entries;
  try {
    entries = unzipSync(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));
  } catch (e) {
    throw new Error(`not a readable ZIP file (${e.message})`);
  }
  const files = new Map();
  for (const [path, data] of Object.entries(entries)) {
    if (path.endsWith('/') || path.startsWith('__MACOSX/')) continue;
    files.set(path, data);
  }
  return files;
}

const depth = (p) => p.split('/').length;
const dirOf = (p) => (p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '');
const isAudio = (p) => /\.(wav|flac|ogg|oga|mp3|m4a|webm)$/i.test(p);

// Finds the dataset in a set of files (a ZIP or a picked folder): the
// shallowest manifest.csv (paths relative to its folder) -> labelled rows;
// no manifest -> every audio file, unlabelled, its own group.
// Returns {rows (paths resolved inside `files`), dir, labelled, json}.
export function findDataset(files) {
  const paths = [...files.keys()];
  const csvPath = paths.filter((p) => p.split('/').pop() === 'manifest.csv').sort((a, b) => depth(a) - depth(b))[0];
  if (csvPath) {
    const dir = dirOf(csvPath);
    const rows = readManifestCsv(strFromU8(files.get(csvPath)), csvPath);
    for (const r of rows) r.path = joinPath(dir, r.path);
    const missing = rows.filter((r) => !files.has(r.path));
    if (missing.length) {
      throw new Error(`${csvPath} lists ${missing.length} file(s) that are not there, e.g. ${missing[0].path}`);
    }
    const jsonPath = joinPath(dir, 'manifest.json');
    let json = null;
    if (files.has(jsonPath)) {
      try { json = JSON.parse(strFromU8(files.get(jsonPath))); } catch { json = null; }
    }
    return { rows, dir, labelled: true, json, csvPath };
  }
  const rows = paths.filter(isAudio).sort().map((p) => ({ path: p, label: '', group: p, modality: '', split: '' }));
  if (!rows.length) throw new Error('no manifest.csv and no audio files found');
  return { rows, dir: '', labelled: false, json: null, csvPath: null };
}

// Imports a research-mode export into the store. Participants already
// stored are left as they are. Returns {imported, skipped, protocol}.
export async function importZip(bytes, store) {
  const files = readZip(bytes);
  const { dir, json } = findDataset(files);
  if (!json || json.kind !== 'tinym2-research-export') {
    throw new Error('this ZIP is not a research-mode export (it has no research manifest.json); it can still be evaluated below');
  }
  const protoPath = joinPath(dir, json.protocol ?? 'protocol.json');
  if (!files.has(protoPath)) throw new Error(`the export has no ${protoPath}`);
  let protocolValue;
  try { protocolValue = JSON.parse(strFromU8(files.get(protoPath))); } catch (e) {
    throw new Error(`${protoPath}: not valid JSON (${e.message})`);
  }
  const protocol = validateProtocol(protocolValue, protoPath);
  const existing = new Set((await store.listSessions()).map((s) => s.id));
  let imported = 0;
  let skipped = 0;
  for (const p of json.participants ?? []) {
    if (existing.has(p.group)) { skipped++; continue; }
    const takes = json.rows.filter((r) => r.group === p.group).map((r) => {
      const data = files.get(joinPath(dir, r.path));
      if (!data) throw new Error(`the export lacks ${r.path}`);
      const wav = data.slice().buffer;
      let info;
      try {
        info = parseWav(wav);
      } catch (e) {
        throw new Error(`${r.path}: ${e.message}`);
      }
      if (!info) throw new Error(`${r.path}: this file holds no WAV recording (it may be a renamed text or other file).`);
      return {
        id: `${p.group}/${r.task}-${r.take}`, session: p.group, task: r.task, take: r.take,
        modality: r.modality, sampleRate: info.sampleRate, frames: info.frames,
        seconds: info.frames / info.sampleRate, wav,
        recordedAt: r.recordedAt || undefined, inputDevice: r.inputDevice ?? '', inputChannels: r.inputChannels ?? null,
        browser: r.browser ?? '', userAgent: r.userAgent ?? '',
      };
    });
    await store.putSession({
      id: p.group, participant: p.group, protocol, createdAt: p.createdAt ?? new Date().toISOString(),
      consentedAt: p.consentedAt ?? null, answers: p.answers ?? {}, status: p.status ?? 'complete',
      split: p.split ?? '', importedAt: new Date().toISOString(),
      ...(p.consentLanguage ? { language: p.consentLanguage } : {}),
    });
    for (const t of takes) await store.putTake(t);
    imported++;
  }
  return { imported, skipped, protocol };
}
