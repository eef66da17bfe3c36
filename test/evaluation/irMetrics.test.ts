import { averagePrecisionAtK, checkKs, compareIds, computeIrMetrics, maxK, ndcgAtK, reciprocalRankAtK, DEFAULT_IR_KS } from '../../lib/evaluation/irMetrics';
import { formatPythonFloat } from '../../lib/evaluation/pythonFloat';
import { prefixMetricKeys } from '../../lib/evaluation/SentenceEvaluator';

const close = (a: number, b: number) => expect(a).toBeCloseTo(b, 12);

describe('computeIrMetrics, hand-computed', () => {
  // Query 1: relevant b, d and x (x is not in the corpus, yet counts in recall/ndcg/map denominators).
  // Query 2: relevant r, found at rank 2 of only two hits.
  const ranked = [['a', 'b', 'c', 'd'], ['x1', 'r']];
  const relevant = [new Set(['b', 'd', 'x']), new Set(['r'])];
  const ks = { accuracyAtK: [1, 2], precisionRecallAtK: [1, 2, 4, 10], mrrAtK: [1, 10], ndcgAtK: [2, 4], mapAtK: [2, 100] };
  const m = computeIrMetrics(ranked, relevant, ks);

  test('keys in sentence-transformers order', () => {
    expect(Object.keys(m)).toEqual([
      'accuracy@1', 'accuracy@2',
      'precision@1', 'precision@2', 'precision@4', 'precision@10',
      'recall@1', 'recall@2', 'recall@4', 'recall@10',
      'ndcg@2', 'ndcg@4', 'mrr@1', 'mrr@10', 'map@2', 'map@100',
    ]);
  });

  test('accuracy: a relevant doc within the top k', () => {
    close(m['accuracy@1'], 0);
    close(m['accuracy@2'], 1);
  });

  test('precision divides by k even when fewer hits were retrieved', () => {
    close(m['precision@1'], 0);
    close(m['precision@2'], (1 / 2 + 1 / 2) / 2);
    close(m['precision@4'], (2 / 4 + 1 / 4) / 2);
    close(m['precision@10'], (2 / 10 + 1 / 10) / 2);
  });

  test('recall divides by all relevant ids, including those absent from the corpus', () => {
    close(m['recall@1'], 0);
    close(m['recall@2'], (1 / 3 + 1) / 2);
    close(m['recall@4'], (2 / 3 + 1) / 2);
    close(m['recall@10'], (2 / 3 + 1) / 2);
  });

  test('ndcg: binary gains, ideal DCG over min(k, relevant) leading ones', () => {
    const l = (i: number) => 1 / Math.log2(i + 2);
    close(m['ndcg@2'], (l(1) / (l(0) + l(1)) + l(1) / l(0)) / 2);
    close(m['ndcg@4'], ((l(1) + l(3)) / (l(0) + l(1) + l(2)) + l(1) / l(0)) / 2);
  });

  test('mrr: first relevant rank within k', () => {
    close(m['mrr@1'], 0);
    close(m['mrr@10'], (1 / 2 + 1 / 2) / 2);
  });

  test('map: precision at each relevant hit, divided by min(k, relevant)', () => {
    close(m['map@2'], (1 / 2 / 2 + 1 / 2 / 1) / 2);
    close(m['map@100'], ((1 / 2 + 2 / 4) / 3 + 1 / 2) / 2);
  });

  test('single-query helpers', () => {
    const rel = new Set<string | number>([3, 7]);
    expect(reciprocalRankAtK([1, 2, 3], rel, 2)).toBe(0);
    expect(reciprocalRankAtK([1, 2, 3], rel, 3)).toBeCloseTo(1 / 3, 15);
    expect(ndcgAtK([3, 7], rel, 10)).toBeCloseTo(1, 15);
    expect(ndcgAtK([], rel, 10)).toBe(0);
    expect(averagePrecisionAtK([7, 1, 3], rel, 10)).toBeCloseTo((1 + 2 / 3) / 2, 15);
    // Ids match by type, as in Python: the string "3" is not the number 3.
    expect(averagePrecisionAtK(['3', '7'], rel, 10)).toBe(0);
  });

  test('bad input is refused with a reason', () => {
    expect(() => computeIrMetrics([], [], ks)).toThrow(/no queries/);
    expect(() => computeIrMetrics([['a']], [new Set()], ks)).toThrow(/query 0 has no relevant/);
    expect(() => checkKs({ ...ks, mrrAtK: [] })).toThrow(/mrrAtK must be a non-empty list/);
    expect(() => checkKs({ ...ks, ndcgAtK: [0] })).toThrow(/ndcgAtK must hold positive integers, got 0/);
    expect(maxK(DEFAULT_IR_KS)).toBe(100);
  });
});

describe('compareIds: Python ordering', () => {
  test('numbers numerically, strings by code point', () => {
    expect(compareIds(9, 15)).toBeLessThan(0); // "15" < "9" as strings: must not apply to numbers
    expect(compareIds('15', '9')).toBeLessThan(0);
    expect(compareIds('a', 'a')).toBe(0);
    expect(compareIds('ab', 'a')).toBeGreaterThan(0);
    // U+FFFF < U+1F600 by code point, though UTF-16 units order them the other way.
    expect(compareIds('\uffff', '\u{1f600}')).toBeLessThan(0);
  });

  test('strings against numbers cannot be ordered', () => {
    expect(() => compareIds('1', 1)).toThrow(/all strings or all numbers/);
  });
});

describe('formatPythonFloat: str(float) as Python writes it', () => {
  test.each([
    [0.5, '0.5'], [1, '1.0'], [100, '100.0'], [0, '0.0'], [1e-5, '1e-05'], [0.0001, '0.0001'],
    [0.00012345, '0.00012345'], [0.30000000000000004, '0.30000000000000004'], [1 / 3, '0.3333333333333333'],
    [1.5e16, '1.5e+16'], [1e16, '1e+16'], [123456789012345.6, '123456789012345.6'], [1234567890123456.8, '1234567890123456.8'],
    [-2.5e-7, '-2.5e-07'], [NaN, 'nan'], [-Infinity, '-inf'],
  ])('%p -> %s', (x, s) => expect(formatPythonFloat(x)).toBe(s));
});

test('prefixMetricKeys renames as the trainer does: unprefixed keys get eval_ and move after the others', () => {
  const out = prefixMetricKeys({ dim_64_cosine_ndcg: 1, eval_loss: 2, sequential_score: 3 });
  expect(Object.entries(out)).toEqual([['eval_loss', 2], ['eval_dim_64_cosine_ndcg', 1], ['eval_sequential_score', 3]]);
});
