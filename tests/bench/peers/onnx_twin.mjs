// Writes a float twin (tm2_twin.mjs) as an ONNX model (opset 13, NCHW,
// float32) for ONNX Runtime: a few protobuf messages encoded by hand, no
// dependency. Each branch input is `input<b>` of shape [1, 1, frames,
// features] (the same memory order as the engine's h x w x 1 features); the
// output `probabilities` is [1, classes], softmax(logits / temperature).
//
//   const onnxBytes = twinToOnnx(readTwin(tm2Bytes));   // Uint8Array
//   await ort.InferenceSession.create(onnxBytes);
import { samePads } from './tm2_twin.mjs';

// --- protobuf wire format: fields are (number << 3 | wire type) + payload.
const enc = new TextEncoder();
function varint(n) {
  const out = [];
  let v = BigInt(n);
  if (v < 0n) v += 1n << 64n;
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const concat = (parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};
const fVarint = (field, n) => Uint8Array.from([...varint(field << 3), ...varint(n)]);
const fBytes = (field, bytes) => concat([Uint8Array.from([...varint((field << 3) | 2), ...varint(bytes.length)]), bytes]);
const fString = (field, s) => fBytes(field, enc.encode(s));

// --- ONNX messages (onnx.proto field numbers).
const FLOAT = 1;
function attrInt(name, i) { return concat([fString(1, name), fVarint(20, 2), fVarint(3, i)]); }
function attrInts(name, ints) { return concat([fString(1, name), fVarint(20, 7), ...ints.map((i) => fVarint(8, i))]); }
function node(op, inputs, outputs, attrs = []) {
  return concat([...inputs.map((s) => fString(1, s)), ...outputs.map((s) => fString(2, s)),
    fString(3, outputs[0]), fString(4, op), ...attrs.map((a) => fBytes(5, a))]);
}
function tensor(name, dims, values) {
  const data = new Uint8Array(Float32Array.from(values).buffer);
  return concat([...dims.map((d) => fVarint(1, d)), fVarint(2, FLOAT), fString(8, name), fBytes(9, data)]);
}
function valueInfo(name, dims) {
  const shape = concat(dims.map((d) => fBytes(1, fVarint(1, d))));
  return concat([fString(1, name), fBytes(2, fBytes(1, concat([fVarint(1, FLOAT), fBytes(2, shape)])))]);
}

// Builds the graph; `g` collects nodes and initializers, tensors are named
// by the layer that made them.
class Graph {
  constructor() { this.nodes = []; this.inits = []; this.n = 0; }
  name(stem) { return `${stem}_${this.n++}`; }
  init(stem, dims, values) { const n = this.name(stem); this.inits.push(tensor(n, dims, values)); return n; }
  op(type, inputs, attrs = [], stem = type) {
    const out = this.name(stem);
    this.nodes.push(node(type, inputs, [out], attrs));
    return out;
  }
}

function pads(L) {
  if (!L.same) return [0, 0, 0, 0];
  const [t, b] = samePads(L.inH, L.kh, L.sh);
  const [l, r] = samePads(L.inW, L.kw, L.sw);
  return [t, l, b, r];
}

function activation(g, x, clamp) {
  if (clamp.min === 0 && clamp.max === Infinity) return g.op('Relu', [x]);
  if (clamp.min === -Infinity && clamp.max === Infinity) return x;
  const lo = g.init('clip_min', [], [Math.max(clamp.min, -3.4e38)]);
  const hi = g.init('clip_max', [], [Math.min(clamp.max, 3.4e38)]);
  return g.op('Clip', [x, lo, hi]);
}

// [1, n] in the engine's (h, w, c) order from an NCHW tensor.
function flatten(g, x, shape) {
  if (shape.rank === 2) return x;
  const hw = shape.h * shape.w;
  return g.op('Flatten', [hw > 1 ? g.op('Transpose', [x], [attrInts('perm', [0, 2, 3, 1])]) : x]);
}

// Emits one layer; `x` is the tensor name, `shape` its {h, w, c, rank}.
function layer(g, L, x, shape) {
  const next = { h: L.outH, w: L.outW, c: L.outC, rank: 4 };
  const spatial = [attrInts('strides', [L.sh, L.sw]), attrInts('pads', pads(L))];
  switch (L.type) {
    case 'conv': case 'pointwise': case 'depthwise': {
      const dw = L.type === 'depthwise';
      const inC = dw ? 1 : L.inC;
      const w = new Float32Array(L.outC * inC * L.kh * L.kw);
      for (let o = 0; o < L.outC; o++) {
        for (let i = 0; i < inC; i++) {
          for (let y = 0; y < L.kh; y++) {
            for (let z = 0; z < L.kw; z++) {
              w[((o * inC + i) * L.kh + y) * L.kw + z] = dw
                ? L.weights[(y * L.kw + z) * L.outC + o]
                : L.weights[((o * L.kh + y) * L.kw + z) * L.inC + i];
            }
          }
        }
      }
      const W = g.init('w', [L.outC, inC, L.kh, L.kw], w);
      const B = g.init('b', [L.outC], L.bias);
      const y = g.op('Conv', [x, W, B], [attrInts('kernel_shape', [L.kh, L.kw]), ...spatial,
        attrInt('group', dw ? L.outC : 1)], L.type);
      return [activation(g, y, L.clamp), next];
    }
    case 'fc': {
      const W = g.init('w', [L.outC, L.inH * L.inW * L.inC], L.weights);
      const B = g.init('b', [L.outC], L.bias);
      const y = g.op('Gemm', [flatten(g, x, shape), W, B], [attrInt('transB', 1)], 'fc');
      return [activation(g, y, L.clamp), { h: 1, w: 1, c: L.outC, rank: 2 }];
    }
    case 'maxpool':
      return [g.op('MaxPool', [x], [attrInts('kernel_shape', [L.kh, L.kw]), ...spatial]), next];
    case 'avgpool':
      return [g.op('AveragePool', [x], [attrInts('kernel_shape', [L.kh, L.kw]), ...spatial,
        attrInt('count_include_pad', 0)]), next];
    case 'gap':
      return [g.op('GlobalAveragePool', [x]), next];
    case 'softmax':
      // The engine's softmax holds the calibration temperature.
      return [g.op('Softmax', [g.op('Mul', [flatten(g, x, shape), g.temperature])], [attrInt('axis', -1)]),
        { h: 1, w: 1, c: L.outC, rank: 2 }];
    default:
      throw new Error(`${L.name}: no ONNX form for ${L.type}`);
  }
}

export function twinToOnnx(twin) {
  const g = new Graph();
  g.temperature = g.init('inv_temperature', [], [1 / twin.temperature]);
  const inputs = [];
  const outs = twin.branches.map((b, i) => {
    const name = `input${i}`;
    inputs.push(valueInfo(name, [1, 1, b.input.h, b.input.w]));
    let x = name;
    let shape = { ...b.input, rank: 4 };
    for (const L of b.layers) [x, shape] = layer(g, L, x, shape);
    return [x, shape];
  });
  let [x, shape] = outs[0];
  if (twin.fused) {
    x = g.op('Concat', outs.map(([t, s]) => flatten(g, t, s)), [attrInt('axis', 1)]);
    shape = { h: 1, w: 1, c: twin.headInput.c, rank: 2 };
  }
  for (const L of twin.head) [x, shape] = layer(g, L, x, shape);
  const last = twin.head[twin.head.length - 1];
  if (!last || last.type !== 'softmax') throw new Error('the head must end with Softmax');
  // The graph's output keeps a fixed name.
  g.nodes.push(node('Identity', [x], ['probabilities']));
  const graph = concat([...g.nodes.map((n) => fBytes(1, n)), fString(2, twin.name || 'tinym2'),
    ...g.inits.map((t) => fBytes(5, t)), ...inputs.map((v) => fBytes(11, v)),
    fBytes(12, valueInfo('probabilities', [1, last.outC]))]);
  const opset = concat([fString(1, ''), fVarint(2, 13)]);
  return concat([fVarint(1, 8), fString(2, 'tinym2 tests/bench/peers'), fBytes(7, graph), fBytes(8, opset)]);
}
