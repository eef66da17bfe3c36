/**
 * The score functions sentence-transformers' evaluators compare embeddings with, by the names its
 * SimilarityFunction uses: cosine, dot, and the negative euclidean and manhattan distances (so that for
 * every one, greater means more similar). Scores are computed in float64 from the float32 embeddings
 * and rounded to float32, the dtype torch returns them in: the evaluators' thresholds and ties are
 * decided on float32 values, as in sentence-transformers.
 */

export type PairSimilarity = 'cosine' | 'dot' | 'euclidean' | 'manhattan';

export const PAIR_SIMILARITIES: readonly PairSimilarity[] = ['cosine', 'dot', 'euclidean', 'manhattan'];

/** Checks a similarity function name; `what` names the option in the error. */
export function checkPairSimilarity(name: unknown, what: string): PairSimilarity {
  if (!PAIR_SIMILARITIES.includes(name as PairSimilarity)) {
    throw new Error(`${what}: unknown similarity function ${JSON.stringify(name)}; expected one of ${PAIR_SIMILARITIES.join(', ')}`);
  }
  return name as PairSimilarity;
}

/** A list of similarity function names: each known, none repeated. */
export function checkPairSimilarities(names: unknown, what: string): PairSimilarity[] {
  if (!Array.isArray(names)) throw new Error(`${what} must be a list of similarity function names, got ${JSON.stringify(names)}`);
  const out = names.map((n, i) => checkPairSimilarity(n, `${what}[${i}]`));
  const repeated = out.find((n, i) => out.indexOf(n) !== i);
  if (repeated !== undefined) throw new Error(`${what} names ${JSON.stringify(repeated)} twice`);
  return out;
}

// torch.nn.functional.normalize's eps: a zero vector stays zero and scores 0 against everything.
const NORM_EPS = 1e-12;

/** Score of row `i` of `a` with row `j` of `b` (both row-major, `dim` wide), rounded to float32. */
export function scoreRows(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, dim: number, fn: PairSimilarity): number {
  const ao = i * dim;
  const bo = j * dim;
  let s = 0;
  switch (fn) {
    case 'dot':
      for (let d = 0; d < dim; d++) s += a[ao + d] * b[bo + d];
      return Math.fround(s);
    case 'cosine': {
      let na = 0;
      let nb = 0;
      for (let d = 0; d < dim; d++) {
        s += a[ao + d] * b[bo + d];
        na += a[ao + d] * a[ao + d];
        nb += b[bo + d] * b[bo + d];
      }
      return Math.fround(s / (Math.max(Math.sqrt(na), NORM_EPS) * Math.max(Math.sqrt(nb), NORM_EPS)));
    }
    case 'euclidean':
      for (let d = 0; d < dim; d++) {
        const diff = a[ao + d] - b[bo + d];
        s += diff * diff;
      }
      return Math.fround(-Math.sqrt(s));
    case 'manhattan':
      for (let d = 0; d < dim; d++) s += Math.abs(a[ao + d] - b[bo + d]);
      return Math.fround(-s);
  }
}

/** ST's pairwise_*: score of a[i] with b[i] for every row i. */
export function pairwiseScores(a: ArrayLike<number>, b: ArrayLike<number>, dim: number, fn: PairSimilarity): Float64Array {
  const n = a.length / dim;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = scoreRows(a, i, b, i, dim, fn);
  return out;
}

/** ST's cos_sim / dot_score / euclidean_sim / manhattan_sim of one row of `a` against every row of `b`. */
export function scoresAgainst(a: ArrayLike<number>, i: number, b: ArrayLike<number>, dim: number, fn: PairSimilarity): Float64Array {
  const n = b.length / dim;
  const out = new Float64Array(n);
  for (let j = 0; j < n; j++) out[j] = scoreRows(a, i, b, j, dim, fn);
  return out;
}
