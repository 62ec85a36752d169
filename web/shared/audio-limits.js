// The long-file policy: a recording longer than the model takes is refused
// with a plain message, never silently cut. Research mode's evaluation uses
// it; it stands in until the screening page's shared upload validation
// lands, which should keep these names (MAX_SECONDS, checkDuration).

// No model of this project takes more than this, whatever its metadata says.
export const MAX_SECONDS = 30;

// `seconds` against `limit` (a branch's max_seconds, capped at MAX_SECONDS):
// a message saying what is wrong and what to do, or null when it fits.
export function checkDuration(seconds, limit = MAX_SECONDS) {
  const max = Math.min(limit, MAX_SECONDS);
  if (!Number.isFinite(seconds) || seconds <= 0) return 'This recording holds no audio.';
  if (seconds > max) {
    return `Too long: ${seconds.toFixed(1)} s, and at most ${max.toFixed(1)} s is accepted. ` +
      'Cut it to the part that matters, or record a shorter one.';
  }
  return null;
}
