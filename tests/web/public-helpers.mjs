// Helpers for the public page's browser tests (page-*.test.mjs): a server
// whose answers a test can replace, audio made from the fixture clips (a
// careful resampler, broken WAV headers), and page-state checks (focus,
// overflow, the first screen).
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import assert from 'node:assert/strict';
import { createServer } from '../../scripts/serve.mjs';
import { parseWav } from '../../web/wav.js';
import { engineDir, fixtures } from './paths.mjs';

// The page's server, except that `server.override(pathname, answer)`
// replaces a path's answer ({status, body, headers}) until cleared with
// `server.override(pathname, null)`.
export async function startOverridableServer() {
  const inner = createServer({ engineDir });
  const overrides = new Map();
  const outer = http.createServer((req, res) => {
    const answer = overrides.get(new URL(req.url, 'http://localhost').pathname);
    if (!answer) {
      inner.emit('request', req, res);
      return;
    }
    const a = typeof answer === 'function' ? answer() : answer;
    res.writeHead(a.status ?? 200, {
      'Cross-Origin-Resource-Policy': 'same-origin', 'Cache-Control': 'no-cache', ...(a.headers ?? {}),
    });
    res.end(a.body ?? '');
  });
  await new Promise((r) => outer.listen(0, '127.0.0.1', r));
  return {
    url: `http://localhost:${outer.address().port}/`,
    override: (p, answer) => (answer ? overrides.set(p, answer) : overrides.delete(p)),
    close: () => new Promise((r) => { outer.closeAllConnections(); outer.close(r); }),
  };
}

export const clip = (name) => path.join(fixtures, 'audio', name);

// A fixture clip as mono float64 samples and its rate.
export function readClip(name) {
  const w = parseWav(readFileSync(clip(name)).buffer.slice(0));
  const scale = w.samples instanceof Int16Array ? 1 / 32768 : 1;
  const x = new Float64Array(w.frames);
  for (let i = 0; i < w.frames; i++) {
    let s = 0;
    for (let c = 0; c < w.channels; c++) s += w.samples[i * w.channels + c];
    x[i] = (s * scale) / w.channels;
  }
  return { samples: x, sampleRate: w.sampleRate };
}

function besselI0(x) {
  let s = 1;
  let t = 1;
  for (let k = 1; k < 40; k++) {
    t *= (x / (2 * k)) ** 2;
    s += t;
  }
  return s;
}

// Band-limited resampling in double precision, independent of the core's
// resampler: Kaiser-windowed sinc (beta 9, 32 zero crossings each side),
// cutoff at 0.45 of the lower rate. Stands in for a recording made at
// another rate.
export function resample(x, inRate, outRate) {
  if (inRate === outRate) return Float64Array.from(x);
  const n = Math.floor((x.length * outRate) / inRate);
  const out = new Float64Array(n);
  const fc = (0.45 * Math.min(inRate, outRate)) / inRate; // cycles per input sample
  const half = 32 / (2 * fc);
  const i0 = besselI0(9);
  for (let m = 0; m < n; m++) {
    const t = (m * inRate) / outRate;
    let s = 0;
    const lo = Math.max(0, Math.ceil(t - half));
    const hi = Math.min(x.length - 1, Math.floor(t + half));
    for (let k = lo; k <= hi; k++) {
      const d = k - t;
      const r = d / half;
      const w = besselI0(9 * Math.sqrt(Math.max(0, 1 - r * r))) / i0;
      const a = 2 * fc * d;
      s += x[k] * (a === 0 ? 1 : Math.sin(Math.PI * a) / (Math.PI * a)) * w * 2 * fc;
    }
    out[m] = s;
  }
  return out;
}

// A WAV file's bytes with a hand-made header: 16-bit PCM unless told
// otherwise; `dataBytes` is what the header claims (default: the truth).
export function wavBytes({ samples = new Float64Array(0), rate = 16000, channels = 1, format = 1, bits = 16,
  dataBytes, fmtBytes = 16 } = {}) {
  const body = Buffer.alloc(samples.length * 2);
  samples.forEach((v, i) => body.writeInt16LE(Math.round(Math.max(-1, Math.min(1, v)) * 32767), 2 * i));
  const h = Buffer.alloc(44);
  h.write('RIFF', 0); h.writeUInt32LE(36 + body.length, 4); h.write('WAVE', 8);
  h.write('fmt ', 12); h.writeUInt32LE(fmtBytes, 16); h.writeUInt16LE(format, 20); h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24); h.writeUInt32LE(rate * channels * (bits / 8), 28);
  h.writeUInt16LE(channels * (bits / 8), 32); h.writeUInt16LE(bits, 34);
  h.write('data', 36); h.writeUInt32LE(dataBytes ?? body.length, 40);
  return Buffer.concat([h, body]);
}

// Focus sits on `selector` (and not on <body>).
export async function assertFocus(page, selector, what) {
  const ok = await page.evaluate((s) => document.activeElement === document.querySelector(s), selector);
  const now = await page.evaluate(() => {
    const a = document.activeElement;
    return a ? `${a.tagName.toLowerCase()}${a.id ? `#${a.id}` : ''}.${a.className}` : 'nothing';
  });
  assert.ok(ok, `${what}: focus should be on ${selector}, is on ${now}`);
}

// No horizontal scrolling: the page is no wider than the viewport.
export async function assertNoOverflow(page, state) {
  const { scroll, client } = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth,
  }));
  assert.ok(scroll <= client, `${state}: page is ${scroll} px wide in a ${client} px viewport`);
}

// The element is inside the visible part of the window.
export async function assertInView(page, selector, what) {
  const box = await page.evaluate((s) => {
    const r = document.querySelector(s).getBoundingClientRect();
    return { top: r.top, bottom: r.bottom, h: innerHeight };
  }, selector);
  assert.ok(box.top >= -1 && box.bottom <= box.h + 1, `${what}: ${selector} is at ${box.top}-${box.bottom}, window height ${box.h}`);
}

// Width and height of a PNG (its IHDR chunk).
export function pngSize(buf) {
  assert.equal(buf.subarray(1, 4).toString('latin1'), 'PNG', 'not a PNG');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}
