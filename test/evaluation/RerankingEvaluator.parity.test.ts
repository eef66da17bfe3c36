/**
 * RerankingEvaluator against sentence-transformers 6.0.1's on the same embeddings (see evaluatorParity.ts):
 * legal questions with their passage (and others of the same chunk) as positives and other passages as
 * negatives; at_k, every similarity function, truncation, samples given as a dict, samples without
 * positives or negatives left out; exact ties (dyadic vectors, a text among both the positives and the
 * negatives) deciding MRR, averaged in NDCG and grouped in MAP; a SequentialEvaluator over Matryoshka
 * dims. At most 16 documents per sample: beyond that torch's argsort orders exactly tied scores in an
 * unspecified way, and its cdist (euclidean_sim) switches to a less exact matmul form past 25.
 */
import { RerankingEvaluator, type RerankingSample } from '../../lib/evaluation/RerankingEvaluator';
import { ndcgScore } from '../../lib/evaluation/sklearnMetrics';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from '../helpers/texts';
import { camelOptions, compareCase, logParityStats, runEvaluatorCase, runReference, type CaseResult, type EvaluatorCase, type EvaluatorSpec } from './evaluatorParity';
import { newTable, TableBuilder } from './textEmbeddings';

const base = { calls: 2, epoch: 1.5, steps: 7, sequential: false };
const RERANKING_FUNCTIONS: Record<string, string> = { cos_sim: 'cosine', dot_score: 'dot', euclidean_sim: 'euclidean', manhattan_sim: 'manhattan' };

/** Samples from legal rows: 1-3 positives (the row's passage first), 2-13 negatives, at most 16 documents. */
function makeSamples(count: number, offset: number, t: TableBuilder): RerankingSample[] {
  const rows = legalRows('test');
  const passages = [...new Set(rows.map((r) => r.positive))];
  const samples: RerankingSample[] = [];
  for (let q = 0; q < count; q++) {
    const row = rows[offset + q];
    const positive = [row.positive];
    while (positive.length < 1 + (q % 3)) {
      const p = passages[Math.floor(t.rand() * passages.length)];
      if (!positive.includes(p)) positive.push(p);
    }
    const negative: string[] = [];
    while (negative.length < 2 + (q * 7) % 12) {
      const p = passages[Math.floor(t.rand() * passages.length)];
      if (!positive.includes(p) && !negative.includes(p)) negative.push(p);
    }
    samples.push({ query: row.anchor, positive, negative });
  }
  return samples;
}

function buildCases(): EvaluatorCase[] {
  const t = newTable(32, 404);
  const samples = makeSamples(40, 0, t);
  samples.forEach((s) => [...s.positive, ...s.negative].forEach((p) => t.add(p, () => t.random(0.3 * (0.6 + 0.8 * t.rand())))));
  // Queries near one of their positives, noisy enough that the first hit is often not a positive.
  samples.forEach((s, q) => t.add(s.query, () => t.near(t.get(s.positive[q % s.positive.length]), 1, 1.0)));
  // Left out by both: a sample without negatives and one without positives.
  const withEmpty = [...samples, { ...samples[0], negative: [] }, { ...samples[1], positive: [] }];
  const spec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'reranking', kwargs: { samples: withEmpty, ...kwargs } });

  const d = newTable(32, 41);
  const tieSamples = makeSamples(40, 200, d).map((s, q) => (q % 3 === 0 ? { ...s, negative: [...s.negative, s.positive[0]] } : s));
  tieSamples.forEach((s) => [s.query, ...s.positive, ...s.negative].forEach((x) => d.add(x, () => d.dyadic())));
  const tieSpec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'reranking', kwargs: { samples: tieSamples, ...kwargs } });

  return [
    {
      label: 'legal samples: defaults, at_k, every similarity function, truncation, empty samples left out',
      ...t.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        spec({}),
        spec({ name: 'at3', at_k: 3 }),
        spec({ name: 'dot16', similarity_fct: 'dot_score', truncate_dim: 16, batch_size: 7 }),
        spec({ name: 'euclidean', similarity_fct: 'euclidean_sim', at_k: 5 }),
        spec({ name: 'manhattan', similarity_fct: 'manhattan_sim', truncate_dim: 8 }),
        spec({ name: 'unbatched', use_batched_encoding: false, at_k: 1 }),
      ],
    },
    {
      label: "samples given as a dict; the model's dot similarity does not change ST's cos_sim default",
      ...t.table(), ...base, similarity_fn_name: 'dot',
      evaluators: [{ type: 'reranking', kwargs: { samples: Object.fromEntries(samples.slice(0, 20).map((s, i) => [`q${i}`, s])), name: 'dict' } }],
    },
    {
      label: 'exact ties: MRR by document order, NDCG averaged over ties, MAP with tied scores grouped',
      ...d.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        tieSpec({ at_k: 3 }),
        tieSpec({ name: 'dot', similarity_fct: 'dot_score', at_k: 2 }),
        tieSpec({ name: 'half', truncate_dim: 16, similarity_fct: 'manhattan_sim' }),
        tieSpec({ name: 'euclidean', similarity_fct: 'euclidean_sim', at_k: 4 }),
      ],
    },
    {
      label: 'SequentialEvaluator over Matryoshka dims',
      ...t.table(), ...base, similarity_fn_name: 'cosine', sequential: true,
      evaluators: [32, 16, 8].map((dim) => spec({ name: `dim_${dim}`, truncate_dim: dim, at_k: 5 })),
    },
  ];
}

function build(s: EvaluatorSpec): RerankingEvaluator {
  const options = camelOptions(s.kwargs);
  if (options.similarityFct !== undefined) options.similarityFct = RERANKING_FUNCTIONS[options.similarityFct as string];
  return new RerankingEvaluator(options as never);
}

describeIf(missing({ python: true, sharedData: true }), 'RerankingEvaluator parity with sentence-transformers 6.0.1', () => {
  const cases = buildCases();
  let reference: CaseResult[] = [];
  beforeAll(() => {
    reference = runReference(cases, 'reranking_parity_cases.json');
  });
  afterAll(() => logParityStats('RerankingEvaluator'));

  test('the cases exercise what they claim', () => {
    for (const c of cases) {
      for (const e of c.evaluators) {
        const raw = e.kwargs.samples as RerankingSample[] | Record<string, RerankingSample>;
        for (const s of Object.values(raw)) expect(s.positive.length + s.negative.length).toBeLessThanOrEqual(16);
      }
    }
    const m = reference[0].calls[0].evaluators[0].metrics!;
    expect(m['mrr@10']).toBeGreaterThan(0.3);
    expect(m['mrr@10']).toBeLessThan(0.9);
    // In the tie case, several samples have a positive and a negative tied at the top score.
    const c = cases[2];
    const vec = new Map(c.texts.map((x, i) => [x, c.vectors[i]]));
    const dot = (a: string, b: string) => vec.get(a)!.reduce((acc, v, k) => acc + v * vec.get(b)![k], 0);
    const tiedAtTop = (c.evaluators[0].kwargs.samples as RerankingSample[]).filter((s) => {
      const top = Math.max(...[...s.positive, ...s.negative].map((x) => dot(s.query, x)));
      return s.positive.some((x) => dot(s.query, x) === top) && s.negative.some((x) => dot(s.query, x) === top);
    }).length;
    expect(tiedAtTop).toBeGreaterThanOrEqual(3);
  });

  test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
    const c = cases[i as number];
    compareCase(await runEvaluatorCase(c, build), reference[i as number], c);
  });
});

describe('RerankingEvaluator input checks', () => {
  const ok = { query: 'q', positive: ['p'], negative: ['n'] };
  test.each([
    [{ samples: [{ ...ok, negative: [] }, { ...ok, positive: [] }] }, /no sample has both a positive and a negative \(2 samples given\)/],
    [{ samples: [] }, /no sample has both a positive and a negative \(0 samples given\)/],
    [{ samples: [ok, { ...ok, positive: 'p' }] }, /samples\[1\]\.positive must be a list of strings, got string/],
    [{ samples: { a: ok, b: { ...ok, query: 3 } } }, /samples\["b"\]\.query must be a string, got 3/],
    [{ samples: [ok], atK: 0 }, /atK must be a positive integer, got 0/],
    [{ samples: [ok], similarityFct: 'cos_sim' }, /similarityFct: unknown similarity function "cos_sim"/],
  ])('%#: %p', (options, message) => {
    expect(() => new RerankingEvaluator(options as never)).toThrow(message);
  });

  test('NDCG averages the gain over tied scores (sklearn: ndcg_score([[1, 0, 0]], [[0.5, 0.5, 0.1]], k=1) = 0.5)', () => {
    expect(ndcgScore([1, 0, 0], [0.5, 0.5, 0.1], 1)).toBeCloseTo(0.5, 15);
  });
});
