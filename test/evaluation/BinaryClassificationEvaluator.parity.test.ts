/**
 * BinaryClassificationEvaluator against sentence-transformers 6.0.1's on the same embeddings (see
 * evaluatorParity.ts): STS benchmark pairs labelled 1 when their gold score is at least 3.5, every
 * similarity function (distances scanned in ascending order), truncation, the model's similarity
 * function as default; exact score ties (dyadic vectors) where the scan order within ties, the float32
 * midpoint thresholds and sklearn's grouping of tied scores in average precision all matter; and the
 * edge cases: one class only, a single pair, every score equal, no threshold ever improving F1 (ST's int
 * sentinels 0 and -1 in the CSV). Plus the errors for bad input.
 */
import { BinaryClassificationEvaluator } from '../../lib/evaluation/BinaryClassificationEvaluator';
import { formatNumpyFloat32 } from '../../lib/evaluation/pythonFloat';
import { averagePrecisionScore, matthewsCorrcoef } from '../../lib/evaluation/sklearnMetrics';
import { describeIf, missing } from '../helpers/requirements';
import { camelOptions, compareCase, logParityStats, runEvaluatorCase, runReference, type CaseResult, type EvaluatorCase, type EvaluatorSpec } from './evaluatorParity';
import { newTable, stsPairs, type StsPair } from './textEmbeddings';

const ALL = ['cosine', 'dot', 'euclidean', 'manhattan'];
const base = { calls: 2, epoch: 1.5, steps: 7, sequential: false };

const columns = (pairs: StsPair[]) => ({ sentences1: pairs.map((p) => p.sentence1), sentences2: pairs.map((p) => p.sentence2), labels: pairs.map((p) => (p.score >= 3.5 ? 1 : 0)) });

function buildCases(): EvaluatorCase[] {
  const pairs = stsPairs('dev', 200, 300);
  // Norms about 0.3: manhattan thresholds stay below 2, where torch's float32 sums (a few ulps from the
  // exact sum we round) stay well inside the 1e-6 tolerance.
  const t = newTable(32, 303);
  for (const p of pairs) {
    t.add(p.sentence1, () => t.random(0.3 * (0.8 + 0.4 * t.rand())));
    t.add(p.sentence2, () => t.near(t.get(p.sentence1), 0.2 + 0.16 * p.score, 0.3 * 0.6 * (0.5 + t.rand())));
  }
  const spec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'binary', kwargs: { ...columns(pairs), ...kwargs } });

  const tiePairs = stsPairs('test', 90, 200);
  const d = newTable(32, 17);
  for (const p of tiePairs) {
    d.add(p.sentence1, () => d.dyadic());
    d.add(p.sentence2, () => d.dyadic());
  }
  const tieSpec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'binary', kwargs: { ...columns(tiePairs), ...kwargs } });
  const edge = (name: string, rows: { sentence1: string; sentence2: string; label: number }[]): EvaluatorSpec => ({
    type: 'binary',
    kwargs: { name, similarity_fn_names: ALL, sentences1: rows.map((r) => r.sentence1), sentences2: rows.map((r) => r.sentence2), labels: rows.map((r) => r.label) },
  });
  const tp = tiePairs;
  const row = (i: number, label: number, same = false) => ({ sentence1: tp[i].sentence1, sentence2: same ? tp[i].sentence1 : tp[i].sentence2, label });

  return [
    {
      label: 'STS dev pairs: defaults, every similarity function, truncation',
      ...t.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        spec({}),
        spec({ name: 'all', similarity_fn_names: ALL }),
        spec({ name: 'dim_16', truncate_dim: 16, similarity_fn_names: ['manhattan', 'dot'], batch_size: 9 }),
      ],
    },
    {
      label: "the model's similarity function (dot) as the default",
      ...t.table(), ...base, similarity_fn_name: 'dot',
      evaluators: [spec({ name: 'model_dot' }), spec({ truncate_dim: 8 })],
    },
    {
      label: 'exact ties: scan order within ties, float32 midpoints, tied scores grouped in average precision',
      ...d.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [tieSpec({ similarity_fn_names: ALL }), tieSpec({ name: 'half', truncate_dim: 16, similarity_fn_names: ALL })],
    },
    {
      label: 'edge cases: one class only, one pair, all scores equal, F1 never above 0',
      ...d.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        edge('all_positive', [0, 1, 2, 3, 4, 5].map((i) => row(i, 1))),
        edge('all_negative', [0, 1, 2, 3, 4, 5].map((i) => row(i, 0))),
        edge('one_pair', [row(7, 1)]),
        edge('one_negative_pair', [row(7, 0)]),
        edge('all_equal', [0, 1, 2, 3, 4, 5, 6].map((i) => row(i, i % 2, true))),
        // The only duplicate scores lowest: no prefix of the ranking has a positive F1.
        edge('positive_last', [row(10, 0, true), row(11, 1)]),
      ],
    },
    {
      label: 'SequentialEvaluator over Matryoshka dims',
      ...t.table(), ...base, similarity_fn_name: 'cosine', sequential: true,
      evaluators: [32, 16, 8].map((dim) => spec({ name: `dim_${dim}`, truncate_dim: dim, similarity_fn_names: ['cosine', 'euclidean'] })),
    },
  ];
}

const build = (s: EvaluatorSpec) => new BinaryClassificationEvaluator(camelOptions(s.kwargs) as never);

describeIf(missing({ python: true, sharedData: true }), 'BinaryClassificationEvaluator parity with sentence-transformers 6.0.1', () => {
  const cases = buildCases();
  let reference: CaseResult[] = [];
  beforeAll(() => {
    reference = runReference(cases, 'binary_parity_cases.json');
  });
  afterAll(() => logParityStats('BinaryClassificationEvaluator'));

  test('the cases exercise what they claim', () => {
    const all = reference[0].calls[0].evaluators[1].metrics!;
    for (const fn of ALL) {
      expect(all[`all_${fn}_ap`]).toBeGreaterThan(0.4);
      expect(all[`all_${fn}_ap`]).toBeLessThan(0.97);
      expect(all[`all_${fn}_accuracy`]).toBeLessThan(0.97);
    }
    // ST's int sentinels reach the CSV: F1 threshold 0 where no prefix has a positive F1, accuracy threshold -1 for one pair.
    const csv = reference[3].csv['binary_classification_evaluation_positive_last_results.csv'].split('\r\n');
    expect(csv[1].split(',')[7]).toBe('0');
    const onePair = reference[3].csv['binary_classification_evaluation_one_pair_results.csv'].split('\r\n');
    expect(onePair[1].split(',').slice(2, 4)).toEqual(['0', '-1']);
    // Tied scores with both labels: the dyadic case has far fewer distinct scores than pairs.
    expect(reference[2].calls[0].evaluators[0].metrics!.cosine_ap).toBeGreaterThan(0);
  });

  test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
    const c = cases[i as number];
    compareCase(await runEvaluatorCase(c, build), reference[i as number], c);
  });
});

describe('BinaryClassificationEvaluator input checks', () => {
  const ok = { sentences1: ['a', 'b'], sentences2: ['c', 'd'], labels: [1, 0] };
  test.each([
    [{ ...ok, labels: [1, 0, 1] }, /sentences1 and labels must have the same length: sentences1 has 2, labels has 3/],
    [{ ...ok, sentences2: ['c'] }, /sentences1 and sentences2 must have the same length: sentences1 has 2, sentences2 has 1/],
    [{ sentences1: [], sentences2: [], labels: [] }, /sentences1, sentences2, labels are empty/],
    [{ ...ok, labels: [1, 2] }, /labels\[1\] must be 0 or 1, got 2/],
    [{ ...ok, labels: [1, '0'] }, /labels\[1\] must be 0 or 1, got "0"/],
    [{ ...ok, similarityFnNames: ['cosine', 'cosine'] }, /similarityFnNames names "cosine" twice/],
  ])('%#: %p', (options, message) => {
    expect(() => new BinaryClassificationEvaluator(options as never)).toThrow(message);
  });
});

describe('sklearn metrics', () => {
  test('average precision groups tied scores; MCC on known values', () => {
    // sklearn.metrics.average_precision_score([1, 0, 1, 1, 0], [0.9, 0.8, 0.8, 0.3, 0.1]) = 0.8055555555555556
    expect(averagePrecisionScore([1, 0, 1, 1, 0], [0.9, 0.8, 0.8, 0.3, 0.1])).toBeCloseTo(0.8055555555555556, 14);
    expect(averagePrecisionScore([0, 0], [0.9, 0.8])).toBe(0);
    // sklearn.metrics.matthews_corrcoef([1, 1, 0, 0, 1], [1, 0, 0, 1, 1]) = 0.16666666666666666
    expect(matthewsCorrcoef([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])).toBeCloseTo(0.16666666666666666, 14);
    expect(matthewsCorrcoef([1, 1, 1], [1, 1, 1])).toBe(0);
  });
});

describe('formatNumpyFloat32: the thresholds as str(np.float32) writes them in the CSV', () => {
  // The strings numpy 2.4 prints for np.float32(x).
  test.each([
    [0.1, '0.1'], [1 / 3, '0.33333334'], [1e-5, '1e-05'], [2.5e-4, '0.00025'], [1e-4, '1e-04'], [0.00010001, '0.00010001'],
    [5, '5.0'], [100, '100.0'], [999999.94, '999999.94'], [1e6, '1e+06'], [4194304.5, '4.1943045e+06'], [123456789, '1.2345679e+08'],
    [1e16, '1e+16'], [-3e6, '-3e+06'], [-0.00012, '-0.00012'], [-0, '-0.0'], [NaN, 'nan'],
  ])('%p -> %s', (x, text) => expect(formatNumpyFloat32(Math.fround(x))).toBe(text));
});
