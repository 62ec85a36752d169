// The screening page's result: the headline for the result's band, what it
// means, and the details (scores per take, probabilities per class, each
// recording's spectrogram and contribution, compute time).
import { drawSpectrogram } from './spectrogram.js';
import { $, state, takesPerBranch } from './page-state.js';

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else e.setAttribute(k, v);
  }
  e.append(...children);
  return e;
}

function headline(r) {
  const s = state.screening;
  const groups = s.groups ?? {};
  const pos = groups.positive ?? `recordings labelled "${state.model.labels[r.shown]}"`;
  const neg = groups.negative ?? 'the other recordings';
  const many = takesPerBranch() > 1 ? 'recordings' : 'recording';
  return {
    unstable: [`No result: your ${many} disagreed.`,
      `The model gave your ${many} very different scores, so any single figure would mislead. ` +
      'You may record again in a quiet place; if the answer keeps changing, this model cannot say anything about your sounds.'],
    low: [`Your ${many} sound more like the ${neg}.`, `This does not mean that you are well${s.condition ? ` or free of ${s.condition}` : ''}.`],
    middle: ['The model cannot place your recordings.', `They sit between the ${neg} and the ${pos}.`],
    high: [`Your ${many} sound more like the ${pos}.`, `This does not mean that you are ill${s.condition ? ` or have ${s.condition}` : ''}.`],
  }[r.category];
}

export function renderResult(r, features) {
  const body = $('result-body');
  body.textContent = '';
  const { screening, model } = state;
  const label = model.labels[r.shown];
  body.dataset.category = r.category ?? 'none';
  if (screening.test) {
    body.append(el('p', { class: 'test-model' },
      el('strong', {}, 'Test model — outputs mean nothing. '),
      'The numbers below only show that the page works.'));
  }
  if (r.category) {
    const [head, more] = headline(r);
    body.append(el('p', { class: 'headline', id: 'headline' }, head));
    body.append(el('p', {}, more));
    body.append(el('h3', {}, 'What this means'));
    body.append(el('p', { id: 'meaning' }, screening.meaning ?? screening.note ?? ''));
    body.append(el('p', { class: 'not-diagnosis' }, el('strong', {}, 'This is not a diagnosis. '),
      'If you feel unwell or are worried, talk to a doctor or your local health service, whatever this page says.'));
  } else {
    body.append(el('p', { class: 'headline', id: 'headline' },
      `The model's most likely answer is "${label}", with a probability of ${(r.probabilities[r.shown] * 100).toFixed(0)} %.`));
    body.append(el('p', {}, 'This is not a diagnosis: it says how similar your sounds are to recordings the model was trained on, not whether you are ill.'));
  }
  if (r.category === 'unstable') {
    finish();
    return;
  }
  const details = el('details', { id: 'details', open: '' }, el('summary', {}, 'Details'));
  if (r.takes.length > 1) {
    const t = el('table', { id: 'takes' }, el('caption', {}, `Score of each recording for "${label}" (0 to 100)`),
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'recording'), el('th', { scope: 'col' }, 'score'))));
    const tb = el('tbody');
    r.takes.forEach((p, i) => tb.append(el('tr', {}, el('th', { scope: 'row' }, `${i + 1}`), el('td', {}, (p[r.shown] * 100).toFixed(0)))));
    t.append(tb);
    details.append(t, el('p', {}, `The result uses the middle one (median) of these scores. Scores under ${(r.bands[0] * 100).toFixed(0)} count as one side, ` +
      `over ${(r.bands[1] * 100).toFixed(0)} as the other, and recordings that differ by more than ${(r.spreadLimit * 100).toFixed(0)} give no result.`));
  }
  const table = el('table', { id: 'probabilities' },
    el('caption', {}, r.takes.length > 1 ? 'Model output per class (median of the recordings)' : 'Model output per class'),
    el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'class'), el('th', { scope: 'col' }, 'probability'))));
  const tbody = el('tbody');
  r.labels.forEach((l, i) => tbody.append(el('tr', {}, el('th', { scope: 'row' }, l),
    el('td', { 'data-label': l }, r.probabilities[i].toFixed(4)))));
  table.append(tbody);
  details.append(table);
  const list = el('ul', { class: 'recordings' });
  state.steps.forEach((step, k) => {
    const f = features[step.t][step.b];
    const canvas = el('canvas', {
      class: 'spectrogram', role: 'img',
      'aria-label': `Spectrogram of ${step.name}: time from left to right, pitch from bottom to top, brightness is loudness.`,
    });
    drawSpectrogram(canvas, f);
    const rec = state.recordings[k];
    const c = r.contributions?.[step.b];
    list.append(el('li', {},
      el('strong', {}, `${step.name[0].toUpperCase()}${step.name.slice(1)}: `),
      c == null ? '' : `${c >= 0 ? '+' : '−'}${Math.abs(c * 100).toFixed(1)} points on "${label}" compared with silence in its place `,
      el('span', { class: 'source' }, `(${rec.source}, ${(rec.frames / rec.sampleRate).toFixed(1)} s at ${rec.sampleRate} Hz)`),
      canvas));
  });
  details.append(el('h3', {}, r.contributions ? 'What each recording contributed' : 'The recordings as the model hears them'), list);
  details.append(el('p', { id: 'compute-time' },
    `Computed on this device in ${r.computeMs.toFixed(1)} ms: preprocessing ${r.preprocessMs.toFixed(1)} ms, ` +
    `inference ${r.inferenceMs.toFixed(2)} ms (${r.kernels}). Nothing was sent anywhere.`));
  body.append(details);
  finish();
}

function finish() {
  $('result').hidden = false;
  $('result').focus();
  $('result').scrollIntoView({ block: 'start' });
}
