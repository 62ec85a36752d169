// Research mode's pure modules under node: protocol validation (the shipped
// default passes; each kind of mistake is reported with its field path),
// the manifest CSV (the factory's quoting and reading rules), how
// evaluation joins recordings per model branch, and the metrics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseProtocol, validateProtocol, ProtocolError, plannedTakes, chooseLanguage, localizeProtocol, protocolLanguages } from '../../web/research/protocol.js';
import { writeManifestCsv, readManifestCsv, splitCsvLine, evaluationItems, joinPath, buildManifest, EXPORT_COLUMNS, exportName } from '../../web/research/manifest.js';
import { AudioCache } from '../../web/research/audio-cache.js';
import { makePasscode, checkPasscode } from '../../web/research/lock.js';
import { auc, computeMetrics } from '../../web/research/metrics.js';
import { root } from './paths.mjs';

const defaultText = readFileSync(path.join(root, 'models/protocols/default.json'), 'utf8');

test('the shipped default protocol is valid', () => {
  const p = parseProtocol(defaultText);
  assert.equal(p.questions.filter((q) => q.label).length, 1);
  assert.deepEqual(p.tasks.map((t) => t.modality), ['cough', 'speech', 'breath']);
  assert.equal(plannedTakes(p).length, 4);
  parseProtocol(readFileSync(path.join(root, 'tests/web/fixtures/research-protocol.json'), 'utf8'));
});

test('a bad protocol names each problem by field path', () => {
  const good = JSON.parse(defaultText);
  const problems = (mutate) => {
    const p = structuredClone(good);
    mutate(p);
    try {
      validateProtocol(p);
    } catch (e) {
      assert.ok(e instanceof ProtocolError);
      return e.problems;
    }
    return [];
  };
  assert.match(problems((p) => { p.tasks[1].maxSeconds = 2; })[0], /^protocol\.tasks\[1\]\.maxSeconds: expected a number of seconds ≥ minSeconds \(3\)/);
  assert.match(problems((p) => { p.tasks[0].takes = 0; })[0], /^protocol\.tasks\[0\]\.takes: expected a whole number/);
  assert.match(problems((p) => { p.tasks[2].id = 'cough'; })[0], /^protocol\.tasks\[2\]\.id: "cough" is used by an earlier task/);
  assert.match(problems((p) => { p.tasks[0].maxSecond = 3; })[0], /^protocol\.tasks\[0\]\.maxSecond: unknown field/);
  assert.match(problems((p) => { p.questions[0].label = false; })[0], /exactly one question with "label": true.*found 0/);
  assert.match(problems((p) => { p.questions[0].values = ['positive']; })[0], /^protocol\.questions\[0\]\.values: expected a list of at least two/);
  assert.match(problems((p) => { p.questions[0].values[1] = 'neg\native'; })[0], /^protocol\.questions\[0\]\.values\[1\]: expected a non-empty string without line breaks/);
  assert.match(problems((p) => { delete p.consent.agree; })[0], /^protocol\.consent\.agree: expected/);
  assert.match(problems((p) => { p.format = 2; })[0], /^protocol\.format: expected the number 1, got 2/);
  assert.throws(() => parseProtocol('{"format": 1,', 'study.json'), /study\.json is not a valid study protocol:\n- not valid JSON/);
});

test('protocol translations: complete or refused by field path; the language picked from link and browser', () => {
  const good = JSON.parse(defaultText);
  const p = validateProtocol(good);
  assert.deepEqual(protocolLanguages(p), ['en', 'de', 'fr', 'es']);
  // Every translation covers every text a participant reads.
  for (const [tag, tr] of Object.entries(p.translations)) {
    assert.equal(tr.consent.text.length, p.consent.text.length, tag);
    assert.deepEqual(Object.keys(tr.tasks), p.tasks.map((t) => t.id), tag);
    for (const q of p.questions.filter((x) => x.type === 'choice')) assert.deepEqual(Object.keys(tr.questions[q.id].values), q.values, `${tag} ${q.id}`);
  }
  assert.equal(chooseLanguage(p, ['de-AT', 'en']), 'de');
  assert.equal(chooseLanguage(p, [null, 'ja', 'fr-CA']), 'fr');
  assert.equal(chooseLanguage(p, ['es', 'de']), 'es', 'the first wanted language that the protocol has wins');
  assert.equal(chooseLanguage(p, ['ja', 'zh-CN']), 'en', 'the protocol\'s own language otherwise');
  const de = localizeProtocol(p, 'de');
  assert.match(de.consent.agree, /^Ich habe/);
  assert.equal(de.tasks[0].prompt, p.translations.de.tasks.cough);
  assert.deepEqual(de.questions[0].values, ['positive', 'negative'], 'answers keep the protocol\'s values (the labels)');
  assert.deepEqual(de.questions[0].shown, { positive: 'positiv', negative: 'negativ' });
  assert.deepEqual([de.tasks[0].minSeconds, de.tasks[0].maxSeconds, de.tasks[0].takes], [1, 10, 2]);
  assert.equal(localizeProtocol(p, 'en').consent.agree, p.consent.agree);
  assert.deepEqual(validateProtocol(p), p, 'a normalised protocol validates to itself');

  const problems = (mutate) => {
    const q = structuredClone(good);
    mutate(q);
    try { validateProtocol(q); } catch (e) { return e.problems; }
    return [];
  };
  assert.deepEqual(problems((q) => { delete q.translations.fr.tasks.counting; }),
    ['protocol.translations.fr.tasks.counting: expected the translated prompt, got nothing']);
  assert.deepEqual(problems((q) => { delete q.translations.de.questions.symptoms.values.no; }),
    ['protocol.translations.de.questions.symptoms.values.no: expected the translated answer, got nothing']);
  assert.match(problems((q) => { q.translations.es.questions.test_result.values.maybe = 'quizás'; })[0], /values\.maybe: no such answer/);
  assert.match(problems((q) => { q.translations.es.tasks.walking = 'Camine'; })[0], /tasks\.walking: no such task/);
  assert.match(problems((q) => { delete q.translations.de.consent.agree; })[0], /^protocol\.translations\.de\.consent\.agree: expected/);
  assert.match(problems((q) => { q.translations['de_DE'] = q.translations.de; })[0], /"de_DE" is not a language tag/);
  assert.match(problems((q) => { q.translations.en = q.translations.de; })[0], /translations\.en: the protocol's own language needs no translation/);
  assert.match(problems((q) => { q.language = 'English'; })[0], /^protocol\.language: expected a language tag/);
});

test('manifest CSV: the factory\'s quoting, required columns and split values', () => {
  const rows = [
    { path: 'audio/p-1/cough-1.wav', label: 'a,b', group: 'p-1', modality: 'cough', split: '' },
    { path: 'audio/p-2/cough-1.wav', label: 'say "hi"', group: 'p-2', modality: 'cough', split: 'test' },
  ];
  const csv = writeManifestCsv(rows);
  assert.equal(csv.split('\n')[0], 'path,label,group,modality,split');
  assert.equal(csv.split('\n')[1], 'audio/p-1/cough-1.wav,"a,b",p-1,cough,');
  assert.equal(csv.split('\n')[2], 'audio/p-2/cough-1.wav,"say ""hi""",p-2,cough,test');
  const back = readManifestCsv(csv);
  assert.deepEqual(back.map((r) => [r.path, r.label, r.group, r.modality, r.split]),
    rows.map((r) => [r.path, r.label, r.group, r.modality, r.split]));
  assert.deepEqual(splitCsvLine('a,"b,c",d\r'), ['a', 'b,c', 'd']);
  assert.throws(() => readManifestCsv('path,label\nx,y\n'), /header lacks the 'group' column/);
  assert.throws(() => readManifestCsv('path,label,group\nx,,g\n'), /manifest\.csv:2: path, label and group must not be empty/);
  assert.throws(() => readManifestCsv('group,path,label,split\ng,x,y,dev\n'), /split 'dev' is not train, validation or test/);
  assert.equal(joinPath('study', '../study/audio/./a.wav'), 'study/audio/a.wav');
});

test('export manifest rows: participant as group, label from the label question', () => {
  const p = parseProtocol(defaultText);
  const session = { participant: 'p-abc', status: 'complete', split: '', createdAt: 't', answers: { test_result: 'negative' } };
  const takes = [
    { task: 'breathing', take: 1, modality: 'breath', sampleRate: 48000, frames: 96000 },
    { task: 'cough', take: 2, modality: 'cough', sampleRate: 48000, frames: 48000 },
    { task: 'cough', take: 1, modality: 'cough', sampleRate: 48000, frames: 48000 },
  ];
  const unlabelled = { session: { ...session, participant: 'p-x', answers: {} }, takes };
  const { rows, json } = buildManifest(p, [{ session, takes }, unlabelled]);
  assert.deepEqual(rows.map((r) => r.path), ['audio/p-abc/cough-1.wav', 'audio/p-abc/cough-2.wav', 'audio/p-abc/breathing-1.wav']);
  assert.ok(rows.every((r) => r.group === 'p-abc' && r.label === 'negative'));
  assert.equal(json.participants.length, 1);
  assert.equal(rows[2].seconds, 2);
});

test('evaluation joins recordings like the factory', () => {
  const rows = [
    { path: 'b1', label: 'x', group: 'g2', modality: 'breath' },
    { path: 'c1', label: 'x', group: 'g2', modality: 'cough' },
    { path: 'c2', label: 'x', group: 'g2', modality: 'cough' },
    { path: 's1', label: 'x', group: 'g2', modality: 'speech' },
    { path: 'c3', label: 'y', group: 'g1', modality: 'cough' },
  ];
  const three = [{ modality: 'cough' }, { modality: 'speech' }, { modality: 'breath' }];
  const { items, skipped } = evaluationItems(rows, three);
  assert.deepEqual(items, [{ name: 'g2', group: 'g2', label: 'x', paths: ['c1', 's1', 'b1'] }]);
  assert.equal(skipped, 1);
  const one = evaluationItems(rows, [{ modality: 'cough' }]);
  assert.deepEqual(one.items.map((i) => i.paths[0]), ['c1', 'c2', 'c3']);
  assert.equal(evaluationItems(rows, [{ modality: 'vowel' }]).items.length, 5);
});

test('metrics: AUC with ties, accuracy and the confusion matrix', () => {
  assert.equal(auc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]), 0.75);
  assert.equal(auc([0.5, 0.5], [false, true]), 0.5);
  assert.ok(Number.isNaN(auc([0.5], [true])));
  const m = computeMetrics([
    { label: 'neg', probabilities: [0.9, 0.1] },
    { label: 'pos', probabilities: [0.3, 0.7] },
    { label: 'pos', probabilities: [0.6, 0.4] },
    { label: 'other', probabilities: [0.6, 0.4] },
  ], ['neg', 'pos']);
  assert.equal(m.scored, 3);
  assert.equal(m.unscored, 1);
  assert.equal(m.accuracy, 2 / 3);
  assert.deepEqual(m.confusion, [[1, 0], [1, 1]]);
  assert.equal(m.auc, 1);
  assert.equal(m.positive, 'pos');
});

test('export: manifest.csv flags unfinished sessions and carries per-take time, rate, device and browser', () => {
  const p = parseProtocol(defaultText);
  const take = {
    task: 'cough', take: 1, modality: 'cough', sampleRate: 48000, frames: 48000,
    recordedAt: '2026-12-03T10:00:00.000Z', inputDevice: 'USB mic, "front"\nleft', browser: 'Chromium 156; Linux; not mobile',
  };
  const done = { participant: 'p-a', status: 'complete', answers: { test_result: 'negative' } };
  const open = { participant: 'p-b', status: 'in-progress', answers: { test_result: 'positive' } };
  const { csv, rows } = buildManifest(p, [{ session: done, takes: [take] }, { session: open, takes: [take] }]);
  const lines = csv.trim().split('\n');
  assert.equal(lines[0], EXPORT_COLUMNS.join(','));
  assert.deepEqual(EXPORT_COLUMNS, ['path', 'label', 'group', 'modality', 'split', 'session_status', 'recorded_at', 'sample_rate', 'input_device', 'browser']);
  assert.equal(lines[1], 'audio/p-a/cough-1.wav,negative,p-a,cough,,complete,2026-12-03T10:00:00.000Z,48000,"USB mic, ""front"" left",Chromium 156; Linux; not mobile');
  assert.match(lines[2], /^audio\/p-b\/cough-1\.wav,positive,p-b,cough,,unfinished,/);
  // The factory's reader still reads it (extra columns are ignored).
  assert.deepEqual(readManifestCsv(csv).map((r) => [r.path, r.label, r.group]), [['audio/p-a/cough-1.wav', 'negative', 'p-a'], ['audio/p-b/cough-1.wav', 'positive', 'p-b']]);
  assert.equal(rows[0].inputDevice, 'USB mic, "front"\nleft', 'manifest.json keeps the device label as given');
});

test('export names carry the time to the second', () => {
  assert.equal(exportName('study', new Date('2026-12-03T09:05:07.123Z')), 'study-20261203-090507.zip');
  assert.notEqual(exportName('s', new Date('2026-12-03T09:05:07Z')), exportName('s', new Date('2026-12-03T15:00:00Z')));
});


test('the evaluation audio cache stays within its byte budget (least recently used out first)', () => {
  const a = (n) => ({ samples: new Int16Array(n) });
  const c = new AudioCache(1000);
  c.set('x', a(200)); // 400 bytes
  c.set('y', a(200));
  assert.equal(c.bytes, 800);
  c.get('x'); // y is now the oldest
  c.set('z', a(200));
  assert.equal(c.bytes, 800);
  assert.equal(c.get('y'), undefined);
  assert.ok(c.get('x') && c.get('z'));
  c.set('big', a(600)); // 1200 bytes: more than the whole budget, not kept
  assert.equal(c.get('big'), undefined);
  assert.ok(c.bytes <= 1000);
  c.set('x', a(100)); // replacing an entry counts its new size
  assert.equal(c.bytes, 600);
  c.clear();
  assert.equal(c.bytes, 0);
});

test('researcher passcode: a salted PBKDF2 hash, never the passcode', async () => {
  const r = await makePasscode('kiosk-1234');
  assert.ok(r.iterations >= 100000);
  assert.equal(r.salt.length, 16);
  assert.equal(r.hash.length, 32);
  assert.equal(await checkPasscode(r, 'kiosk-1234'), true);
  assert.equal(await checkPasscode(r, 'kiosk-1235'), false);
  const again = await makePasscode('kiosk-1234');
  assert.notDeepEqual(again.hash, r.hash, 'a fresh salt each time');
  await assert.rejects(makePasscode('abc'), /at least 4 characters/);
});

test('one long-file policy: evaluation and screening refuse what a model does not take, never cut it', async () => {
  const { checkLength } = await import('../../web/shared/audio-input.js');
  assert.equal(checkLength(2, { minSeconds: 0, maxSeconds: 2 }).ok, true);
  const long = checkLength(600, { minSeconds: 0, maxSeconds: 2 });
  assert.equal(long.reason, 'long');
  assert.match(long.message, /^Too long: 10 minutes\. This step takes recordings of up to 2\.0 s/);
  assert.equal(checkLength(0, { minSeconds: 0, maxSeconds: 2 }).reason, 'short');
  assert.equal(checkLength(Infinity, { minSeconds: 0, maxSeconds: 2 }).ok, false);
});

test('numbers in the participant texts are written the language\'s way', async () => {
  const { translate, formatNumber } = await import('../../web/research/i18n.js');
  assert.equal(translate('de', 'lengthRange', { min: 1.5, max: 2 }), 'Zwischen 1,5 und 2 Sekunden; drücken Sie Stopp, wenn Sie fertig sind.');
  assert.equal(translate('en', 'lengthRange', { min: 1.5, max: 2 }), 'Between 1.5 and 2 seconds; press Stop when done.');
  assert.equal(translate('fr', 'savedTake', { seconds: formatNumber('fr', 2.5, 1), rate: 16000 }), 'Enregistré : 2,5 s à 16000 Hz.');
  assert.equal(translate('es', 'savedTake', { seconds: formatNumber('es', 5, 1), rate: 48000 }), 'Guardada: 5,0 s a 48000 Hz.');
  assert.equal(translate('en', 'savedTake', { seconds: formatNumber('en', 0.25, 1), rate: 8000 }), 'Saved: 0.3 s at 8000 Hz.');
  // An unknown tag still gives digits, not an error.
  assert.equal(formatNumber('xx-invalid-tag-!!', 1.25, 2), '1.25');
});
