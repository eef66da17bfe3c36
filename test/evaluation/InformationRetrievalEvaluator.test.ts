/** The evaluators' behaviour that needs neither Python nor the addon (the brute-force search stands in). */
import * as fs from 'fs';
import * as path from 'path';
import type { TopK } from '../../lib/binding/AddonTypes';
import { InformationRetrievalEvaluator, type InformationRetrievalEvaluatorOptions } from '../../lib/evaluation/InformationRetrievalEvaluator';
import { compareHits, computeIrMetrics, type DocId } from '../../lib/evaluation/irMetrics';
import type { SearchFn } from '../../lib/evaluation/exactTopK';
import { SequentialEvaluator } from '../../lib/evaluation/SequentialEvaluator';
import { tmpDir } from '../helpers/requirements';
import { bruteForceSearch, gaussian, scoreRow, seededRandom, StoredEmbeddingModel } from './storedEmbeddings';

function randomRows(rand: () => number, n: number, dim: number): number[][] {
  return Array.from({ length: n }, () => Array.from({ length: dim }, () => Math.fround(gaussian(rand))));
}

/** 6 queries over 30 documents; documents come in identical pairs, so equal scores are frequent. */
function tiedSetup() {
  const rand = seededRandom(7);
  const distinct = randomRows(rand, 15, 8);
  const corpusEmb = distinct.flatMap((v) => [v, v]);
  const corpusIds = corpusEmb.map((_, i) => 100 - 3 * i); // ids descending against row order
  const queryEmb = randomRows(rand, 6, 8);
  // Relevant: one twin of the query's best pair (the lower id for even queries, which the id order puts
  // first, the higher for odd ones) and one other document.
  const flat = new Float64Array(distinct.flat());
  const relevantDocs = new Map<DocId, DocId[]>(queryEmb.map((v, q) => {
    const s = scoreRow(v, flat, 8, 'cosine');
    const best = s.indexOf(Math.max(...s));
    const twin = q % 2 === 0 ? 2 * best + 1 : 2 * best;
    return [q, [corpusIds[twin], corpusIds[(twin + 11) % 30]]];
  }));
  const options = (extra: Partial<InformationRetrievalEvaluatorOptions>): InformationRetrievalEvaluatorOptions => ({
    queries: new Map(queryEmb.map((_, q) => [q, `q${q}`])),
    corpus: new Map(corpusIds.map((id, i) => [id, `d${i}`])),
    relevantDocs,
    search: bruteForceSearch,
    ...extra,
  });
  return { model: new StoredEmbeddingModel(queryEmb, corpusEmb), corpusEmb, corpusIds, queryEmb, relevantDocs, options };
}

describe('InformationRetrievalEvaluator', () => {
  test('ranks by score then ascending id, whatever the corpus chunk size', async () => {
    const t = tiedSetup();
    const ks = { accuracyAtK: [1, 2], precisionRecallAtK: [1, 3], mrrAtK: [3], ndcgAtK: [3], mapAtK: [5] };
    // Expected: a full sort of every document by (-score, id), then the metrics.
    const flat = new Float32Array(t.corpusEmb.flat());
    const ranked = t.queryEmb.map((q) => {
      const s = scoreRow(q, flat, 8, 'cosine').map(Math.fround);
      return s.map((score, i) => ({ id: t.corpusIds[i] as DocId, score })).sort(compareHits).map((h) => h.id);
    });
    const expected = computeIrMetrics(ranked, t.queryEmb.map((_, q) => new Set(t.relevantDocs.get(q))), ks);
    expect(expected['accuracy@1']).toBe(0.5); // even queries find their twin first, odd ones second
    expect(expected['accuracy@2']).toBe(1);
    for (const corpusChunkSize of [1, 2, 3, 7, 30, 50000]) {
      const ev = new InformationRetrievalEvaluator(t.options({ ...ks, corpusChunkSize, scoreFunctions: ['cosine'] }));
      const m = await ev.evaluate(t.model);
      for (const [key, value] of Object.entries(expected)) expect([corpusChunkSize, key, m[`cosine_${key}`]]).toEqual([corpusChunkSize, key, value]);
    }
  });

  test('fetches more rows until every row tied at the cut is in hand', async () => {
    const t = tiedSetup();
    const asked: number[] = [];
    const counting: SearchFn = async (...args) => {
      asked.push(args[3]);
      return bruteForceSearch(...args);
    };
    const ev = new InformationRetrievalEvaluator(t.options({ accuracyAtK: [1], precisionRecallAtK: [1], mrrAtK: [1], ndcgAtK: [1], mapAtK: [1], search: counting }));
    await ev.evaluate(t.model);
    // k = 1, one extra row to see the tie; every query's best document has a twin, so a second round follows.
    expect(asked).toEqual([2, 4]);
  });

  test('encodes only queries with relevant documents, the corpus by chunks, with the batch size and truncation', async () => {
    const rand = seededRandom(3);
    const model = new StoredEmbeddingModel(randomRows(rand, 4, 16), randomRows(rand, 10, 16));
    const ev = new InformationRetrievalEvaluator({
      queries: { a: 'q0', b: 'q1', c: 'q2', d: 'q3' },
      corpus: Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`c${i}`, `d${i}`])),
      relevantDocs: { a: ['c1'], b: [], d: new Set(['c2', 'c3']), zz: ['c4'] },
      corpusChunkSize: 4, batchSize: 5, truncateDim: 8, search: bruteForceSearch,
    });
    expect(ev.queryIds).toEqual(['a', 'd']);
    await ev.evaluate(model);
    expect(model.encodeCalls.map((c) => c.count)).toEqual([2, 4, 4, 2]);
    expect(model.encodeCalls.every((c) => c.options?.batchSize === 5 && c.options?.truncateDim === 8)).toBe(true);
    expect(ev.configDict()).toEqual({ truncate_dim: 8 });
    expect(ev.description).toBe('Information Retrieval');
  });

  test("key names, name prefix, and the model's similarity function as default", async () => {
    const rand = seededRandom(5);
    const model = new StoredEmbeddingModel(randomRows(rand, 3, 4), randomRows(rand, 5, 4), 'dot');
    const data = { queries: { a: 'q0', b: 'q1', c: 'q2' }, corpus: { x: 'd0', y: 'd1', z: 'd2', u: 'd3', v: 'd4' }, relevantDocs: { a: ['x'], b: ['y', 'z'], c: ['u'] }, search: bruteForceSearch };
    const plain = new InformationRetrievalEvaluator(data);
    const m = await plain.evaluate(model);
    expect(Object.keys(m)).toEqual([
      'dot_accuracy@1', 'dot_accuracy@3', 'dot_accuracy@5', 'dot_accuracy@10',
      'dot_precision@1', 'dot_precision@3', 'dot_precision@5', 'dot_precision@10',
      'dot_recall@1', 'dot_recall@3', 'dot_recall@5', 'dot_recall@10',
      'dot_ndcg@10', 'dot_mrr@10', 'dot_map@100',
    ]);
    expect(plain.primaryMetric).toBe('dot_ndcg@10');
    expect(plain.scoreFunctions).toEqual(['dot']);

    const named = new InformationRetrievalEvaluator({ ...data, name: 'dim_4', scoreFunctions: ['dot', 'cosine'] });
    const n = await named.evaluate(model);
    expect(Object.keys(n)[0]).toBe('dim_4_dot_accuracy@1');
    expect(Object.keys(n)[15]).toBe('dim_4_cosine_accuracy@1');
    expect(named.primaryMetric).toMatch(/^dim_4_(cosine|dot)_ndcg@10$/);
    expect(n[named.primaryMetric!]).toBe(Math.max(n['dim_4_cosine_ndcg@10'], n['dim_4_dot_ndcg@10']));
  });

  test('the primary metric is chosen on the first evaluation and kept', async () => {
    // Two documents: with cosine the query finds the relevant one first, with dot the long irrelevant one.
    // Relevant r and irrelevant n: cosine ranks r first, dot ranks the long n first.
    const model = new StoredEmbeddingModel([[1, 0]], [[1, 0.1], [3, 5]]);
    const ev = new InformationRetrievalEvaluator({
      queries: { q: 'q0' }, corpus: { r: 'd0', n: 'd1' }, relevantDocs: { q: ['r'] },
      scoreFunctions: ['dot', 'cosine'], name: 'x', search: bruteForceSearch,
    });
    const first = await ev.evaluate(model);
    expect(first['x_cosine_ndcg@10']).toBeGreaterThan(first['x_dot_ndcg@10']);
    expect(ev.primaryMetric).toBe('x_cosine_ndcg@10');
    // Now the other way round: dot ranks r first, cosine ranks n first; the primary metric stays.
    model.corpusEmb[0] = [5, 5];
    model.corpusEmb[1] = [1, 0.01];
    const second = await ev.evaluate(model);
    expect(second['x_dot_ndcg@10']).toBeGreaterThan(second['x_cosine_ndcg@10']);
    expect(ev.primaryMetric).toBe('x_cosine_ndcg@10');

    const forced = new InformationRetrievalEvaluator({
      queries: { q: 'q0' }, corpus: { r: 'd0' }, relevantDocs: { q: ['r'] }, scoreFunctions: ['cosine', 'dot'],
      mainScoreFunction: 'dot', ndcgAtK: [3, 7], search: bruteForceSearch,
    });
    await forced.evaluate(model);
    expect(forced.primaryMetric).toBe('dot_ndcg@7');
  });

  test('writes the CSV under outputPath: header once, a row per evaluation', async () => {
    const model = new StoredEmbeddingModel([[1, 0]], [[1, 0.1], [3, 5]]);
    const dir = tmpDir('ir-csv');
    const ev = new InformationRetrievalEvaluator({
      queries: { q: 'q0' }, corpus: { r: 'd0', n: 'd1' }, relevantDocs: { q: ['r'] }, name: 'v',
      accuracyAtK: [1], precisionRecallAtK: [2], mrrAtK: [2], ndcgAtK: [2], mapAtK: [2], search: bruteForceSearch,
    });
    await ev.evaluate(model, { outputPath: dir, epoch: 0.5, steps: 3 });
    await ev.evaluate(model, { outputPath: dir });
    const text = fs.readFileSync(path.join(dir, 'Information-Retrieval_evaluation_v_results.csv'), 'utf8');
    expect(text).toBe(
      'epoch,steps,cosine-Accuracy@1,cosine-Precision@2,cosine-Recall@2,cosine-MRR@2,cosine-NDCG@2,cosine-MAP@2\n'
      + '0.5,3,1.0,0.5,1.0,1.0,1.0,1.0\n'
      + '-1,-1,1.0,0.5,1.0,1.0,1.0,1.0\n',
    );
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('refuses bad input with a reason', async () => {
    const base = { queries: { a: 'q0' }, corpus: { x: 'd0' }, relevantDocs: { a: ['x'] }, search: bruteForceSearch };
    expect(() => new InformationRetrievalEvaluator({ ...base, relevantDocs: { a: [] } })).toThrow(/no query has a relevant document/);
    expect(() => new InformationRetrievalEvaluator({ ...base, corpus: {} })).toThrow(/corpus is empty/);
    expect(() => new InformationRetrievalEvaluator({ ...base, corpus: new Map<DocId, string>([['x', 'd0'], [1, 'd1']]) })).toThrow(/all strings or all numbers: "x" and 1/);
    expect(() => new InformationRetrievalEvaluator({ ...base, queries: { a: 5 as unknown as string } })).toThrow(/queries\["a"\] must be a string/);
    expect(() => new InformationRetrievalEvaluator({ ...base, relevantDocs: { a: 'x' as unknown as string[] } })).toThrow(/relevantDocs\["a"\] must be a list or set/);
    expect(() => new InformationRetrievalEvaluator({ ...base, scoreFunctions: ['euclidean' as 'dot'] })).toThrow(/unsupported score function "euclidean"/);
    expect(() => new InformationRetrievalEvaluator({ ...base, mapAtK: [2.5] })).toThrow(/mapAtK must hold positive integers/);
    expect(() => new InformationRetrievalEvaluator({ ...base, corpusChunkSize: 0 })).toThrow(/corpusChunkSize must be a positive integer/);

    const model = new StoredEmbeddingModel([[1, 0]], [[1, 0]]);
    await expect(new InformationRetrievalEvaluator({ ...base, truncateDim: 3 }).evaluate(model)).rejects.toThrow(/truncateDim 3 exceeds the model's embedding dimension 2/);
    const shortModel = { embeddingDim: 4, encode: async (texts: string[]) => new Float32Array(texts.length * 3) };
    await expect(new InformationRetrievalEvaluator(base).evaluate(shortModel)).rejects.toThrow(/returned 3 values for 1 queries, expected 1 x 4/);
    const badSearch: SearchFn = async (): Promise<TopK> => ({ indices: new Int32Array([5]), scores: new Float32Array([1]), k: 1 });
    await expect(new InformationRetrievalEvaluator({ ...base, search: badSearch }).evaluate(model)).rejects.toThrow(/corpus row 5, outside the chunk of 1 rows/);
  });
});

describe('SequentialEvaluator', () => {
  const model = new StoredEmbeddingModel([[1, 0, 0, 0]], [[1, 0.1, 0, 0], [3, 5, 0, 1]]);
  const make = (name: string, truncateDim: number) => new InformationRetrievalEvaluator({
    queries: { q: 'q0' }, corpus: { r: 'd0', n: 'd1' }, relevantDocs: { q: ['r'] }, name, truncateDim,
    scoreFunctions: ['cosine'], search: bruteForceSearch,
  });

  test('merges the metrics; sequential_score is the last primary metric', async () => {
    const evs = [make('dim_4', 4), make('dim_2', 2), make('dim_1', 1)];
    const seq = new SequentialEvaluator(evs);
    const m = await seq.evaluate(model);
    expect(seq.primaryMetric).toBe('sequential_score');
    expect(Object.keys(m)).toHaveLength(3 * 15 + 1);
    expect(Object.keys(m)[0]).toBe('dim_4_cosine_accuracy@1');
    expect(Object.keys(m).pop()).toBe('sequential_score');
    expect(m.sequential_score).toBe(m['dim_1_cosine_ndcg@10']);
    expect(evs.map((e) => e.primaryMetric)).toEqual(['dim_4_cosine_ndcg@10', 'dim_2_cosine_ndcg@10', 'dim_1_cosine_ndcg@10']);
  });

  test('a custom main score function sees every primary metric', async () => {
    const seen: number[][] = [];
    const seq = new SequentialEvaluator([make('a', 4), make('b', 1)], (scores) => {
      seen.push(scores);
      return -1;
    });
    const m = await seq.evaluate(model);
    expect(seen).toEqual([[m['a_cosine_ndcg@10'], m['b_cosine_ndcg@10']]]);
    expect(m.sequential_score).toBe(-1);
    expect(await new SequentialEvaluator([]).evaluate(model)).toEqual({ sequential_score: 0 });
  });
});
