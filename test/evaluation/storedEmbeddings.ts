/**
 * Test fixtures for the evaluators: seeded random embeddings, a model that returns stored rows, and a
 * brute-force top-k search standing in for the addon (scores rounded to float32 as the addon returns
 * them, ties deliberately broken against the id order so the evaluator's own tie handling is exercised).
 */
import type { SimilarityFunction, TopK } from '../../lib/binding/AddonTypes';
import type { EmbeddingModel, EncodeOptions } from '../../lib/evaluation/EmbeddingModel';
import type { SearchFn } from '../../lib/evaluation/exactTopK';

export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** Model whose encode returns stored rows: text "q<i>" is query row i, "d<i>" corpus row i. */
export class StoredEmbeddingModel implements EmbeddingModel {
  readonly encodeCalls: { count: number; options?: EncodeOptions }[] = [];

  constructor(
    readonly queryEmb: number[][],
    readonly corpusEmb: number[][],
    readonly similarityFnName: SimilarityFunction = 'cosine',
  ) {}

  get embeddingDim(): number {
    return this.queryEmb[0].length;
  }

  async encode(texts: string[], options: EncodeOptions = {}): Promise<Float32Array> {
    this.encodeCalls.push({ count: texts.length, options });
    const dim = options.truncateDim ?? this.embeddingDim;
    const out = new Float32Array(texts.length * dim);
    texts.forEach((t, i) => {
      const rows = t[0] === 'q' ? this.queryEmb : this.corpusEmb;
      const row = rows[Number(t.slice(1))];
      if (!row) throw new Error(`StoredEmbeddingModel: unknown text ${t}`);
      out.set(row.slice(0, dim), i * dim);
    });
    return out;
  }
}

/** Float64 scores of one query against every corpus row. */
export function scoreRow(q: ArrayLike<number>, corpus: ArrayLike<number>, dim: number, similarity: SimilarityFunction): number[] {
  const norm = (v: ArrayLike<number>, off: number) => {
    let s = 0;
    for (let d = 0; d < dim; d++) s += v[off + d] * v[off + d];
    return Math.max(Math.sqrt(s), 1e-12);
  };
  const qn = similarity === 'cosine' ? norm(q, 0) : 1;
  const out: number[] = [];
  for (let c = 0; c * dim < corpus.length; c++) {
    let s = 0;
    for (let d = 0; d < dim; d++) s += q[d] * corpus[c * dim + d];
    out.push(similarity === 'cosine' ? s / (qn * norm(corpus, c * dim)) : s);
  }
  return out;
}

/** Brute-force searchTopK: float32 scores, best first, equal scores in descending row order. */
export const bruteForceSearch: SearchFn = async (queries, corpus, dim, k, similarity): Promise<TopK> => {
  const numQueries = queries.length / dim;
  const kk = Math.min(k, corpus.length / dim);
  const indices = new Int32Array(numQueries * kk);
  const scores = new Float32Array(numQueries * kk);
  for (let q = 0; q < numQueries; q++) {
    const s = scoreRow(queries.subarray(q * dim, (q + 1) * dim), corpus, dim, similarity).map(Math.fround);
    const order = s.map((_, i) => i).sort((a, b) => s[b] - s[a] || b - a);
    for (let j = 0; j < kk; j++) {
      indices[q * kk + j] = order[j];
      scores[q * kk + j] = s[order[j]];
    }
  }
  return { indices, scores, k: kk };
};
