// Metrics over evaluation results: accuracy, the binary AUC and the
// confusion matrix, on the items whose true label is one of the model's.
// results: [{label (true, may be ''), probabilities: number[]}], labels: the
// model's labels. Pure functions (browser and node).

export function argmax(a) {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

// Area under the ROC curve of `scores` for `positives` (booleans), by the
// Mann-Whitney U statistic with ties counted as one half. NaN when either
// class is missing.
export function auc(scores, positives) {
  const idx = scores.map((s, i) => i).sort((a, b) => scores[a] - scores[b]);
  let pos = 0;
  let neg = 0;
  for (const p of positives) (p ? pos++ : neg++);
  if (!pos || !neg) return NaN;
  // Mid-ranks over runs of equal scores.
  let rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (positives[idx[k]]) rankSum += rank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

// positive: index of the positive class for the AUC (binary models only).
export function computeMetrics(results, labels, positive = labels.length - 1) {
  const scored = results.filter((r) => labels.includes(r.label));
  const confusion = labels.map(() => labels.map(() => 0)); // [true][predicted]
  let correct = 0;
  for (const r of scored) {
    const t = labels.indexOf(r.label);
    const p = argmax(r.probabilities);
    confusion[t][p]++;
    if (t === p) correct++;
  }
  const out = {
    scored: scored.length,
    unscored: results.length - scored.length,
    accuracy: scored.length ? correct / scored.length : NaN,
    confusion,
    auc: NaN,
    positive: labels.length === 2 ? labels[positive] : null,
  };
  if (labels.length === 2 && scored.length) {
    out.auc = auc(scored.map((r) => r.probabilities[positive]), scored.map((r) => r.label === labels[positive]));
  }
  return out;
}
