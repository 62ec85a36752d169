// Rewrites two instructions of the relaxed-SIMD prototype that clang 14 /
// binaryen 108 know into the final dot products, which they do not know, in
// a linked module, in place:
//   i32x4.laneselect (0xfd 0xd2 0x01) -> i32x4.relaxed_dot_i8x16_i7x16_add_s
//     (0xfd 0x93 0x02, final opcode 0x113): both take three v128;
//   i8x16.relaxed_swizzle (0xfd 0xa2 0x01) -> i16x8.relaxed_dot_i8x16_i7x16_s
//     (0xfd 0x92 0x02, final opcode 0x112): both take two v128.
// Each pair gives one v128 and both encodings are 3 bytes, so no size
// changes. The kernels call those two only as placeholders
// (src/kernels/hwy/qs8_quad_relaxed_wasm-inl.h). Every function body is
// decoded instruction by instruction, so bytes inside immediates
// (constants, memory offsets) are never touched.
//
//   node scripts/wasm_relaxed_patch.mjs file.wasm [...]
//
// Exits 1 with a message on a malformed module, a non-minimal encoding of
// the placeholder, or prototype relaxed opcodes other than the placeholder
// (they would mean another instruction under the final numbering).
import fs from 'node:fs';

// Placeholder (prototype numbering) -> the final opcode as 0xfd + u32 LEB128.
const PLACEHOLDERS = new Map([
  [0xd2, [0xfd, 0x93, 0x02]],  // i32x4.laneselect -> 0x113
  [0xa2, [0xfd, 0x92, 0x02]],  // i8x16.relaxed_swizzle -> 0x112
]);
// Prototype relaxed opcodes clang 14 could emit besides the placeholders.
const OTHER_PROTOTYPE = new Set([0xa5, 0xa6, 0xc5, 0xc6, 0xaf, 0xb0, 0xcf, 0xd0, 0xb2, 0xb3,
  0xd3, 0xb4, 0xe2, 0xd4, 0xee]);

class Reader {
  constructor(buf, pos, end) { this.b = buf; this.p = pos; this.end = end; }
  byte() {
    if (this.p >= this.end) throw new Error(`truncated at byte ${this.p}`);
    return this.b[this.p++];
  }
  u32() {
    let v = 0, shift = 0, b;
    do {
      b = this.byte();
      v += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (shift > 35) throw new Error(`LEB128 too long at byte ${this.p}`);
    } while (b & 0x80);
    return v;
  }
  leb() {  // any signed LEB128, skipped
    let n = 0;
    while (this.byte() & 0x80) if (++n > 10) throw new Error(`LEB128 too long at byte ${this.p}`);
  }
  skip(n) {
    if (this.p + n > this.end) throw new Error(`truncated at byte ${this.p}`);
    this.p += n;
  }
  memarg() { this.u32(); this.u32(); }
}

function blockType(r) {
  const b = r.b[r.p];
  if (b === 0x40 || b === 0x7f || b === 0x7e || b === 0x7d || b === 0x7c || b === 0x7b ||
      b === 0x70 || b === 0x6f) {
    r.byte();
  } else {
    r.leb();
  }
}

// Walks one function body's instructions; returns the placeholder offsets.
function scanBody(buf, start, end) {
  const r = new Reader(buf, start, end);
  const hits = [];
  const nlocals = r.u32();
  for (let i = 0; i < nlocals; ++i) { r.u32(); r.byte(); }
  while (r.p < end) {
    const at = r.p;
    const op = r.byte();
    if (op === 0x02 || op === 0x03 || op === 0x04) blockType(r);
    else if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || (op >= 0x20 && op <= 0x26) ||
             op === 0xd2) r.u32();
    else if (op === 0x0e) { const n = r.u32(); for (let i = 0; i <= n; ++i) r.u32(); }
    else if (op === 0x11 || op === 0x13) { r.u32(); r.u32(); }
    else if (op === 0x1c) { const n = r.u32(); r.skip(n); }
    else if (op >= 0x28 && op <= 0x3e) r.memarg();
    else if (op === 0x3f || op === 0x40 || op === 0xd0) r.byte();
    else if (op === 0x41 || op === 0x42) r.leb();
    else if (op === 0x43) r.skip(4);
    else if (op === 0x44) r.skip(8);
    else if (op === 0xfc) {
      const sub = r.u32();
      if (sub === 8) { r.u32(); r.byte(); }
      else if (sub === 10) { r.byte(); r.byte(); }
      else if (sub === 11) r.byte();
      else if (sub === 12 || sub === 14) { r.u32(); r.u32(); }
      else if (sub === 9 || (sub >= 13 && sub <= 17)) r.u32();
      else if (sub > 17) throw new Error(`unknown 0xfc ${sub} at byte ${at}`);
    } else if (op === 0xfd) {
      const sub = r.u32();
      if (sub <= 11 || sub === 92 || sub === 93) r.memarg();
      else if (sub === 12 || sub === 13) r.skip(16);
      else if (sub >= 21 && sub <= 34) r.byte();
      else if (sub >= 84 && sub <= 91) { r.memarg(); r.byte(); }
      else if (PLACEHOLDERS.has(sub)) {
        if (r.p - at !== 3) throw new Error(`placeholder at byte ${at} is not 3 bytes`);
        hits.push({ at, to: PLACEHOLDERS.get(sub) });
      } else if (OTHER_PROTOTYPE.has(sub)) {
        throw new Error(`prototype relaxed opcode 0x${sub.toString(16)} at byte ${at}`);
      }
    } else if (op === 0xfe) {
      const sub = r.u32();
      if (sub === 3) r.byte(); else r.memarg();
    } else if (op > 0xd2 || (op >= 0x06 && op <= 0x0a) || (op >= 0x14 && op <= 0x19) || op === 0x27) {
      throw new Error(`unknown opcode 0x${op.toString(16)} at byte ${at}`);
    }
  }
  if (r.p !== end) throw new Error(`function body overruns at byte ${r.p}`);
  return hits;
}

export function patchRelaxed(buf) {
  if (buf.readUInt32LE(0) !== 0x6d736100 || buf.readUInt32LE(4) !== 1) throw new Error('not a wasm module');
  const top = new Reader(buf, 8, buf.length);
  const hits = [];
  while (top.p < buf.length) {
    const id = top.byte();
    const size = top.u32();
    const end = top.p + size;
    if (end > buf.length) throw new Error('section overruns the file');
    if (id === 10) {
      const code = new Reader(buf, top.p, end);
      const n = code.u32();
      for (let f = 0; f < n; ++f) {
        const len = code.u32();
        hits.push(...scanBody(buf, code.p, code.p + len));
        code.p += len;
      }
    }
    top.p = end;
  }
  for (const { at, to } of hits) { buf[at] = to[0]; buf[at + 1] = to[1]; buf[at + 2] = to[2]; }
  return hits.length;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let status = 0;
  for (const file of process.argv.slice(2)) {
    try {
      const buf = fs.readFileSync(file);
      const n = patchRelaxed(buf);
      fs.writeFileSync(file, buf);
      console.log(`${file}: ${n} relaxed dot products`);
    } catch (e) {
      console.error(`${file}: ${e.message}`);
      status = 1;
    }
  }
  process.exit(status);
}
