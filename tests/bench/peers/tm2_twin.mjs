// The float32 twin of a .tm2 model: the same layers with dequantized
// weights, for the peers (ONNX Runtime Web, TensorFlow.js) to run. Reads the
// FlatBuffers payload directly (models/tm2.fbs, field ids in schema order);
// checks only what the twin needs, the engine is the model's verifier.
//
//   const twin = readTwin(readFileSync('models/kws-dscnn.tm2'));
//   twin.branches[0].input   // {h, w, c, scale, zeroPoint}
//   twin.branches[0].layers  // [{type:'conv', kh, kw, sh, sw, same, outC, inC,
//                            //   weights: Float32Array, bias: Float32Array, clamp}...]
//   twin.head, twin.temperature, twin.labels
//
// Dequantization (FORMAT.md section 4): w = q * weight_scale[c],
// bias = q_bias * input_scale * weight_scale[c]; the activation clamp
// [act_min, act_max] becomes [(act_min - zp) * scale, (act_max - zp) * scale],
// kept only where it cuts (ReLU when it starts at 0, a cap when act_bits or
// ReLU6 narrow the range).

const TYPES = ['conv', 'depthwise', 'fc', 'pointwise', 'maxpool', 'avgpool', 'gap', 'softmax'];

// A FlatBuffers table: field(i) is the absolute position of field i or 0.
class Table {
  constructor(view, pos) {
    this.v = view;
    this.pos = pos;
    this.vt = pos - view.getInt32(pos, true);
    this.vtSize = view.getUint16(this.vt, true);
  }
  field(i) {
    const at = 4 + 2 * i;
    if (at >= this.vtSize) return 0;
    const off = this.v.getUint16(this.vt + at, true);
    return off ? this.pos + off : 0;
  }
  u8(i, d) { const p = this.field(i); return p ? this.v.getUint8(p) : d; }
  i8(i, d) { const p = this.field(i); return p ? this.v.getInt8(p) : d; }
  u16(i, d) { const p = this.field(i); return p ? this.v.getUint16(p, true) : d; }
  u32(i, d) { const p = this.field(i); return p ? this.v.getUint32(p, true) : d; }
  f32(i, d) { const p = this.field(i); return p ? this.v.getFloat32(p, true) : d; }
  ref(i) { const p = this.field(i); return p ? p + this.v.getUint32(p, true) : 0; }
  table(i) { const p = this.ref(i); return p ? new Table(this.v, p) : null; }
  // [position of element 0, length] of a vector field.
  vec(i) { const p = this.ref(i); return p ? [p + 4, this.v.getUint32(p, true)] : [0, 0]; }
  str(i) {
    const [p, n] = this.vec(i);
    return new TextDecoder().decode(new Uint8Array(this.v.buffer, this.v.byteOffset + p, n));
  }
  tables(i) {
    const [p, n] = this.vec(i);
    return Array.from({ length: n }, (_, k) => {
      const e = p + 4 * k;
      return new Table(this.v, e + this.v.getUint32(e, true));
    });
  }
  strs(i) {
    const [p, n] = this.vec(i);
    return Array.from({ length: n }, (_, k) => {
      const e = p + 4 * k + this.v.getUint32(p + 4 * k, true);
      const len = this.v.getUint32(e, true);
      return new TextDecoder().decode(new Uint8Array(this.v.buffer, this.v.byteOffset + e + 4, len));
    });
  }
  ints(i) { const [p, n] = this.vec(i); return Array.from({ length: n }, (_, k) => this.v.getInt32(p + 4 * k, true)); }
  floats(i) { const [p, n] = this.vec(i); return Array.from({ length: n }, (_, k) => this.v.getFloat32(p + 4 * k, true)); }
  bytes(i) { const [p, n] = this.vec(i); return new Uint8Array(this.v.buffer, this.v.byteOffset + p, n); }
}

// Signed weight values of row r (length `len`) from int8 or packed int4
// (two per byte, low nibble first, each row starts on a byte boundary).
function weightRow(bytes, bits, r, len) {
  const out = new Int8Array(len);
  if (bits === 8) {
    for (let i = 0; i < len; i++) out[i] = (bytes[r * len + i] << 24) >> 24;
    return out;
  }
  const start = r * Math.ceil(len / 2);
  for (let i = 0; i < len; i++) {
    const b = bytes[start + (i >> 1)];
    out[i] = (((i & 1) ? b >> 4 : b) << 28) >> 28;
  }
  return out;
}

function outSize(inSize, k, s, same) {
  return same ? Math.ceil(inSize / s) : Math.floor((inSize - k) / s) + 1;
}

// One layer: shapes, dequantized weights, the float clamp. `input` is the
// tensor going in ({h, w, c, scale, zeroPoint}); returns [layer, output].
function readLayer(t, input, name) {
  const type = TYPES[t.u8(0, 0)];
  if (!type) throw new Error(`${name}: unknown layer type ${t.u8(0, 0)}`);
  if (t.u8(8, 0) !== 0) throw new Error(`${name}: only Dense weights have a float twin`);
  const L = {
    type, name: t.str(19) || name,
    kh: t.u8(1, 1), kw: t.u8(2, 1), sh: t.u8(3, 1), sw: t.u8(4, 1), same: t.u8(5, 0) === 1,
    inH: input.h, inW: input.w, inC: input.c,
  };
  const weighted = ['conv', 'depthwise', 'fc', 'pointwise'].includes(type);
  let out = { ...input };
  if (type === 'fc') {
    out = { h: 1, w: 1, c: t.u16(6, 0) };
  } else if (type === 'gap' || type === 'softmax') {
    out = { h: 1, w: 1, c: input.c };
  } else {
    out = {
      h: outSize(input.h, L.kh, L.sh, L.same), w: outSize(input.w, L.kw, L.sw, L.same),
      c: type === 'conv' || type === 'pointwise' ? t.u16(6, 0) : input.c,
    };
  }
  L.outH = out.h; L.outW = out.w; L.outC = out.c;
  out.scale = weighted ? t.f32(15, 0) : input.scale;
  out.zeroPoint = weighted ? t.i8(14, 0) : input.zeroPoint;
  if (weighted) {
    const rows = type === 'depthwise' ? 1 : out.c;
    const rowLen = { conv: L.kh * L.kw * input.c, pointwise: input.c, fc: input.h * input.w * input.c,
      depthwise: L.kh * L.kw * input.c }[type];
    const bits = t.u8(7, 8);
    const raw = t.bytes(9);
    const scales = t.floats(13);
    const bias = t.ints(10);
    if (scales.length !== out.c || bias.length !== out.c) {
      throw new Error(`${name}: needs one weight scale and bias per output channel`);
    }
    const w = new Float32Array(rows * rowLen);
    for (let r = 0; r < rows; r++) {
      const q = weightRow(raw, bits, r, rowLen);
      // Depthwise rows are [kh][kw][c]: the channel is the fastest index.
      for (let i = 0; i < rowLen; i++) w[r * rowLen + i] = q[i] * scales[type === 'depthwise' ? i % out.c : r];
    }
    L.weights = w; // conv [o][kh][kw][i], pointwise [o][i], fc [o][h*w*c], depthwise [kh][kw][c]
    L.bias = Float32Array.from(bias, (b, c) => b * input.scale * scales[c]);
    L.weightBits = bits;
    const lo = (t.i8(17, -128) - out.zeroPoint) * out.scale;
    const hi = (t.i8(18, 127) - out.zeroPoint) * out.scale;
    // The int8 range's own floor and ceiling are not part of the float
    // model; a floor at or above the zero point is a ReLU.
    L.clamp = {
      min: t.i8(17, -128) >= out.zeroPoint ? 0 : t.i8(17, -128) > -128 ? lo : -Infinity,
      max: t.i8(18, 127) < 127 ? hi : Infinity,
    };
  }
  return [L, out];
}

function readStack(tables, input, prefix) {
  const layers = [];
  let x = input;
  tables.forEach((t, i) => {
    const [L, out] = readLayer(t, x, `${prefix} layer ${i}`);
    layers.push(L);
    x = out;
  });
  return { layers, output: x };
}

export function readTwin(fileBytes) {
  const bytes = fileBytes instanceof Uint8Array ? fileBytes : new Uint8Array(fileBytes);
  if (bytes.length < 24 || String.fromCharCode(...bytes.subarray(0, 3)) !== 'TM2') {
    throw new Error('not a .tm2 file (magic "TM2\\0" missing)');
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset + 16, bytes.length - 16);
  const root = new Table(view, view.getUint32(0, true));
  const branches = root.tables(5).map((b, i) => {
    const p = b.table(3);
    const name = b.str(0) || `branch ${i}`;
    if (!p) throw new Error(`${name}: no preprocess table`);
    const dct = p.u16(10, 0);
    const input = { h: p.u16(11, 0), w: dct || p.u16(6, 0), c: 1, scale: p.f32(16, 0), zeroPoint: p.i8(17, 0) };
    return { name, input, ...readStack(b.tables(4), input, name) };
  });
  if (branches.length === 0) throw new Error('model has no branches');
  let headInput = branches[0].output;
  let fused = false;
  if (branches.length > 1) {
    const f = root.table(6);
    if (!f) throw new Error('several branches need a fusion table');
    const c = branches.reduce((n, b) => n + b.output.h * b.output.w * b.output.c, 0);
    headInput = { h: 1, w: 1, c, scale: f.f32(3, 0), zeroPoint: f.i8(2, 0) };
    fused = true;
  }
  const head = readStack(root.tables(7), headInput, 'head');
  return {
    name: root.str(0), labels: root.strs(2),
    temperature: root.f32(4, 1), branches, fused, headInput, head: head.layers, output: head.output,
  };
}

// Multiply-accumulates of one inference (weighted layers only).
export function macs(twin) {
  const all = [...twin.branches.flatMap((b) => b.layers), ...twin.head];
  return all.reduce((n, L) => n + ({
    conv: L.outH * L.outW * L.outC * L.kh * L.kw * L.inC,
    pointwise: L.outH * L.outW * L.outC * L.inC,
    depthwise: L.outH * L.outW * L.outC * L.kh * L.kw,
    fc: L.outC * L.inH * L.inW * L.inC,
  }[L.type] ?? 0), 0);
}

// SAME padding per axis as the engine applies it: [before, after].
export function samePads(inSize, k, s) {
  const out = Math.ceil(inSize / s);
  const total = Math.max((out - 1) * s + k - inSize, 0);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}
