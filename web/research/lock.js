// The researcher passcode: a kiosk lock that keeps a participant from
// seeing or changing stored data on a shared device. It is not security
// against someone with the browser's developer tools, who can read
// IndexedDB directly. Stored in the meta store as a salted PBKDF2-SHA-256
// hash {salt, iterations, hash} (WebCrypto), never the passcode itself.

export const MIN_LENGTH = 4;
const ITERATIONS = 210000; // OWASP's 2023 figure for PBKDF2-SHA-256

async function derive(passcode, salt, iterations) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(passcode), 'PBKDF2', false, ['deriveBits']);
  return new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256));
}

export async function makePasscode(passcode) {
  if (passcode.length < MIN_LENGTH) throw new Error(`The passcode needs at least ${MIN_LENGTH} characters.`);
  const salt = crypto.getRandomValues(new Uint8Array(16));
  return { salt, iterations: ITERATIONS, hash: await derive(passcode, salt, ITERATIONS) };
}

export async function checkPasscode(record, passcode) {
  const got = await derive(passcode, record.salt, record.iterations);
  let diff = got.length ^ record.hash.length;
  for (let i = 0; i < got.length; i++) diff |= got[i] ^ record.hash[i];
  return diff === 0;
}
