// What both pages tell the user: #status (a polite live region: what is
// happening) and #alert (role=alert: what went wrong), and guard(), which
// runs one user action at a time and turns its errors into an alert.
const $ = (id) => document.getElementById(id);

export function say(text) {
  $('status').textContent = text;
}

export function alertUser(text) {
  $('alert').textContent = text;
  $('alert').hidden = !text;
}

// setBusy(true/false) disables and re-enables the page's controls around an
// action; isBusy() is already true when setBusy(true) runs. A click while an
// action runs is dropped, not queued: a second Record must not open the
// microphone twice. `failed()` is the status line after an error (the
// research page's is in the participant's language).
export function createGuard(setBusy, { failed = () => 'Something went wrong; see the message above.' } = {}) {
  let busy = false;
  async function guard(fn) {
    if (busy) return;
    busy = true;
    alertUser('');
    setBusy(true);
    try {
      await fn();
    } catch (e) {
      console.error(e);
      alertUser(e.message);
      say(failed());
    } finally {
      busy = false;
      setBusy(false);
    }
  }
  return { guard, isBusy: () => busy };
}
