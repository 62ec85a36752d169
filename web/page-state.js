// What the screening page's modules share (app.js, steps.js,
// result-view.js): the query parameters, the page's state, the buttons that
// follow it and the one-action-at-a-time runner.
import { createGuard } from './shared/guard.js';

export const params = new URLSearchParams(location.search);
export const $ = (id) => document.getElementById(id);
export const state = { recordings: [], steps: [], focusAfter: null, recording: false };
const { guard, isBusy } = createGuard(setButtons);

// Runs a user action one at a time; afterwards moves focus to where the
// action asked (buttons are disabled while it runs, so focusing them inside
// the action would drop focus to <body>). An error the action did not
// handle goes to the alert, which takes focus.
export async function run(fn) {
  state.focusAfter = null;
  await guard(fn);
  const target = !$('alert').hidden ? $('alert') : state.focusAfter;
  state.focusAfter = null;
  if (target) {
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: 'center' });
  }
}

export const takesPerBranch = () => Math.max(1, Math.round(Number(state.screening.takes ?? 1)));

export const pcmOf = (a) => ({ samples: a.samples, sampleRate: a.sampleRate, channels: a.channels });

function setButtons(disabled) {
  for (const s of state.steps) {
    s.q('.record').disabled = disabled;
    s.q('.file').disabled = disabled;
  }
  $('screen').disabled = disabled || !state.recordings.every((r) => r);
}

export function updateScreenButton() {
  $('screen').disabled = isBusy() || !state.recordings.every((r) => r);
}
