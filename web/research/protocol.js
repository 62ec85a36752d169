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
  root: ['format', 'id', 'study', 'version', 'description', 'consent', 'tasks', 'questions'],
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

  if (problems.length) throw new ProtocolError(problems, source);
  return {
    format: 1,
    id: value.id,
    study: value.study,
    version: value.version ?? '1',
    description: value.description ?? '',
    consent: { text: consentText, agree: consent.agree },
    tasks,
    questions,
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
