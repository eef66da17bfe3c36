/**
 * Pearson and Spearman correlation as scipy.stats computes them for EmbeddingSimilarityEvaluator:
 * float64; NaN when either input is constant (scipy warns and returns nan); Spearman is Pearson's r of
 * the ranks, ties sharing their average rank (scipy.stats.rankdata's default method).
 */

function checkPaired(x: ArrayLike<number>, y: ArrayLike<number>, what: string): void {
  if (x.length !== y.length) throw new Error(`${what}: the two inputs have different lengths (${x.length} and ${y.length})`);
  if (x.length < 2) throw new Error(`${what}: needs at least 2 values, got ${x.length}`);
}

function isConstant(v: ArrayLike<number>): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** scipy.stats.pearsonr(x, y).statistic. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, 'pearson');
  if (isConstant(x) || isConstant(y)) return NaN;
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = Math.min(1, Math.max(-1, sxy / (Math.sqrt(sxx) * Math.sqrt(syy))));
  // scipy returns exactly +-1 for two points.
  return n === 2 ? Math.round(r) : r;
}

/** scipy.stats.rankdata(v) (method 'average'): ranks from 1, tied values sharing the mean of their ranks. */
export function averageRanks(v: ArrayLike<number>): Float64Array {
  const n = v.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => v[a] - v[b]);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n;) {
    let end = start + 1;
    while (end < n && v[order[end]] === v[order[start]]) end++;
    const rank = (start + 1 + end) / 2; // mean of ranks start+1 .. end
    for (let k = start; k < end; k++) ranks[order[k]] = rank;
    start = end;
  }
  return ranks;
}

/** scipy.stats.spearmanr(x, y).statistic. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkPaired(x, y, 'spearman');
  if (isConstant(x) || isConstant(y)) return NaN;
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i]) || Number.isNaN(y[i])) return NaN;
  const r = pearson(averageRanks(x), averageRanks(y));
  return r;
}
