// A float twin (tm2_twin.mjs) as a TensorFlow.js forward function, NHWC
// like the engine. Two forms:
//   folded: each conv, depthwise and dense is one fused op (bias + ReLU),
//     what a converter that folds batch norm produces;
//   as trained (folded = false): conv without bias, then a batch-norm op
//     (identity statistics, the bias as its offset), then the activation,
//     as a Keras student with BatchNormalization runs before folding. The
//     outputs are the same either way.
//
//   const twin = readTwin(bytes);
//   const net = tfjsTwin(tf, twin, { folded: true });
//   const probs = net.run([x0]);   // inputs: tf.Tensor [1, h, w, 1]; returns a tensor
//   net.dispose();
const EPS = 1e-3;

function weightTensors(tf, L) {
  switch (L.type) {
    case 'conv': {
      // [o][kh][kw][i] -> [kh][kw][i][o]
      const w = new Float32Array(L.weights.length);
      for (let o = 0; o < L.outC; o++) {
        for (let k = 0; k < L.kh * L.kw * L.inC; k++) w[k * L.outC + o] = L.weights[o * L.kh * L.kw * L.inC + k];
      }
      return tf.tensor4d(w, [L.kh, L.kw, L.inC, L.outC]);
    }
    case 'pointwise': {
      const w = new Float32Array(L.weights.length);
      for (let o = 0; o < L.outC; o++) for (let i = 0; i < L.inC; i++) w[i * L.outC + o] = L.weights[o * L.inC + i];
      return tf.tensor4d(w, [1, 1, L.inC, L.outC]);
    }
    case 'depthwise':
      return tf.tensor4d(L.weights, [L.kh, L.kw, L.outC, 1]);
    case 'fc': {
      const n = L.inH * L.inW * L.inC;
      const w = new Float32Array(L.weights.length);
      for (let o = 0; o < L.outC; o++) for (let i = 0; i < n; i++) w[i * L.outC + o] = L.weights[o * n + i];
      return tf.tensor2d(w, [n, L.outC]);
    }
    default:
      return null;
  }
}

export function tfjsTwin(tf, twin, { folded = true } = {}) {
  const held = [];
  const keep = (t) => { held.push(t); return t; };
  const prep = (L) => {
    const w = weightTensors(tf, L);
    if (!w) return { L };
    const p = { L, w: keep(w), b: keep(tf.tensor1d(L.bias)) };
    p.relu = L.clamp.min === 0 && L.clamp.max === Infinity;
    p.clip = !p.relu && (L.clamp.min > -Infinity || L.clamp.max < Infinity);
    if (!folded && L.type !== 'fc') {
      p.mean = keep(tf.zeros([L.outC]));
      p.variance = keep(tf.fill([L.outC], 1 - EPS));
    }
    return p;
  };
  const branches = twin.branches.map((b) => b.layers.map(prep));
  const head = twin.head.map(prep);
  const invT = 1 / twin.temperature;

  const act = (p, y) => {
    if (p.clip) return tf.clipByValue(y, Math.max(p.L.clamp.min, -3.4e38), Math.min(p.L.clamp.max, 3.4e38));
    return !folded && p.relu ? tf.relu(y) : y;
  };
  const flat = (x) => (x.rank === 2 ? x : tf.reshape(x, [1, -1]));
  const step = (p, x) => {
    const { L } = p;
    const pad = L.same ? 'same' : 'valid';
    const strides = [L.sh, L.sw];
    const activation = p.relu ? 'relu' : 'linear';
    switch (L.type) {
      case 'conv': case 'pointwise':
        if (folded) return act(p, tf.fused.conv2d({ x, filter: p.w, strides, pad, bias: p.b, activation }));
        return act(p, tf.batchNorm(tf.conv2d(x, p.w, strides, pad), p.mean, p.variance, p.b, undefined, EPS));
      case 'depthwise':
        if (folded) return act(p, tf.fused.depthwiseConv2d({ x, filter: p.w, strides, pad, bias: p.b, activation }));
        return act(p, tf.batchNorm(tf.depthwiseConv2d(x, p.w, strides, pad), p.mean, p.variance, p.b, undefined, EPS));
      case 'fc': {
        const y = tf.fused.matMul({ a: flat(x), b: p.w, bias: p.b, activation });
        return p.clip ? act(p, y) : y;
      }
      case 'maxpool': return tf.maxPool(x, [L.kh, L.kw], strides, pad);
      case 'avgpool': return tf.avgPool(x, [L.kh, L.kw], strides, pad);
      case 'gap': return tf.mean(x, [1, 2], true);
      case 'softmax': return tf.softmax(tf.mul(flat(x), invT));
      default: throw new Error(`${L.name}: no TensorFlow.js form for ${L.type}`);
    }
  };
  return {
    run(inputs) {
      return tf.tidy(() => {
        const outs = branches.map((layers, i) => layers.reduce((x, p) => step(p, x), inputs[i]));
        const x = twin.fused ? tf.concat(outs.map(flat), 1) : outs[0];
        return head.reduce((y, p) => step(p, y), x);
      });
    },
    dispose() { held.forEach((t) => t.dispose()); },
  };
}
