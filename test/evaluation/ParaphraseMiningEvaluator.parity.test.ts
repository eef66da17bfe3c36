/**
 * ParaphraseMiningEvaluator against sentence-transformers 6.0.1's on the same embeddings (see
 * evaluatorParity.ts): the sentences of STS benchmark pairs, those scoring at least 4 as duplicates;
 * top_k, corpus and query chunking (which changes the candidates), max_pairs small enough for ST's queue
 * to evict (down to 1, which keeps nothing), truncation, the transitive closure over a duplicates_list
 * and over a duplicates_dict with false and one-way entries, no duplicates at all; exact ties (dyadic
 * vectors, repeated sentences) ordered by ST's (score, i, j) tuples; a SequentialEvaluator over
 * Matryoshka dims. The top-k search is the brute-force stand-in, and the addon's when it is built.
 * Exact ties are kept away from the top-k cut: which of several equal scores torch.topk keeps is unspecified.
 */
import type { SearchFn } from '../../lib/evaluation/exactTopK';
import { ParaphraseMiningEvaluator } from '../../lib/evaluation/ParaphraseMiningEvaluator';
import { describeIf, missing } from '../helpers/requirements';
import { camelOptions, compareCase, logParityStats, runEvaluatorCase, runReference, type CaseResult, type EvaluatorCase, type EvaluatorSpec } from './evaluatorParity';
import { bruteForceSearch } from './storedEmbeddings';
import { newTable, stsPairs, TextEmbeddingModel } from './textEmbeddings';

const base = { calls: 2, epoch: 1.5, steps: 7, sequential: false };

/** ids s0, s1, ... for the distinct sentences of the pairs; duplicates: the pairs scoring >= 4. */
function miningData(pairs: { sentence1: string; sentence2: string; score: number }[]) {
  const ids = new Map<string, string>();
  const id = (s: string) => {
    if (!ids.has(s)) ids.set(s, `s${ids.size}`);
    return ids.get(s)!;
  };
  pairs.forEach((p) => [id(p.sentence1), id(p.sentence2)]);
  const duplicates = pairs.filter((p) => p.score >= 4).map((p) => [id(p.sentence1), id(p.sentence2)]);
  return { sentences_map: Object.fromEntries([...ids].map(([s, i]) => [i, s])), duplicates_list: duplicates };
}

function buildCases(): EvaluatorCase[] {
  const pairs = stsPairs('train', 110, 500);
  const t = newTable(32, 505);
  for (const p of pairs) {
    t.add(p.sentence1, () => t.random(0.8 + 0.4 * t.rand()));
    t.add(p.sentence2, () => t.near(t.get(p.sentence1), 0.2 + 0.16 * p.score, 0.9 * (0.5 + t.rand())));
  }
  const data = miningData(pairs);
  const spec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'paraphrase', kwargs: { ...data, ...kwargs } });
  const ids = Object.keys(data.sentences_map);
  // A dict with one-way and false entries: the closure follows listed entries whatever their value.
  const dict: Record<string, Record<string, boolean>> = {};
  data.duplicates_list.forEach(([a, b], k) => {
    (dict[a] ??= {})[b] = k % 4 !== 3;
    if (k % 3 === 0) (dict[b] ??= {})[a] = true;
  });
  (dict[ids[0]] ??= {})[ids[0]] = true; // a self-pair counts among the duplicates but is never mined

  // Dyadic vectors, and each of 10 sentences repeated under a second id: many exact ties, including 1.0.
  const tiePairs = stsPairs('test', 30, 700);
  const d = newTable(32, 23);
  tiePairs.forEach((p) => [p.sentence1, p.sentence2].forEach((s) => d.add(s, () => d.dyadic())));
  const tieData = miningData(tiePairs);
  const tieIds = Object.keys(tieData.sentences_map);
  tieIds.slice(0, 10).forEach((i, k) => {
    tieData.sentences_map[`${i}_again`] = tieData.sentences_map[i];
    if (k % 2 === 0) tieData.duplicates_list.push([i, `${i}_again`]);
  });
  const n = Object.keys(tieData.sentences_map).length;
  const tieSpec = (kwargs: Record<string, unknown>): EvaluatorSpec => ({ type: 'paraphrase', kwargs: { ...tieData, top_k: n, ...kwargs } });

  return [
    {
      label: 'STS sentences: defaults, top_k, chunking, max_pairs eviction, truncation, transitive closure',
      ...t.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        spec({}),
        spec({ name: 'top3', top_k: 3 }),
        spec({ name: 'chunked', top_k: 3, corpus_chunk_size: 50, query_chunk_size: 17 }),
        spec({ name: 'evicting', top_k: 10, max_pairs: 100 }),
        spec({ name: 'keeps_nothing', max_pairs: 1 }),
        spec({ name: 'dim_16', truncate_dim: 16, top_k: 8, add_transitive_closure: true, batch_size: 5 }),
      ],
    },
    {
      label: 'duplicates_dict with false, one-way and self entries, with and without closure; no duplicates at all',
      ...t.table(), ...base, similarity_fn_name: 'dot',
      evaluators: [
        { type: 'paraphrase', kwargs: { sentences_map: data.sentences_map, duplicates_dict: dict, name: 'dict', top_k: 10 } },
        { type: 'paraphrase', kwargs: { sentences_map: data.sentences_map, duplicates_dict: dict, name: 'dict_closure', add_transitive_closure: true, top_k: 10 } },
        { type: 'paraphrase', kwargs: { sentences_map: data.sentences_map, duplicates_list: [], name: 'none', top_k: 4 } },
      ],
    },
    {
      label: 'exact ties (dyadic vectors, repeated sentences) ordered by ST\'s (score, i, j) tuples',
      ...d.table(), ...base, similarity_fn_name: 'cosine',
      evaluators: [
        tieSpec({}),
        tieSpec({ name: 'chunked', corpus_chunk_size: 7, query_chunk_size: 5 }),
        tieSpec({ name: 'half', truncate_dim: 16, add_transitive_closure: true }),
      ],
    },
    {
      label: 'SequentialEvaluator over Matryoshka dims',
      ...t.table(), ...base, similarity_fn_name: 'cosine', sequential: true,
      evaluators: [32, 16, 8].map((dim) => spec({ name: `dim_${dim}`, truncate_dim: dim, top_k: 10 })),
    },
  ];
}

const builder = (search: SearchFn | undefined) => (s: EvaluatorSpec) => new ParaphraseMiningEvaluator({ ...camelOptions(s.kwargs), search } as never);

describeIf(missing({ python: true, sharedData: true }), 'ParaphraseMiningEvaluator parity with sentence-transformers 6.0.1', () => {
  const cases = buildCases();
  let reference: CaseResult[] = [];
  beforeAll(() => {
    reference = runReference(cases, 'paraphrase_parity_cases.json');
  });
  afterAll(() => logParityStats('ParaphraseMiningEvaluator'));

  test('the cases exercise what they claim', () => {
    const calls = reference[0].calls[0].evaluators;
    const m = calls[0].metrics!;
    expect(m.average_precision).toBeGreaterThan(0.2);
    expect(m.average_precision).toBeLessThan(0.95);
    // Corpus chunking (top_k per chunk) and eviction change the results.
    expect(calls[2].metrics!.chunked_average_precision).not.toBe(calls[1].metrics!.top3_average_precision);
    expect(calls[3].metrics!.evicting_average_precision).toBeLessThan(m.average_precision as number);
    expect(calls[4].metrics!.keeps_nothing_f1).toBe(0);
    // The dict's false entries count in the closure but not without it.
    const dicts = reference[1].calls[0].evaluators;
    expect(dicts[0].metrics!.dict_recall).not.toBe(dicts[1].metrics!.dict_closure_recall);
  });

  test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
    const c = cases[i as number];
    compareCase(await runEvaluatorCase(c, builder(bruteForceSearch)), reference[i as number], c);
  });

  describeIf(missing({ addon: true }), 'through the native addon searchTopK', () => {
    test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
      const c = cases[i as number];
      compareCase(await runEvaluatorCase(c, builder(undefined)), reference[i as number], c);
    });
  });
});

describe('ParaphraseMiningEvaluator input checks', () => {
  const map = { a: 'one', b: 'two', c: 'three' };
  test.each([
    [{ sentencesMap: {} }, /sentencesMap is empty/],
    [{ sentencesMap: { a: 'one', b: 2 } }, /sentencesMap\["b"\] must be a string, got 2/],
    [{ sentencesMap: map, duplicatesList: [['a', 'b', 'c']] }, /duplicatesList\[0\] must be a pair \[id1, id2\]/],
    [{ sentencesMap: map, duplicatesDict: { a: { b: 1 } } }, /duplicatesDict\["a"\]\["b"\] must be true or false, got 1/],
    [{ sentencesMap: map, topK: 0 }, /topK must be a positive integer, got 0/],
    [{ sentencesMap: map, maxPairs: 2.5 }, /maxPairs must be a positive integer, got 2.5/],
  ])('%#: %p', (options, message) => {
    expect(() => new ParaphraseMiningEvaluator(options as never)).toThrow(message);
  });

  test('a pair naming an id outside sentencesMap is ignored, as in ST; the transitive closure links a-b-c', async () => {
    const ev = new ParaphraseMiningEvaluator({ sentencesMap: map, duplicatesList: [['a', 'b'], ['b', 'c'], ['c', 'zzz']], addTransitiveClosure: true, search: bruteForceSearch });
    expect(ev.totalNumDuplicates).toBe(3);
    const t = newTable(8, 3);
    for (const s of Object.values(map)) t.add(s, () => t.random());
    const m = await ev.evaluate(new TextEmbeddingModel(t.table()));
    expect(m.recall).toBe(1);
  });
});
