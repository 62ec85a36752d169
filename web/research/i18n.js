// The participant's screens in the participant's language: the words of
// the page itself (buttons, headings, hints), where the protocol's
// translations (protocol.js) give the study's own texts; its status,
// quality-check and upload messages are in i18n-messages.js, the page's
// frame, the review and done screens, the lock form and the error messages
// in i18n-screens.js. A language the table lacks shows English. The
// researcher screens behind the lock stay English.
//   applyLanguage('de');            // <html lang>, static labels
//   translate('de', 'takeOf', { take: 1, takes: 2 })  // "Aufnahme 1 von 2"
//   plural('fr', 'savedLeft', 2, { key: 'cough-1' })  // "cough-1 enregistré. Encore 2 prises."
// Keys with {name} placeholders are filled from `vars`.
import { MESSAGES } from './i18n-messages.js';
import { SCREENS } from './i18n-screens.js';

const UI = {
  en: {
    'new-session': 'Start a new participant',
    resume: 'Resume this session',
    'consent-h': 'Information and consent',
    'consent-continue': 'Continue',
    'consent-cancel': 'Cancel',
    'participant-code': 'Participant code:',
    'participant-code-note': '(random; no name is stored)',
    'study-code': 'To withdraw later, give the study team this code:',
    withdraw: 'Withdraw and delete my data',
    'questions-h': 'A few questions',
    'questions-back': 'Back without changing',
    'tasks-h': 'Recordings',
    'review-button': 'Review the session',
    'edit-answers': 'Change my answers',
    'review-h': 'Review',
    finish: 'Finish and save',
    'review-edit-answers': 'Change my answers',
    'back-to-tasks': 'Back to the recordings',
    continueToRecordings: 'Continue to the recordings',
    saveAnswers: 'Save the answers',
    required: '(required)',
    answer: 'Answer',
    record: 'Record',
    recordAgain: 'Record again',
    stop: 'Stop',
    level: 'Level',
    stepOf: '{step} of {steps}: {what}',
    takeOf: '{task}, take {take} of {takes}',
    fixedLength: 'The recording takes {max} seconds and stops by itself.',
    lengthRange: 'Between {min} and {max} seconds; press Stop when done.',
  },
  de: {
    'new-session': 'Als neue Teilnehmerin / neuer Teilnehmer beginnen',
    resume: 'Diese Sitzung fortsetzen',
    'consent-h': 'Information und Einwilligung',
    'consent-continue': 'Weiter',
    'consent-cancel': 'Abbrechen',
    'participant-code': 'Teilnahmecode:',
    'participant-code-note': '(zufällig; kein Name wird gespeichert)',
    'study-code': 'Um später zurückzutreten, nennen Sie dem Studienteam diesen Code:',
    withdraw: 'Teilnahme zurückziehen und meine Daten löschen',
    'questions-h': 'Einige Fragen',
    'questions-back': 'Zurück ohne Änderung',
    'tasks-h': 'Aufnahmen',
    'review-button': 'Sitzung überprüfen',
    'edit-answers': 'Meine Antworten ändern',
    'review-h': 'Überprüfung',
    finish: 'Abschließen und speichern',
    'review-edit-answers': 'Meine Antworten ändern',
    'back-to-tasks': 'Zurück zu den Aufnahmen',
    continueToRecordings: 'Weiter zu den Aufnahmen',
    saveAnswers: 'Antworten speichern',
    required: '(Pflichtangabe)',
    answer: 'Antwort',
    record: 'Aufnehmen',
    recordAgain: 'Erneut aufnehmen',
    stop: 'Stopp',
    level: 'Pegel',
    stepOf: '{step} von {steps}: {what}',
    takeOf: '{task}, Aufnahme {take} von {takes}',
    fixedLength: 'Die Aufnahme dauert {max} Sekunden und endet von selbst.',
    lengthRange: 'Zwischen {min} und {max} Sekunden; drücken Sie Stopp, wenn Sie fertig sind.',
  },
  fr: {
    'new-session': 'Commencer avec un nouveau participant',
    resume: 'Reprendre cette session',
    'consent-h': 'Information et consentement',
    'consent-continue': 'Continuer',
    'consent-cancel': 'Annuler',
    'participant-code': 'Code participant :',
    'participant-code-note': '(aléatoire ; aucun nom n’est enregistré)',
    'study-code': 'Pour vous retirer plus tard, donnez ce code à l’équipe de l’étude :',
    withdraw: 'Me retirer et supprimer mes données',
    'questions-h': 'Quelques questions',
    'questions-back': 'Revenir sans modifier',
    'tasks-h': 'Enregistrements',
    'review-button': 'Relire la session',
    'edit-answers': 'Modifier mes réponses',
    'review-h': 'Relecture',
    finish: 'Terminer et enregistrer',
    'review-edit-answers': 'Modifier mes réponses',
    'back-to-tasks': 'Retour aux enregistrements',
    continueToRecordings: 'Continuer vers les enregistrements',
    saveAnswers: 'Enregistrer les réponses',
    required: '(obligatoire)',
    answer: 'Réponse',
    record: 'Enregistrer',
    recordAgain: 'Enregistrer à nouveau',
    stop: 'Arrêter',
    level: 'Niveau',
    stepOf: '{step} sur {steps} : {what}',
    takeOf: '{task}, prise {take} sur {takes}',
    fixedLength: 'L’enregistrement dure {max} secondes et s’arrête tout seul.',
    lengthRange: 'Entre {min} et {max} secondes ; appuyez sur Arrêter une fois terminé.',
  },
  es: {
    'new-session': 'Empezar con un nuevo participante',
    resume: 'Continuar esta sesión',
    'consent-h': 'Información y consentimiento',
    'consent-continue': 'Continuar',
    'consent-cancel': 'Cancelar',
    'participant-code': 'Código de participante:',
    'participant-code-note': '(aleatorio; no se guarda ningún nombre)',
    'study-code': 'Para retirarse más adelante, dé este código al equipo del estudio:',
    withdraw: 'Retirarme y borrar mis datos',
    'questions-h': 'Algunas preguntas',
    'questions-back': 'Volver sin cambiar',
    'tasks-h': 'Grabaciones',
    'review-button': 'Revisar la sesión',
    'edit-answers': 'Cambiar mis respuestas',
    'review-h': 'Revisión',
    finish: 'Terminar y guardar',
    'review-edit-answers': 'Cambiar mis respuestas',
    'back-to-tasks': 'Volver a las grabaciones',
    continueToRecordings: 'Continuar a las grabaciones',
    saveAnswers: 'Guardar las respuestas',
    required: '(obligatoria)',
    answer: 'Respuesta',
    record: 'Grabar',
    recordAgain: 'Grabar de nuevo',
    stop: 'Detener',
    level: 'Nivel',
    stepOf: '{step} de {steps}: {what}',
    takeOf: '{task}, toma {take} de {takes}',
    fixedLength: 'La grabación dura {max} segundos y se detiene sola.',
    lengthRange: 'Entre {min} y {max} segundos; pulse Detener al terminar.',
  },
};

// Elements whose whole text is one key (their id).
const STATIC = [
  'new-session', 'resume', 'consent-h', 'consent-continue', 'consent-cancel', 'participant-code',
  'participant-code-note', 'study-code', 'withdraw', 'questions-h', 'questions-back', 'tasks-h', 'review-button',
  'edit-answers', 'review-h', 'finish', 'review-edit-answers', 'back-to-tasks',
  'skip', 'page-h', 'nav-collect', 'nav-researcher-link', 'nav-screening', 'collect-h', 'input-hint',
  'next-participant', 'researcher-h', 'lock-hint', 'passcode-label', 'passcode-confirm-label',
];
// Attributes a screen reader speaks: [element id, attribute, key].
const LABELS = [['done-view', 'aria-label', 'sessionFinished'], ['sections-nav', 'aria-label', 'sectionsNav']];

for (const table of [MESSAGES, SCREENS]) {
  for (const [lang, words] of Object.entries(table)) Object.assign(UI[lang], words);
}

// The languages the page's own words exist in, and every word of each
// (the tests compare a translated screen with the English texts).
export const PAGE_LANGUAGES = Object.keys(UI);
export const pageTexts = (lang) => ({ ...UI[lang] });

// The page language for a list of wanted tags (?lang=, then the browser's),
// before a protocol says which languages the study has: the exact tag or
// its primary language ("de-AT" finds "de"), else English.
export function pageLanguage(wanted) {
  for (const w of wanted) {
    const primary = typeof w === 'string' ? w.toLowerCase().split('-')[0] : '';
    if (UI[primary]) return primary;
  }
  return 'en';
}

const table = (lang) => UI[lang] ?? UI[String(lang).split('-')[0]] ?? UI.en;

// A number as the language writes it: "2,5" in German, French and
// Spanish, "2.5" in English; `digits` fixes the decimals ("5,0"). No
// thousands separators, so that "16000 Hz" stays one word.
export function formatNumber(lang, x, digits) {
  const fixed = digits === undefined ? { maximumFractionDigits: 3 } : { minimumFractionDigits: digits, maximumFractionDigits: digits };
  try {
    return new Intl.NumberFormat(lang, { useGrouping: false, ...fixed }).format(x);
  } catch {
    return new Intl.NumberFormat('en', { useGrouping: false, ...fixed }).format(x);
  }
}

// `key`'s text in `lang` with {name} replaced by vars.name; numbers are
// written the language's way (formatNumber), other values as they are.
export function translate(lang, key, vars = {}) {
  const s = table(lang)[key] ?? UI.en[key];
  if (s === undefined) throw new Error(`i18n: no text for "${key}"`);
  return s.replace(/\{(\w+)\}/g, (_, k) => (typeof vars[k] === 'number' ? formatNumber(lang, vars[k]) : String(vars[k])));
}

// `key`One for n = 1, `key`Many otherwise; {n} is n.
export const plural = (lang, key, n, vars = {}) => translate(lang, `${key}${n === 1 ? 'One' : 'Many'}`, { ...vars, n });

// Sets <html lang> and the page's own participant labels; the take
// template's labels too, so that steps built later are in this language.
export function applyLanguage(lang) {
  document.documentElement.lang = lang;
  for (const id of STATIC) {
    const e = document.getElementById(id);
    if (e) e.textContent = translate(lang, id);
  }
  for (const [id, attr, key] of LABELS) document.getElementById(id)?.setAttribute(attr, translate(lang, key));
  const tpl = document.getElementById('take-template')?.content;
  if (tpl) {
    tpl.querySelector('.record').textContent = translate(lang, 'record');
    tpl.querySelector('.stop').textContent = translate(lang, 'stop');
    tpl.querySelector('.meter-label').textContent = translate(lang, 'level');
  }
}
