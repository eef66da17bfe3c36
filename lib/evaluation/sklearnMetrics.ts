/**
 * The scikit-learn metrics sentence-transformers' evaluators call, with sklearn 1.x semantics:
 * average_precision_score (binary), ndcg_score (one sample, ties averaged) and matthews_corrcoef.
 * Labels are 0/1; scores are compared exactly, so equal scores form one threshold (a tied group).
 */

/** Indices sorted by score, highest first; ties keep no particular order (callers group them). */
function byScoreDescending(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
}

/**
 * sklearn.metrics.average_precision_score(labels, scores): the sum over distinct score thresholds,
 * highest first, of (recall gained at the threshold) x (precision at the threshold). With no positive
 * label sklearn sets recall to 1 everywhere, which makes the sum 0.
 */
export function averagePrecisionScore(labels: ArrayLike<number>, scores: ArrayLike<number>): number {
  if (labels.length !== scores.length) throw new Error(`average precision: ${labels.length} labels but ${scores.length} scores`);
  const order = byScoreDescending(scores);
  let totalPositives = 0;
  for (let i = 0; i < labels.length; i++) totalPositives += labels[i] === 1 ? 1 : 0;
  if (totalPositives === 0) return 0;
  let tp = 0;
  let seen = 0;
  let prevRecall = 0;
  let ap = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end < order.length && scores[order[end]] === scores[order[start]]) {
      tp += labels[order[end]] === 1 ? 1 : 0;
      end++;
    }
    seen = end;
    const recall = tp / totalPositives;
    ap += (recall - prevRecall) * (tp / seen);
    prevRecall = recall;
    start = end;
  }
  return Math.max(0, ap);
}

/**
 * sklearn.metrics.ndcg_score([relevance], [scores], k=k) with ignore_ties=False: DCG with discount
 * 1/log2(rank + 1) over the first k ranks, each tied group of scores contributing its mean gain times
 * the sum of its ranks' discounts; divided by the DCG of the ideal order; 0 when nothing is relevant.
 */
export function ndcgScore(relevance: ArrayLike<number>, scores: ArrayLike<number>, k: number): number {
  const n = relevance.length;
  if (scores.length !== n) throw new Error(`ndcg: ${n} relevance values but ${scores.length} scores`);
  if (n < 2) throw new Error(`ndcg: computing NDCG is only meaningful with more than 1 document, got ${n}`);
  const discount = new Float64Array(n);
  for (let i = 0; i < n; i++) discount[i] = i < k ? 1 / (Math.log(i + 2) / Math.log(2)) : 0;
  const order = byScoreDescending(scores);
  let dcg = 0;
  for (let start = 0; start < n;) {
    let end = start;
    let gain = 0;
    let discountSum = 0;
    while (end < n && scores[order[end]] === scores[order[start]]) {
      gain += relevance[order[end]];
      discountSum += discount[end];
      end++;
    }
    dcg += (gain / (end - start)) * discountSum;
    start = end;
  }
  const ideal = Array.from(relevance).sort((a, b) => b - a);
  let idcg = 0;
  for (let i = 0; i < n; i++) idcg += ideal[i] * discount[i];
  return idcg === 0 ? 0 : dcg / idcg;
}

/**
 * sklearn.metrics.matthews_corrcoef(labels, predicted) for 0/1 labels: 0 when the denominator is 0
 * (e.g. a single class among labels and predictions together).
 */
export function matthewsCorrcoef(labels: ArrayLike<number>, predicted: ArrayLike<number>): number {
  const n = labels.length;
  if (predicted.length !== n) throw new Error(`mcc: ${n} labels but ${predicted.length} predictions`);
  const t = [0, 0];
  const p = [0, 0];
  let correct = 0;
  for (let i = 0; i < n; i++) {
    t[labels[i]]++;
    p[predicted[i]]++;
    if (labels[i] === predicted[i]) correct++;
  }
  // With one class overall sklearn's confusion matrix is 1x1; its covariances are then 0 as here.
  const covTP = correct * n - (t[0] * p[0] + t[1] * p[1]);
  const covPP = n * n - (p[0] * p[0] + p[1] * p[1]);
  const covTT = n * n - (t[0] * t[0] + t[1] * t[1]);
  const denominator = covPP * covTT;
  return denominator === 0 ? 0 : covTP / Math.sqrt(denominator);
}
