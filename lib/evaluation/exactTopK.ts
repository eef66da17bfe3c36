/**
 * Top-k retrieval with sentence-transformers' deterministic order: score descending, ties broken by
 * ascending corpus id. The search backend (the addon's searchTopK) returns the k best rows but may break
 * ties arbitrarily; where the k-th score is tied with rows outside the returned k (duplicate documents
 * give exactly equal scores), the rows are re-fetched until every tied row is in hand, and the tie
 * is resolved by id, as ST 6.0.1 does. Results therefore do not depend on the corpus chunk size.
 */
import type { Addon, Device, SimilarityFunction } from '../binding/AddonTypes';
import { compareHits, type DocId, type Hit } from './irMetrics';

/** The addon's searchTopK signature: (numQueries x dim) against (numCorpus x dim), rows best first, k capped at numCorpus. */
export type SearchFn = Addon['searchTopK'];

export interface ChunkSearch {
  search: SearchFn;
  similarity: SimilarityFunction;
  device: Device;
  dim: number;
}

function rowHits(indices: Int32Array, scores: Float32Array, row: number, k: number, ids: readonly DocId[]): Hit[] {
  const hits: Hit[] = [];
  for (let j = row * k; j < (row + 1) * k; j++) {
    const idx = indices[j];
    if (idx < 0 || idx >= ids.length) throw new Error(`search returned corpus row ${idx}, outside the chunk of ${ids.length} rows`);
    hits.push({ id: ids[idx], score: scores[j] });
  }
  return hits.sort(compareHits);
}

async function runSearch(s: ChunkSearch, queries: Float32Array, numQueries: number, corpus: Float32Array, k: number) {
  const res = await s.search(queries, corpus, s.dim, k, s.similarity, s.device);
  if (res.k !== k || res.indices.length !== numQueries * k || res.scores.length !== numQueries * k) {
    throw new Error(`search asked for k=${k} over ${numQueries} queries returned k=${res.k} with ${res.indices.length} indices and ${res.scores.length} scores`);
  }
  return res;
}

/**
 * For each query row, its min(k, chunkIds.length) best hits in `corpus` (one chunk, rows named by
 * chunkIds), sorted by (-score, id), ties at the cut resolved by id.
 */
export async function chunkTopK(s: ChunkSearch, queries: Float32Array, corpus: Float32Array, chunkIds: readonly DocId[], k: number): Promise<Hit[][]> {
  const n = chunkIds.length;
  const numQueries = queries.length / s.dim;
  const topK = Math.min(k, n);
  // One extra row reveals whether the k-th score is tied with a row left out.
  let fetch = Math.min(topK + 1, n);
  const first = await runSearch(s, queries, numQueries, corpus, fetch);
  const out: Hit[][] = new Array(numQueries);
  let tied: number[] = [];
  for (let q = 0; q < numQueries; q++) {
    const hits = rowHits(first.indices, first.scores, q, fetch, chunkIds);
    if (fetch > topK && hits[topK].score === hits[topK - 1].score) tied.push(q);
    else out[q] = hits.slice(0, topK);
  }
  while (tied.length > 0) {
    fetch = Math.min(fetch * 2, n);
    const sub = new Float32Array(tied.length * s.dim);
    tied.forEach((q, r) => sub.set(queries.subarray(q * s.dim, (q + 1) * s.dim), r * s.dim));
    const res = await runSearch(s, sub, tied.length, corpus, fetch);
    const stillTied: number[] = [];
    tied.forEach((q, r) => {
      const hits = rowHits(res.indices, res.scores, r, fetch, chunkIds);
      // Resolved once every row scoring the k-th score is in hand: the last one fetched scores lower, or all rows were fetched.
      if (fetch === n || hits[fetch - 1].score < hits[topK - 1].score) out[q] = hits.slice(0, topK);
      else stillTied.push(q);
    });
    tied = stillTied;
  }
  return out;
}

/** Merges a chunk's hits into the running best `k` of each query (ST keeps the best max_k across chunks). */
export function mergeHits(running: Hit[][], chunk: Hit[][], k: number): void {
  for (let q = 0; q < running.length; q++) {
    running[q] = running[q].concat(chunk[q]).sort(compareHits).slice(0, k);
  }
}
