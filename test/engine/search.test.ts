/** searchTopK against a brute-force float64 oracle, including a corpus larger than one 50k-row chunk. */
import { loadAddon } from '../../lib/binding/addon';
import type { SimilarityFunction } from '../../lib/binding/AddonTypes';
import { describeIf, missing } from '../helpers/requirements';

function randomMatrix(rows: number, dim: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < out.length; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    out[i] = s / 2 ** 32 - 0.5;
  }
  return out;
}

function oracleScores(queries: Float32Array, corpus: Float32Array, dim: number, q: number, sim: SimilarityFunction): Float64Array {
  const n = corpus.length / dim;
  const scores = new Float64Array(n);
  let qn = 0;
  for (let d = 0; d < dim; d++) qn += queries[q * dim + d] ** 2;
  for (let c = 0; c < n; c++) {
    let dot = 0, cn = 0;
    for (let d = 0; d < dim; d++) { dot += queries[q * dim + d] * corpus[c * dim + d]; cn += corpus[c * dim + d] ** 2; }
    scores[c] = sim === 'cosine' ? dot / (Math.max(Math.sqrt(qn), 1e-12) * Math.max(Math.sqrt(cn), 1e-12)) : dot;
  }
  return scores;
}

describeIf(missing({ addon: true }), 'native searchTopK', () => {
  test.each([
    ['cosine', 120_000, 10],
    ['dot', 120_000, 7],
    ['cosine', 50, 80], // k above the corpus size is capped
  ] as const)('%s similarity over %d rows, k = %d, matches the brute-force oracle', async (sim, numCorpus, k) => {
    const dim = 8, numQueries = 5;
    const queries = randomMatrix(numQueries, dim, 1), corpus = randomMatrix(numCorpus, dim, 2);
    const top = await loadAddon().searchTopK(queries, corpus, dim, k, sim, 'cpu');
    const kk = Math.min(k, numCorpus);
    expect(top.k).toBe(kk);
    expect(top.indices.length).toBe(numQueries * kk);
    for (let q = 0; q < numQueries; q++) {
      const exact = oracleScores(queries, corpus, dim, q, sim);
      const kth = Array.from(exact).sort((a, b) => b - a)[kk - 1];
      const idx = top.indices.subarray(q * kk, (q + 1) * kk), sc = top.scores.subarray(q * kk, (q + 1) * kk);
      expect(new Set(idx).size).toBe(kk);
      for (let j = 0; j < kk; j++) {
        expect(Math.abs(sc[j] - exact[idx[j]])).toBeLessThan(1e-5); // the score belongs to that row
        expect(exact[idx[j]]).toBeGreaterThanOrEqual(kth - 1e-5); // and the row is among the true top k
        if (j > 0) expect(sc[j]).toBeLessThanOrEqual(sc[j - 1]); // best first
      }
    }
  });

  test('bad arguments are rejected', async () => {
    const addon = loadAddon();
    // Argument errors may throw synchronously or reject; callers await either way.
    const call = (...args: Parameters<typeof addon.searchTopK>) => (async () => addon.searchTopK(...args))();
    await expect(call(new Float32Array(6), new Float32Array(8), 4, 2, 'cosine', 'cpu')).rejects.toThrow(/multiples of dim 4/);
    await expect(call(new Float32Array(4), new Float32Array(0), 4, 2, 'cosine', 'cpu')).rejects.toThrow('searchTopK: the corpus is empty');
    await expect(call(new Float32Array(4), new Float32Array(8), 4, 0, 'dot', 'cpu')).rejects.toThrow('searchTopK: k must be >= 1, got 0');
    await expect(call(new Float32Array(4), new Float32Array(8), 4, 1, 'l2' as never, 'cpu')).rejects.toThrow(/unsupported similarity "l2"/);
    if (!addon.deviceInfo().cudaAvailable) {
      await expect(call(new Float32Array(4), new Float32Array(8), 4, 1, 'dot', 'cuda')).rejects.toThrow(/CUDA is not available/);
    }
  });
});
