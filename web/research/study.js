// The study this page runs: its protocol (stored, from a URL or the default)
// and the sound-type model of the models manifest (the quality gate).
import { alertUser } from '../shared/guard.js';
import { parseProtocol, labelQuestion, plannedTakes, chooseLanguage, protocolLanguages } from './protocol.js';
import { $, params, state, setLanguage } from './page.js';

export const DEFAULT_PROTOCOL = '../models/protocols/default.json';

export async function fetchProtocol(url) {
  const u = new URL(url, location.href);
  if (u.origin !== location.origin) throw new Error('the protocol must come from this site');
  const r = await fetch(u);
  if (!r.ok) throw new Error(`cannot fetch the protocol ${u.pathname} (HTTP ${r.status})`);
  return parseProtocol(await r.text(), u.pathname);
}

// A same-origin file, or an Error naming it and the HTTP status: an error
// page's bytes must never be read as a manifest or a model.
async function fetchOk(url) {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url.pathname} could not be loaded (HTTP ${r.status})`);
  return r;
}

// The sound-type model of the screening page's manifest, when it lists one.
// When it cannot be loaded, the page says so and checks length and level.
export async function loadGate() {
  state.gate = null;
  $('gate-note').textContent = 'No sound-type model is listed: recordings are checked for length and level only.';
  try {
    const manifestUrl = new URL(params.get('manifest') ?? '../models/manifest.json', location.href);
    if (manifestUrl.origin !== location.origin) throw new Error('the manifest must come from this site');
    const manifest = await (await fetchOk(manifestUrl)).json();
    if (!manifest.gate) return;
    // The main thread's engine runs only the gate; evaluation has its own in a worker.
    const engine = state.engine;
    const bytes = new Uint8Array(await (await fetchOk(new URL(manifest.gate.url, manifestUrl))).arrayBuffer());
    engine.load(bytes);
    state.gate = { engine, labels: manifest.gate.labels ?? {}, threshold: manifest.gate.threshold ?? 0.5 };
    $('gate-note').textContent = `Sound-type check: ${manifest.gate.url}.`;
  } catch (e) {
    console.warn('sound-type check unavailable:', e);
    const text = `The sound-type check is not available: ${e.message}. Recordings are checked for length and level only.`;
    $('gate-note').textContent = text;
    alertUser(text);
  }
}

export function setProtocol(protocol) {
  state.protocol = protocol;
  $('study-name').textContent = protocol.study;
  $('study-version').textContent = `(protocol ${protocol.id}, version ${protocol.version})`;
  const takes = plannedTakes(protocol).length;
  const label = labelQuestion(protocol);
  $('study-summary').textContent = `${protocol.tasks.length} task${protocol.tasks.length > 1 ? 's' : ''} ` +
    `(${takes} take${takes > 1 ? 's' : ''}: ${protocol.tasks.map((t) => `${t.id} × ${t.takes}`).join(', ')}), ` +
    `${protocol.questions.length} question${protocol.questions.length > 1 ? 's' : ''}; ` +
    `label: "${label.id}" (${label.values.join(' / ')}); languages: ${protocolLanguages(protocol).join(', ')}. ${protocol.description}`;
  // A participant reads it in the language their link (?lang=) or browser asks for.
  setLanguage(chooseLanguage(protocol, [params.get('lang'), ...(navigator.languages ?? [navigator.language])]));
}
