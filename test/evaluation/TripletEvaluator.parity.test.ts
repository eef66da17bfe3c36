/**
 * TripletEvaluator against sentence-transformers 6.0.1's on the same embeddings (see evaluatorParity.ts):
 * legal questions with their passage and another row's passage, every similarity function, margins
 * (one number and per function), truncation, the model's own similarity function as the default,
 * exact ties (dyadic vectors, a negative identical to its positive), and a SequentialEvaluator over
 * Matryoshka dims. Plus the errors for bad input.
 */
import { TripletEvaluator } from '../../lib/evaluation/TripletEvaluator';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from '../helpers/texts';
import { camelOptions, compareCase, logParityStats, runEvaluatorCase, runReference, type CaseResult, type EvaluatorCase, type EvaluatorSpec } from './evaluatorParity';
import { newTable, TextEmbeddingModel } from './textEmbeddings';

const ALL = ['cosine', 'dot', 'euclidean', 'manhattan'];
const base = { calls: 2, epoch: 1.5, steps: 7, sequential: false };

function triplets(count: number, offset: number): { anchors: string[]; positives: string[]; negatives: string[] } {
  const rows = legalRows('test').slice(offset, offset + count);
  return {
    anchors: rows.map((r) => r.anchor),
    positives: rows.map((r) => r.positive),
    negatives: rows.map((_, i) => rows[(i + 7) % rows.length].positive),
  };
}

function buildCases(): EvaluatorCase[] {
  // Anchors near their positive, far enough for an accuracy well below 1.
  const data = triplets(60, 0);
  const t = newTable(32, 101);
  data.positives.forEach((p) => t.add(p, () => t.random(0.5 + t.rand())));
  data.negatives.forEach((n) => t.add(n, () => t.random(0.5 + t.rand())));
  data.anchors.forEach((a, i) => t.add(a, () => t.near(t.get(data.positives[i]), 1, 3)));
  const spec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'triplet', kwargs: { ...data, ...kwargs } });

  // Dyadic vectors: exact ties between positive and negative scores; every 5th negative is its positive.
  const tieData = triplets(40, 100);
  tieData.negatives = tieData.negatives.map((n, i) => (i % 5 === 0 ? tieData.positives[i] : n));
  const d = newTable(32, 7);
  [...tieData.anchors, ...tieData.positives, ...tieData.negatives].forEach((x) => d.add(x, () => d.dyadic()));
  const tieSpec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'triplet', kwargs: { ...tieData, ...kwargs } });

  return [
    {
      label: 'legal triplets: defaults, every similarity function, margins, truncation, main similarity function',
      ...t.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        spec({}),
        spec({ name: 'all', similarity_fn_names: ALL }),
        spec({ name: 'dim_16', truncate_dim: 16, similarity_fn_names: ['dot', 'cosine'], margin: 0.05 }),
        spec({ name: 'margins', similarity_fn_names: ['euclidean', 'manhattan', 'cosine'], margin: { euclidean: 0.3, manhattan: 1.0 }, main_similarity_function: 'manhattan' }),
        // ST names the main function's accuracy as primary metric even when that function is not evaluated.
        spec({ name: 'main_absent', main_similarity_function: 'dot' }),
      ],
    },
    {
      label: "the model's similarity function (dot) as the default",
      ...t.table(), ...base, similarity_fn_name: 'dot',
      evaluators: [spec({ name: 'model_dot' }), spec({ truncate_dim: 8, batch_size: 5 })],
    },
    {
      label: 'exact ties: equal positive and negative scores do not count, margins on exact scores',
      ...d.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        tieSpec({ similarity_fn_names: ALL }),
        tieSpec({ name: 'half', truncate_dim: 16, similarity_fn_names: ALL, margin: 1 }),
        tieSpec({ name: 'cos_margin', similarity_fn_names: ['cosine'], margin: 0.125 }),
      ],
    },
    {
      label: 'SequentialEvaluator over Matryoshka dims',
      ...t.table(), ...base, similarity_fn_name: 'cosine', sequential: true,
      evaluators: [32, 16, 8].map((dim) => spec({ name: `dim_${dim}`, truncate_dim: dim })),
    },
  ];
}

const build = (s: EvaluatorSpec) => new TripletEvaluator(camelOptions(s.kwargs) as never);

describeIf(missing({ python: true, sharedData: true }), 'TripletEvaluator parity with sentence-transformers 6.0.1', () => {
  const cases = buildCases();
  let reference: CaseResult[] = [];
  beforeAll(() => {
    reference = runReference(cases, 'triplet_parity_cases.json');
  });
  afterAll(() => logParityStats('TripletEvaluator'));

  test('the cases exercise what they claim', () => {
    const first = reference[0].calls[0].evaluators[1].metrics!;
    for (const fn of ALL) {
      expect(first[`all_${fn}_accuracy`]).toBeGreaterThan(0.55);
      expect(first[`all_${fn}_accuracy`]).toBeLessThan(0.97);
    }
    // Exact ties decide some triplets: the accuracy with ties counted as wins would be higher.
    const ties = reference[2].calls[0].evaluators[0].metrics!;
    expect(ties.cosine_accuracy).toBeLessThan(0.85);
  });

  test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
    const c = cases[i as number];
    compareCase(await runEvaluatorCase(c, build), reference[i as number], c);
  });
});

describe('TripletEvaluator input checks', () => {
  const ok = { anchors: ['a', 'b'], positives: ['c', 'd'], negatives: ['e', 'f'] };
  test.each([
    [{ ...ok, negatives: ['e'] }, /anchors and negatives must have the same length: anchors has 2, negatives has 1/],
    [{ anchors: [], positives: [], negatives: [] }, /anchors, positives, negatives are empty/],
    [{ ...ok, positives: ['c', 3] }, /positives\[1\] must be a string, got 3/],
    [{ ...ok, similarityFnNames: ['cosine', 'angle'] }, /similarityFnNames\[1\]: unknown similarity function "angle"/],
    [{ ...ok, margin: { cosin: 0.1 } }, /margin: unknown similarity function "cosin"/],
    [{ ...ok, truncateDim: 0 }, /truncateDim must be a positive integer, got 0/],
  ])('%#: %p', (options, message) => {
    expect(() => new TripletEvaluator(options as never)).toThrow(message);
  });

  test('truncateDim wider than the model', async () => {
    const t = newTable(8, 1);
    for (const x of ['a', 'b', 'c', 'd', 'e', 'f']) t.add(x, () => t.random());
    await expect(new TripletEvaluator({ ...ok, truncateDim: 9 }).evaluate(new TextEmbeddingModel(t.table()))).rejects.toThrow(/truncateDim 9 exceeds the model's embedding dimension 8/);
  });
});
