// The dataset layout research mode exports and reads back, in the factory's
// generic manifest format (native/factory/data/dataset.cc, ReadManifest):
//   - a header row naming the columns, in any order; path, label and group
//     are required, modality, split and source optional, others ignored;
//   - one row per line (no line breaks inside fields); a field may be
//     double-quoted with "" for a quote; empty lines are skipped;
//   - path, label and group must not be empty; split is empty, train,
//     validation or test; a relative path is relative to the CSV's folder.
// Export layout (one ZIP):
//   manifest.csv    path,label,group,modality,split,session_status,recorded_at,
//                   sample_rate,input_device,browser (the factory reads the
//                   first five and ignores the rest; docs/research.md)
//   manifest.json   the same rows plus take details, answers and the study
//   protocol.json   the study protocol the sessions followed
//   audio/<participant>/<task>-<take>.wav   16-bit PCM at the capture rate
// Pure functions: runs in the browser and in node.

export const CSV_COLUMNS = ['path', 'label', 'group', 'modality', 'split'];
// What research mode's export adds per take: whether the participant
// finished the session (complete | unfinished), when the take was recorded
// (ISO 8601), its sample rate, the input device's label and the browser.
export const EXPORT_COLUMNS = [...CSV_COLUMNS, 'session_status', 'recorded_at', 'sample_rate', 'input_device', 'browser'];
const SPLITS = ['', 'train', 'validation', 'test'];

// The factory's Quote(): quoted only when the field holds , " or a newline.
export function csvField(s) {
  const v = String(s ?? '');
  return /[",\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function writeManifestCsv(rows, columns = CSV_COLUMNS) {
  const lines = [columns.join(',')];
  for (const r of rows) {
    for (const c of ['path', 'label', 'group']) {
      if (!r[c]) throw new Error(`manifest row ${lines.length}: ${c} must not be empty`);
    }
    for (const c of columns) {
      if (/[\r\n]/.test(String(r[c] ?? ''))) throw new Error(`manifest row ${lines.length}: ${c} holds a line break`);
    }
    lines.push(columns.map((c) => csvField(r[c])).join(','));
  }
  return `${lines.join('\n')}\n`;
}

// The factory's SplitCsv(): one line, quotes with "" escapes, \r dropped.
export function splitCsvLine(line) {
  const out = [''];
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') { out[out.length - 1] += '"'; i++; }
      else if (c === '"') quoted = false;
      else out[out.length - 1] += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push('');
    else if (c !== '\r') out[out.length - 1] += c;
  }
  return out;
}

// Reads manifest CSV text with the factory's rules and messages. Paths are
// returned as written (relative to the CSV's folder unless absolute).
export function readManifestCsv(text, name = 'manifest.csv') {
  const lines = text.split('\n');
  if (lines.length === 0 || (lines.length === 1 && lines[0] === '')) throw new Error(`${name}: empty manifest`);
  const header = splitCsvLine(lines[0]);
  const col = new Map();
  header.forEach((h, i) => col.set(h, i));
  for (const need of ['path', 'label', 'group']) {
    if (!col.has(need)) throw new Error(`${name}: header lacks the '${need}' column`);
  }
  const rows = [];
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n];
    if (line === '' || line === '\r') continue;
    const f = splitCsvLine(line);
    const get = (k) => (col.has(k) && col.get(k) < f.length ? f[col.get(k)] : '');
    const row = {
      path: get('path'), label: get('label'), group: get('group'),
      modality: get('modality'), split: get('split'), source: get('source'),
    };
    if (!row.path || !row.label || !row.group) {
      throw new Error(`${name}:${n + 1}: path, label and group must not be empty`);
    }
    if (!SPLITS.includes(row.split)) {
      throw new Error(`${name}:${n + 1}: split '${row.split}' is not train, validation or test`);
    }
    rows.push(row);
  }
  return rows;
}

// Joins a manifest-relative path onto the manifest's folder inside a ZIP or
// a picked folder ('' = the root), normalising ./ and ../.
export function joinPath(dir, rel) {
  if (rel.startsWith('/')) return rel.slice(1);
  const parts = (dir ? `${dir}/${rel}` : rel).split('/');
  const out = [];
  for (const p of parts) {
    if (p === '' || p === '.') continue;
    if (p === '..') out.pop();
    else out.push(p);
  }
  return out.join('/');
}

// `<protocol id>-YYYYMMDD-HHMMSS.zip` in UTC: two exports on one day get
// different names (the page adds -2, -3 within one second).
export function exportName(id, when = new Date()) {
  const stamp = when.toISOString().replace(/\.\d+Z$/, '').replace(/-|:/g, '').replace('T', '-');
  return `${id}-${stamp}.zip`;
}

export const takePath = (participant, task, take) => `audio/${participant}/${task}-${take}.wav`;

// The export's rows and manifest.json from stored sessions and their takes
// (takes without audio are fine here). `sessions`: [{session, takes}].
export function buildManifest(protocol, sessions, { exportedAt = new Date().toISOString() } = {}) {
  const labelQ = protocol.questions.find((q) => q.label);
  const rows = [];
  const participants = [];
  for (const { session, takes } of sessions) {
    const label = session.answers?.[labelQ.id];
    if (!label) continue; // no label yet: nothing the factory could use
    participants.push({
      group: session.participant, status: session.status, split: session.split ?? '',
      createdAt: session.createdAt, consentedAt: session.consentedAt,
      // The language the consent was read in: a device's session keeps it
      // as `language`, the study server's export as `consentLanguage`.
      consentLanguage: session.consentLanguage ?? session.language ?? '',
      answers: session.answers,
    });
    const order = new Map(protocol.tasks.map((t, i) => [t.id, i]));
    const sorted = [...takes].sort((a, b) => (order.get(a.task) ?? 99) - (order.get(b.task) ?? 99) || a.take - b.take);
    const status = session.status === 'complete' ? 'complete' : 'unfinished';
    for (const t of sorted) {
      rows.push({
        path: takePath(session.participant, t.task, t.take),
        label, group: session.participant, modality: t.modality, split: session.split ?? '',
        sessionStatus: status,
        task: t.task, take: t.take, sampleRate: t.sampleRate, channels: 1,
        frames: t.frames, seconds: Number((t.frames / t.sampleRate).toFixed(3)),
        recordedAt: t.recordedAt ?? '', savedAt: t.savedAt ?? '', inputDevice: t.inputDevice ?? '',
        inputChannels: t.inputChannels ?? null, browser: t.browser ?? '', userAgent: t.userAgent ?? '',
      });
    }
  }
  const json = {
    format: 1,
    kind: 'tinym2-research-export',
    study: protocol.study,
    protocol: 'protocol.json',
    protocolId: protocol.id,
    protocolVersion: protocol.version,
    label: labelQ.id,
    labels: labelQ.values,
    exportedAt,
    csv: 'manifest.csv',
    columns: EXPORT_COLUMNS,
    rows,
    participants,
  };
  return { rows, csv: writeManifestCsv(rows.map(csvRow), EXPORT_COLUMNS), json };
}

// A row of manifest.json as the CSV's fields; line breaks cannot occur in
// a CSV field the factory reads, so device and browser texts lose theirs.
const oneLine = (v) => String(v ?? '').replace(/[\r\n]+/g, ' ');
function csvRow(r) {
  return {
    path: r.path, label: r.label, group: r.group, modality: r.modality, split: r.split,
    session_status: r.sessionStatus, recorded_at: r.recordedAt, sample_rate: r.sampleRate,
    input_device: oneLine(r.inputDevice), browser: oneLine(r.browser),
  };
}

// Evaluation items for a model, as the factory joins recordings
// (factory.cc, LoadItems):
//   - one branch: one item per recording. Rows whose modality is set and
//     differs from the branch's are left out when any row matches it (the
//     factory itself does not filter; see docs/research.md);
//   - several branches: one item per group holding, for each branch, the
//     first recording of that branch's modality; incomplete groups are
//     left out; the label is the one on the last branch's row.
// rows: [{path, label, group, modality}]; returns {items, skipped}.
export function evaluationItems(rows, branches) {
  if (branches.length === 1) {
    const m = branches[0].modality;
    const match = rows.filter((r) => !r.modality || r.modality === m);
    const use = match.length ? match : rows;
    return {
      items: use.map((r) => ({ name: r.path, group: r.group, label: r.label, paths: [r.path] })),
      skipped: rows.length - use.length,
    };
  }
  const byGroup = new Map();
  for (const r of rows) {
    if (!byGroup.has(r.group)) byGroup.set(r.group, new Map());
    const g = byGroup.get(r.group);
    if (!g.has(r.modality)) g.set(r.modality, r);
  }
  const items = [];
  let skipped = 0;
  for (const [group, g] of [...byGroup].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    const picked = branches.map((b) => g.get(b.modality));
    if (picked.some((r) => !r)) { skipped++; continue; }
    items.push({ name: group, group, label: picked[picked.length - 1].label, paths: picked.map((r) => r.path) });
  }
  return { items, skipped };
}
