// Study protocols for research mode: what a session asks and records.
// The schema is described in docs/research.md; models/protocols/default.json
// is the shipped example. validateProtocol() checks a parsed JSON value and
// either returns a normalised copy or throws a ProtocolError whose
// `problems` each name a field path and what was expected there, e.g.
//   protocol.tasks[1].maxSeconds: expected a number ≥ minSeconds (3), got 2
// Runs in the browser and in node (the tests import it).

export class ProtocolError extends Error {
  constructor(problems, source = 'protocol') {
    super(`${source} is not a valid study protocol:\n- ${problems.join('\n- ')}`);
    this.problems = problems;
  }
}

// Identifiers become file names and CSV fields: lower-case letters, digits,
// '-' and '_', starting with a letter or digit.
const ID = /^[a-z0-9][a-z0-9_-]{0,39}$/;
// Values that end up in manifest.csv: no line breaks (the factory reads the
// CSV a line at a time), no leading/trailing blanks.
const CSV_SAFE = /^[^\r\n]+$/;
export const MAX_TASK_SECONDS = 120;
export const MAX_TAKES = 10;

const FIELDS = {
  root: ['format', 'id', 'study', 'version', 'description', 'language', 'translations', 'consent', 'tasks', 'questions'],
  translation: ['study', 'description', 'consent', 'tasks', 'questions'],
  consent: ['text', 'agree'],
  task: ['id', 'modality', 'prompt', 'minSeconds', 'maxSeconds', 'takes'],
  question: ['id', 'text', 'type', 'values', 'min', 'max', 'required', 'label'],
};

const show = (v) => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 60));
const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isText = (v) => typeof v === 'string' && v.trim() !== '';

export function validateProtocol(value, source = 'protocol') {
  const problems = [];
  const bad = (path, expected, got) => problems.push(`${path}: expected ${expected}, got ${show(got)}`);
  const unknown = (obj, path, allowed) => {
    for (const k of Object.keys(obj)) {
      if (!allowed.includes(k)) problems.push(`${path}.${k}: unknown field (allowed: ${allowed.join(', ')})`);
    }
  };
  if (!isObject(value)) {
    throw new ProtocolError([`protocol: expected a JSON object, got ${show(value)}`], source);
  }
  unknown(value, 'protocol', FIELDS.root);
  if (value.format !== 1) bad('protocol.format', 'the number 1', value.format);
  if (typeof value.id !== 'string' || !ID.test(value.id)) {
    bad('protocol.id', 'an identifier (a-z, 0-9, - and _, at most 40 characters)', value.id);
  }
  if (!isText(value.study)) bad('protocol.study', 'the study name (a non-empty string)', value.study);
  if (value.version !== undefined && !isText(value.version)) bad('protocol.version', 'a non-empty string', value.version);
  if (value.description !== undefined && typeof value.description !== 'string') {
    bad('protocol.description', 'a string', value.description);
  }

  const consent = value.consent;
  let consentText = [];
  if (!isObject(consent)) {
    bad('protocol.consent', 'an object {text, agree}', consent);
  } else {
    unknown(consent, 'protocol.consent', FIELDS.consent);
    const t = consent.text;
    if (isText(t)) consentText = [t];
    else if (Array.isArray(t) && t.length > 0 && t.every(isText)) consentText = t;
    else bad('protocol.consent.text', 'a non-empty string or a list of non-empty paragraphs', t);
    if (!isText(consent.agree)) bad('protocol.consent.agree', 'the sentence the participant ticks (a non-empty string)', consent.agree);
  }

  const tasks = [];
  if (!Array.isArray(value.tasks) || value.tasks.length === 0) {
    bad('protocol.tasks', 'a non-empty list of tasks', value.tasks);
  } else {
    const seen = new Set();
    value.tasks.forEach((t, i) => {
      const p = `protocol.tasks[${i}]`;
      if (!isObject(t)) { bad(p, 'an object {id, modality, prompt, minSeconds, maxSeconds, takes}', t); return; }
      unknown(t, p, FIELDS.task);
      if (typeof t.id !== 'string' || !ID.test(t.id)) bad(`${p}.id`, 'an identifier (a-z, 0-9, - and _)', t.id);
      else if (seen.has(t.id)) problems.push(`${p}.id: "${t.id}" is used by an earlier task; task ids must be unique`);
      seen.add(t.id);
      if (typeof t.modality !== 'string' || !ID.test(t.modality)) {
        bad(`${p}.modality`, 'a modality identifier such as "cough", "speech" or "breath"', t.modality);
      }
      if (!isText(t.prompt)) bad(`${p}.prompt`, 'the instruction shown to the participant (a non-empty string)', t.prompt);
      const min = t.minSeconds;
      const max = t.maxSeconds;
      const minOk = typeof min === 'number' && Number.isFinite(min) && min > 0;
      if (!minOk) bad(`${p}.minSeconds`, 'a number of seconds > 0', min);
      if (typeof max !== 'number' || !Number.isFinite(max) || max > MAX_TASK_SECONDS || (minOk && max < min)) {
        bad(`${p}.maxSeconds`, `a number of seconds ≥ minSeconds${minOk ? ` (${min})` : ''} and ≤ ${MAX_TASK_SECONDS}`, max);
      }
      const takes = t.takes ?? 1;
      if (!Number.isInteger(takes) || takes < 1 || takes > MAX_TAKES) {
        bad(`${p}.takes`, `a whole number of takes from 1 to ${MAX_TAKES}`, t.takes);
      }
      tasks.push({ id: t.id, modality: t.modality, prompt: t.prompt, minSeconds: min, maxSeconds: max, takes });
    });
  }

  const questions = [];
  if (!Array.isArray(value.questions)) {
    bad('protocol.questions', 'a list of questions (one of them the label)', value.questions);
  } else {
    const seen = new Set();
    value.questions.forEach((q, i) => {
      const p = `protocol.questions[${i}]`;
      if (!isObject(q)) { bad(p, 'an object {id, text, type, ...}', q); return; }
      unknown(q, p, FIELDS.question);
      if (typeof q.id !== 'string' || !ID.test(q.id)) bad(`${p}.id`, 'an identifier (a-z, 0-9, - and _)', q.id);
      else if (seen.has(q.id)) problems.push(`${p}.id: "${q.id}" is used by an earlier question; question ids must be unique`);
      seen.add(q.id);
      if (!isText(q.text)) bad(`${p}.text`, 'the question as shown (a non-empty string)', q.text);
      if (q.type !== 'choice' && q.type !== 'number') bad(`${p}.type`, '"choice" or "number"', q.type);
      if (q.type === 'choice') {
        if (!Array.isArray(q.values) || q.values.length < 2) {
          bad(`${p}.values`, 'a list of at least two allowed answers', q.values);
        } else {
          q.values.forEach((v, k) => {
            if (typeof v !== 'string' || !CSV_SAFE.test(v) || v.trim() !== v) {
              bad(`${p}.values[${k}]`, 'a non-empty string without line breaks or surrounding blanks', v);
            }
          });
          if (new Set(q.values).size !== q.values.length) problems.push(`${p}.values: the allowed answers must be different from each other`);
        }
      } else if (q.values !== undefined) {
        problems.push(`${p}.values: only "choice" questions have values`);
      }
      for (const k of ['min', 'max']) {
        if (q[k] !== undefined && (q.type !== 'number' || typeof q[k] !== 'number' || !Number.isFinite(q[k]))) {
          bad(`${p}.${k}`, 'a number, on "number" questions only', q[k]);
        }
      }
      if (q.type === 'number' && typeof q.min === 'number' && typeof q.max === 'number' && q.max < q.min) {
        problems.push(`${p}.max: expected a number ≥ min (${q.min}), got ${show(q.max)}`);
      }
      if (q.required !== undefined && typeof q.required !== 'boolean') bad(`${p}.required`, 'true or false', q.required);
      if (q.label !== undefined && typeof q.label !== 'boolean') bad(`${p}.label`, 'true or false', q.label);
      if (q.label === true && q.type !== 'choice') problems.push(`${p}.label: the label question must be of type "choice" (its values are the classes)`);
      questions.push({
        id: q.id, text: q.text, type: q.type, values: q.values, min: q.min, max: q.max,
        required: q.label === true ? true : q.required ?? true, label: q.label === true,
      });
    });
    const labels = value.questions.filter((q) => isObject(q) && q.label === true).length;
    if (labels !== 1) {
      problems.push(`protocol.questions: expected exactly one question with "label": true (the class each recording gets), found ${labels}`);
    }
  }

  const language = value.language ?? 'en';
  if (typeof language !== 'string' || !LANGUAGE.test(language)) {
    bad('protocol.language', 'a language tag such as "en" or "pt-BR" (the language of the texts above)', value.language);
  }
  const translations = checkTranslations(value.translations, { language, tasks, questions }, bad, problems);

  if (problems.length) throw new ProtocolError(problems, source);
  return {
    format: 1,
    id: value.id,
    study: value.study,
    version: value.version ?? '1',
    description: value.description ?? '',
    language,
    translations,
    consent: { text: consentText, agree: consent.agree },
    tasks,
    questions,
  };
}

// BCP 47 as browsers give it (navigator.languages): "de", "pt-BR", "zh-Hant-TW".
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,2}$/;

// Translations: {tag: {study?, description?, consent: {text, agree},
// tasks: {task id: prompt}, questions: {question id: {text, values?:
// {value: shown text}}}}}. A translation must be complete for what a
// participant reads (consent, every prompt, question and answer): a
// participant never consents in a mix of two languages. Answers keep the
// protocol's own values, so labels in the export are the same whatever
// language a participant saw.
function checkTranslations(value, { language, tasks, questions }, bad, problems) {
  if (value === undefined) return {};
  if (!isObject(value)) { bad('protocol.translations', 'an object {language tag: translation}', value); return {}; }
  const out = {};
  for (const [tag, tr] of Object.entries(value)) {
    const p = `protocol.translations.${tag}`;
    if (!LANGUAGE.test(tag)) { problems.push(`${p}: "${tag}" is not a language tag such as "de" or "pt-BR"`); continue; }
    if (tag === language) { problems.push(`${p}: the protocol's own language needs no translation`); continue; }
    if (!isObject(tr)) { bad(p, 'an object {consent, tasks, questions}', tr); continue; }
    for (const k of Object.keys(tr)) {
      if (!FIELDS.translation.includes(k)) problems.push(`${p}.${k}: unknown field (allowed: ${FIELDS.translation.join(', ')})`);
    }
    for (const k of ['study', 'description']) if (tr[k] !== undefined && !isText(tr[k])) bad(`${p}.${k}`, 'a non-empty string', tr[k]);
    const c = tr.consent;
    let text = [];
    if (!isObject(c)) bad(`${p}.consent`, 'an object {text, agree}', c);
    else {
      if (isText(c.text)) text = [c.text];
      else if (Array.isArray(c.text) && c.text.length > 0 && c.text.every(isText)) text = c.text;
      else bad(`${p}.consent.text`, 'a non-empty string or a list of non-empty paragraphs', c.text);
      if (!isText(c.agree)) bad(`${p}.consent.agree`, 'a non-empty string', c.agree);
    }
    const prompts = {};
    if (!isObject(tr.tasks)) bad(`${p}.tasks`, 'an object {task id: prompt}', tr.tasks);
    else {
      for (const k of Object.keys(tr.tasks)) if (!tasks.some((t) => t.id === k)) problems.push(`${p}.tasks.${k}: no such task`);
      for (const t of tasks) {
        if (isText(tr.tasks[t.id])) prompts[t.id] = tr.tasks[t.id];
        else bad(`${p}.tasks.${t.id}`, 'the translated prompt', tr.tasks[t.id]);
      }
    }
    const qs = {};
    if (!isObject(tr.questions)) bad(`${p}.questions`, 'an object {question id: {text, values}}', tr.questions);
    else {
      for (const k of Object.keys(tr.questions)) if (!questions.some((q) => q.id === k)) problems.push(`${p}.questions.${k}: no such question`);
      for (const q of questions) {
        const tq = tr.questions[q.id];
        const at = `${p}.questions.${q.id}`;
        if (!isObject(tq) || !isText(tq.text)) { bad(at, 'an object {text, values} with the translated question', tq); continue; }
        const shown = {};
        if (q.type === 'choice' && Array.isArray(q.values)) {
          if (!isObject(tq.values)) { bad(`${at}.values`, 'an object {answer: translated answer}', tq.values); continue; }
          for (const k of Object.keys(tq.values)) if (!q.values.includes(k)) problems.push(`${at}.values.${k}: no such answer`);
          for (const v of q.values) {
            if (isText(tq.values[v])) shown[v] = tq.values[v];
            else bad(`${at}.values.${v}`, 'the translated answer', tq.values[v]);
          }
        } else if (tq.values !== undefined) problems.push(`${at}.values: only "choice" questions have values`);
        qs[q.id] = q.type === 'choice' ? { text: tq.text, values: shown } : { text: tq.text };
      }
    }
    out[tag] = {
      ...(tr.study !== undefined && { study: tr.study }),
      ...(tr.description !== undefined && { description: tr.description }),
      consent: { text, agree: c?.agree }, tasks: prompts, questions: qs,
    };
  }
  return out;
}

// The languages a protocol can be shown in, its own first.
export const protocolLanguages = (protocol) => [protocol.language ?? 'en', ...Object.keys(protocol.translations ?? {})];

// The protocol's language that best matches a list of wanted tags (a
// link's ?lang= first, then navigator.languages): the exact tag, else the
// same primary language ("de-AT" finds "de", "pt" finds "pt-BR"); else the
// protocol's own language.
export function chooseLanguage(protocol, wanted) {
  const have = protocolLanguages(protocol);
  const lower = have.map((t) => t.toLowerCase());
  for (const w of wanted) {
    if (typeof w !== 'string' || !w) continue;
    const exact = lower.indexOf(w.toLowerCase());
    if (exact >= 0) return have[exact];
    const primary = w.toLowerCase().split('-')[0];
    const near = lower.findIndex((t) => t.split('-')[0] === primary);
    if (near >= 0) return have[near];
  }
  return have[0];
}

// The protocol as shown in one of its languages: the same ids, values and
// limits, with the texts replaced and `shown` mapping each choice value to
// the words on screen. The protocol's own language gives it unchanged
// (with shown = the values themselves).
export function localizeProtocol(protocol, lang) {
  const tr = protocol.translations?.[lang];
  const shownOf = (q) => Object.fromEntries((q.values ?? []).map((v) => [v, tr?.questions[q.id]?.values[v] ?? v]));
  return {
    ...protocol,
    shownLanguage: tr ? lang : protocol.language ?? 'en',
    study: tr?.study ?? protocol.study,
    description: tr?.description ?? protocol.description,
    consent: tr ? tr.consent : protocol.consent,
    tasks: protocol.tasks.map((t) => ({ ...t, prompt: tr?.tasks[t.id] ?? t.prompt })),
    questions: protocol.questions.map((q) => ({ ...q, text: tr?.questions[q.id]?.text ?? q.text, shown: shownOf(q) })),
  };
}

// Parses JSON text then validates it; a JSON syntax error is a ProtocolError too.
export function parseProtocol(text, source = 'protocol') {
  let value;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ProtocolError([`not valid JSON (${e.message})`], source);
  }
  return validateProtocol(value, source);
}

export const labelQuestion = (protocol) => protocol.questions.find((q) => q.label);

// Every take a protocol asks for, in order: [{task, take (1-based), key}].
export function plannedTakes(protocol) {
  const out = [];
  for (const task of protocol.tasks) {
    for (let k = 1; k <= task.takes; k++) out.push({ task, take: k, key: `${task.id}-${k}` });
  }
  return out;
}
