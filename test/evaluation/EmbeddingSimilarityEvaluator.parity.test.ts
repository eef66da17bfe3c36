/**
 * EmbeddingSimilarityEvaluator against sentence-transformers 6.0.1's on the same embeddings (see
 * evaluatorParity.ts): STS benchmark pairs with their gold scores (many tied), embeddings whose similarity
 * follows the gold score loosely, every similarity function, main_similarity with and without a list,
 * truncation; exact ties among predicted scores (dyadic vectors); constant gold scores and constant
 * predictions (NaN, as scipy); two pairs; a SequentialEvaluator over Matryoshka dims. Plus the errors for
 * bad input and the correlation helpers on hand-checked values.
 */
import { averageRanks, pearson, spearman } from '../../lib/evaluation/correlation';
import { EmbeddingSimilarityEvaluator } from '../../lib/evaluation/EmbeddingSimilarityEvaluator';
import { describeIf, missing } from '../helpers/requirements';
import { camelOptions, compareCase, logParityStats, runEvaluatorCase, runReference, type CaseResult, type EvaluatorCase, type EvaluatorSpec } from './evaluatorParity';
import { newTable, stsPairs, type StsPair } from './textEmbeddings';

const ALL = ['cosine', 'dot', 'euclidean', 'manhattan'];
const base = { calls: 2, epoch: 1.5, steps: 7, sequential: false };

const columns = (pairs: StsPair[]) => ({ sentences1: pairs.map((p) => p.sentence1), sentences2: pairs.map((p) => p.sentence2), scores: pairs.map((p) => p.score) });

function buildCases(): EvaluatorCase[] {
  const pairs = stsPairs('dev', 150);
  const t = newTable(32, 202);
  for (const p of pairs) {
    t.add(p.sentence1, () => t.random(0.8 + 0.4 * t.rand()));
    t.add(p.sentence2, () => t.near(t.get(p.sentence1), 0.2 + 0.16 * p.score, 0.5 * (0.5 + t.rand())));
  }
  const spec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'similarity', kwargs: { ...columns(pairs), ...kwargs } });

  // Dyadic vectors: predicted scores with many exact ties; integer gold scores.
  const tiePairs = stsPairs('test', 80).map((p) => ({ ...p, score: Math.round(p.score) }));
  const d = newTable(32, 9);
  for (const p of tiePairs) {
    d.add(p.sentence1, () => d.dyadic());
    d.add(p.sentence2, () => d.dyadic());
  }
  const tieSpec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'similarity', kwargs: { ...columns(tiePairs), ...kwargs } });

  // Constant inputs: every pair the same sentence twice (predictions constant and exact), or one gold score for all.
  const same = tiePairs.slice(0, 12).map((p) => ({ ...p, sentence2: p.sentence1 }));
  const constantGold = tiePairs.slice(0, 12).map((p) => ({ ...p, score: 3 }));

  return [
    {
      label: 'STS dev pairs: defaults, every similarity function, main similarity, truncation',
      ...t.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        spec({}),
        spec({ name: 'all', similarity_fn_names: ALL }),
        spec({ name: 'main_dot', main_similarity: 'dot' }),
        // ST names spearman_cosine primary here although only manhattan and euclidean are evaluated.
        spec({ name: 'main_outside', similarity_fn_names: ['manhattan', 'euclidean'], main_similarity: 'cosine' }),
        spec({ name: 'dim_8', truncate_dim: 8, similarity_fn_names: ['euclidean', 'cosine'], batch_size: 7 }),
      ],
    },
    {
      label: "the model's similarity function (dot) as the default",
      ...t.table(), ...base, similarity_fn_name: 'dot',
      evaluators: [spec({ name: 'model_dot' }), spec({ truncate_dim: 16 })],
    },
    {
      label: 'exact ties in predicted and gold scores: Spearman with averaged ranks',
      ...d.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [tieSpec({ similarity_fn_names: ALL }), tieSpec({ name: 'half', truncate_dim: 16, similarity_fn_names: ALL })],
    },
    {
      label: 'constant predictions or constant gold scores: NaN, and NaN maxima; two pairs',
      ...d.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        { type: 'similarity', kwargs: { ...columns(same), similarity_fn_names: ALL, name: 'same' } },
        { type: 'similarity', kwargs: { ...columns(constantGold), similarity_fn_names: ['dot', 'cosine'], name: 'gold' } },
        { type: 'similarity', kwargs: { ...columns(tiePairs.slice(3, 5)), similarity_fn_names: ['dot', 'manhattan'], name: 'two' } },
      ],
    },
    {
      label: 'SequentialEvaluator over Matryoshka dims',
      ...t.table(), ...base, similarity_fn_name: 'cosine', sequential: true,
      evaluators: [32, 16, 8].map((dim) => spec({ name: `sts_dev_${dim}`, truncate_dim: dim })),
    },
  ];
}

const build = (s: EvaluatorSpec) => new EmbeddingSimilarityEvaluator(camelOptions(s.kwargs) as never);

describeIf(missing({ python: true, sharedData: true }), 'EmbeddingSimilarityEvaluator parity with sentence-transformers 6.0.1', () => {
  const cases = buildCases();
  let reference: CaseResult[] = [];
  beforeAll(() => {
    reference = runReference(cases, 'similarity_parity_cases.json');
  });
  afterAll(() => logParityStats('EmbeddingSimilarityEvaluator'));

  test('the cases exercise what they claim', () => {
    const all = reference[0].calls[0].evaluators[1].metrics!;
    for (const fn of ALL) {
      expect(all[`all_spearman_${fn}`]).toBeGreaterThan(0.2);
      expect(all[`all_spearman_${fn}`]).toBeLessThan(0.95);
    }
    const constant = reference[3].calls[0].evaluators[0].metrics!;
    expect(constant.same_spearman_cosine).toBe('NaN');
    expect(constant.same_pearson_max).toBe('NaN');
    // Many tied predictions in the dyadic case.
    const c = cases[2];
    const vec = new Map(c.texts.map((x, i) => [x, c.vectors[i]]));
    const s1 = c.evaluators[0].kwargs.sentences1 as string[];
    const s2 = c.evaluators[0].kwargs.sentences2 as string[];
    const dots = s1.map((x, i) => vec.get(x)!.reduce((acc, v, k) => acc + v * vec.get(s2[i])![k], 0));
    expect(new Set(dots).size).toBeLessThan(dots.length / 3);
  });

  test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
    const c = cases[i as number];
    compareCase(await runEvaluatorCase(c, build), reference[i as number], c);
  });
});

describe('EmbeddingSimilarityEvaluator input checks', () => {
  const ok = { sentences1: ['a', 'b'], sentences2: ['c', 'd'], scores: [1, 2] };
  test.each([
    [{ ...ok, scores: [1] }, /sentences1 and scores must have the same length: sentences1 has 2, scores has 1/],
    [{ sentences1: [], sentences2: [], scores: [] }, /sentences1, sentences2, scores are empty/],
    [{ sentences1: ['a'], sentences2: ['b'], scores: [1] }, /at least 2 sentence pairs, got 1/],
    [{ ...ok, scores: [1, '2'] }, /scores\[1\] must be a finite number, got "2"/],
    [{ ...ok, sentences2: ['c', null] }, /sentences2\[1\] must be a string, got null/],
    [{ ...ok, mainSimilarity: 'cos' }, /mainSimilarity: unknown similarity function "cos"/],
  ])('%#: %p', (options, message) => {
    expect(() => new EmbeddingSimilarityEvaluator(options as never)).toThrow(message);
  });
});

describe('correlation helpers', () => {
  test('ranks average ties; Spearman and Pearson on known values', () => {
    expect(Array.from(averageRanks([10, 20, 10, 30, 20, 20]))).toEqual([1.5, 4, 1.5, 6, 4, 4]);
    expect(pearson([1, 2, 3], [2, 4, 6.5])).toBeCloseTo(0.9979487157886733, 14); // scipy.stats.pearsonr
    expect(spearman([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 14);
    expect(pearson([1, 2], [5, 3])).toBe(-1);
    expect(pearson([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
