/**
 * Retrieval metrics over ranked result lists, with the exact formulas of sentence-transformers 6.0.1
 * (InformationRetrievalEvaluator.compute_metrics):
 * - accuracy@k: fraction of queries with at least one relevant document in the top k.
 * - precision@k: (relevant in top k) / k, even when fewer than k documents were retrieved.
 * - recall@k: (relevant in top k) / (number of relevant documents, counting ids absent from the corpus).
 * - mrr@k: 1 / rank of the first relevant document within the top k, else 0.
 * - ndcg@k: binary gains, DCG = sum rel_i / log2(i + 2); the ideal DCG puts all relevant documents first,
 *   capped at k.
 * - map@k: sum over relevant hits in the top k of precision at that rank, divided by min(k, number relevant).
 * Every metric is averaged over the queries given (those with at least one relevant document).
 */

/** Corpus and query ids: strings, or numbers (as Python ints, e.g. a tutorial's `id` column). */
export type DocId = string | number;

export interface IrMetricKs {
  accuracyAtK: number[];
  precisionRecallAtK: number[];
  mrrAtK: number[];
  ndcgAtK: number[];
  mapAtK: number[];
}

/** sentence-transformers' defaults. */
export const DEFAULT_IR_KS: Readonly<IrMetricKs> = Object.freeze({
  accuracyAtK: [1, 3, 5, 10],
  precisionRecallAtK: [1, 3, 5, 10],
  mrrAtK: [10],
  ndcgAtK: [10],
  mapAtK: [100],
});

/** The largest k any metric needs: how many hits per query the search must return. */
export function maxK(ks: IrMetricKs): number {
  return Math.max(...ks.accuracyAtK, ...ks.precisionRecallAtK, ...ks.mrrAtK, ...ks.ndcgAtK, ...ks.mapAtK);
}

/** Throws unless every k list is non-empty and holds positive integers. */
export function checkKs(ks: IrMetricKs): void {
  for (const [name, list] of Object.entries(ks) as [string, number[]][]) {
    if (!Array.isArray(list) || list.length === 0) throw new Error(`${name} must be a non-empty list of k values, got ${JSON.stringify(list)}`);
    for (const k of list) {
      if (!Number.isInteger(k) || k < 1) throw new Error(`${name} must hold positive integers, got ${JSON.stringify(k)}`);
    }
  }
}

/** Python's ordering of two ids: numbers numerically, strings by code point (not UTF-16 unit). */
export function compareIds(a: DocId, b: DocId): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return compareCodePoints(a, b);
  throw new Error(`cannot order corpus id ${JSON.stringify(a)} against ${JSON.stringify(b)}: ids must be all strings or all numbers`);
}

function compareCodePoints(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const ca = a.codePointAt(i)!;
    const cb = b.codePointAt(j)!;
    if (ca !== cb) return ca < cb ? -1 : 1;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
  if (i < a.length) return 1;
  if (j < b.length) return -1;
  return 0;
}

export interface Hit {
  id: DocId;
  score: number;
}

/** sentence-transformers' final ranking order: score descending, ties by ascending corpus id. */
export function compareHits(a: Hit, b: Hit): number {
  return a.score !== b.score ? b.score - a.score : compareIds(a.id, b.id);
}

/**
 * Metrics for ranked hit lists: `ranked[q]` holds query q's corpus ids, best first (at least max k of
 * them, or the whole corpus); `relevant[q]` its relevant ids (non-empty). Keys in sentence-transformers'
 * order: accuracy@k, precision@k, recall@k, ndcg@k, mrr@k, map@k, each over its k list.
 */
export function computeIrMetrics(ranked: DocId[][], relevant: ReadonlySet<DocId>[], ks: IrMetricKs): Record<string, number> {
  if (ranked.length !== relevant.length) throw new Error(`computeIrMetrics: ${ranked.length} rankings but ${relevant.length} relevant sets`);
  const n = ranked.length;
  if (n === 0) throw new Error('computeIrMetrics: no queries to evaluate (no query has a relevant document)');
  const perQuery = (fn: (hits: DocId[], rel: ReadonlySet<DocId>) => number): number => {
    let sum = 0;
    for (let q = 0; q < n; q++) {
      if (relevant[q].size === 0) throw new Error(`computeIrMetrics: query ${q} has no relevant document`);
      sum += fn(ranked[q], relevant[q]);
    }
    return sum / n;
  };
  const countRelevant = (hits: DocId[], rel: ReadonlySet<DocId>, k: number): number => {
    let c = 0;
    for (let i = 0; i < Math.min(k, hits.length); i++) if (rel.has(hits[i])) c++;
    return c;
  };

  const out: Record<string, number> = {};
  for (const k of ks.accuracyAtK) out[`accuracy@${k}`] = perQuery((h, r) => (countRelevant(h, r, k) > 0 ? 1 : 0));
  for (const k of ks.precisionRecallAtK) out[`precision@${k}`] = perQuery((h, r) => countRelevant(h, r, k) / k);
  for (const k of ks.precisionRecallAtK) out[`recall@${k}`] = perQuery((h, r) => countRelevant(h, r, k) / r.size);
  for (const k of ks.ndcgAtK) out[`ndcg@${k}`] = perQuery((h, r) => ndcgAtK(h, r, k));
  for (const k of ks.mrrAtK) out[`mrr@${k}`] = perQuery((h, r) => reciprocalRankAtK(h, r, k));
  for (const k of ks.mapAtK) out[`map@${k}`] = perQuery((h, r) => averagePrecisionAtK(h, r, k));
  return out;
}

export function reciprocalRankAtK(hits: DocId[], relevant: ReadonlySet<DocId>, k: number): number {
  for (let i = 0; i < Math.min(k, hits.length); i++) if (relevant.has(hits[i])) return 1 / (i + 1);
  return 0;
}

export function ndcgAtK(hits: DocId[], relevant: ReadonlySet<DocId>, k: number): number {
  let dcg = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) if (relevant.has(hits[i])) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

export function averagePrecisionAtK(hits: DocId[], relevant: ReadonlySet<DocId>, k: number): number {
  let correct = 0;
  let sum = 0;
  for (let i = 0; i < Math.min(k, hits.length); i++) {
    if (relevant.has(hits[i])) {
      correct++;
      sum += correct / (i + 1);
    }
  }
  return sum / Math.min(k, relevant.size);
}
