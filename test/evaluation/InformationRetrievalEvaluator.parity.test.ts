/**
 * Parity with sentence-transformers 6.0.1: the same stored embeddings go through ST's real
 * InformationRetrievalEvaluator / SequentialEvaluator (scripts/reference/ir_reference.py) and through
 * ours; every metric key (in order), every value (within 1e-6), the primary metrics and the CSV files
 * must agree. Random embeddings keep their scores at least 1e-4 (relative) apart so that float32 rounding
 * cannot reorder them. Exact ties are tested with "dyadic" embeddings (entries 0 or +-1, a power-of-two
 * number of non-zeros at every truncation), whose cosine and dot scores are exact in any summation order:
 * torch's matmul does not give bit-identical scores even to identical rows, so ties between ordinary
 * float vectors are not reproducible, in sentence-transformers or here.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SimilarityFunction } from '../../lib/binding/AddonTypes';
import { InformationRetrievalEvaluator, type InformationRetrievalEvaluatorOptions } from '../../lib/evaluation/InformationRetrievalEvaluator';
import type { DocId } from '../../lib/evaluation/irMetrics';
import type { SearchFn } from '../../lib/evaluation/exactTopK';
import { SequentialEvaluator } from '../../lib/evaluation/SequentialEvaluator';
import { cacheDir, describeIf, missing, runPython, tmpDir } from '../helpers/requirements';
import { bruteForceSearch, gaussian, scoreRow, seededRandom, StoredEmbeddingModel } from './storedEmbeddings';

const TOL = 1e-6;

interface EvaluatorSpec {
  name?: string;
  truncate_dim?: number;
  score_functions?: SimilarityFunction[];
  main_score_function?: SimilarityFunction;
  corpus_chunk_size?: number;
  accuracy_at_k?: number[];
  precision_recall_at_k?: number[];
  mrr_at_k?: number[];
  ndcg_at_k?: number[];
  map_at_k?: number[];
}

interface Case {
  label: string;
  query_ids: DocId[];
  query_emb: number[][];
  corpus_ids: DocId[];
  corpus_emb: number[][];
  relevant_docs: [DocId, DocId[]][];
  similarity_fn_name: SimilarityFunction;
  evaluators: EvaluatorSpec[];
  sequential: boolean;
  calls: number;
  epoch: number;
  steps: number;
}

interface CallResult {
  evaluators: { metrics: Record<string, number> | null; primary_metric: string | null }[];
  sequential: { metrics: Record<string, number>; primary_metric: string | null } | null;
}
interface CaseResult {
  calls: CallResult[];
  csv: Record<string, string>;
}

interface DataSpec {
  seed: number;
  dim: number;
  numQueries: number;
  numCorpus: number;
  intIds: boolean;
  checkDims: number[];
}

type Data = Pick<Case, 'query_ids' | 'query_emb' | 'corpus_ids' | 'corpus_emb' | 'relevant_docs'>;

/** Distinct random ids whose string order differs from their numeric order. */
function makeIds(rand: () => number, count: number): number[] {
  const pool = new Set<number>();
  while (pool.size < count) pool.add(Math.floor(rand() * 5000));
  return [...pool];
}

/**
 * relevant_docs in the shapes that matter: several relevant ids, an id absent from the corpus, empty
 * lists, and queries absent altogether.
 */
function relevantEntry(q: number, qid: DocId, relIds: DocId[], intIds: boolean, out: [DocId, DocId[]][]): void {
  const ids = q % 6 === 5 ? [] : [...relIds];
  if (q % 9 === 1) ids.push(intIds ? 99999 : 'not-in-corpus');
  if (q % 12 === 5) return;
  out.push([qid, ids]);
}

/**
 * Vectors with entries in {-1, 0, 1}: 4 non-zeros in the first half and 12 in the second (norm 2 truncated
 * to half the dims, 4 in full), so normalized entries are powers of two and every score is exact.
 */
function makeDyadicData(seed: number, dim: number, numQueries: number, numCorpus: number): Data {
  const rand = seededRandom(seed);
  const half = dim / 2;
  const vector = (): number[] => {
    const v = new Array<number>(dim).fill(0);
    const place = (from: number, to: number, count: number) => {
      let placed = 0;
      while (placed < count) {
        const i = from + Math.floor(rand() * (to - from));
        if (v[i] === 0) {
          v[i] = rand() < 0.5 ? -1 : 1;
          placed++;
        }
      }
    };
    place(0, half, 4);
    place(half, dim, 12);
    return v;
  };
  const ids = makeIds(rand, numCorpus + numQueries);
  const corpusEmb = Array.from({ length: numCorpus }, vector);
  const corpusIds = ids.slice(0, numCorpus);
  const flat = new Float64Array(corpusEmb.flat());
  const queryIds: DocId[] = [];
  const queryEmb: number[][] = [];
  const relevant: [DocId, DocId[]][] = [];
  for (let q = 0; q < numQueries; q++) {
    const qid = ids[numCorpus + q];
    const v = vector();
    queryIds.push(qid);
    queryEmb.push(v);
    // Relevant: 1-4 documents drawn from the 8 best scoring, so that they sit among ties near the top.
    const s = scoreRow(v, flat, dim, 'cosine');
    const best = s.map((_, i) => i).sort((a, b) => s[b] - s[a]).slice(0, 8);
    const rel = new Set<DocId>();
    while (rel.size < 1 + (q % 4)) rel.add(corpusIds[best[Math.floor(rand() * best.length)]]);
    relevantEntry(q, qid, [...rel], true, relevant);
  }
  return { query_ids: queryIds, query_emb: queryEmb, corpus_ids: corpusIds, corpus_emb: corpusEmb, relevant_docs: relevant };
}

/** Seeded random embeddings; each query lies near its relevant documents, with well-separated scores. */
function makeData(spec: DataSpec): Data {
  const rand = seededRandom(spec.seed);
  const { dim } = spec;
  const corpusEmb = Array.from({ length: spec.numCorpus }, () => {
    const scale = 0.5 + 1.5 * rand();
    return Array.from({ length: dim }, () => Math.fround(gaussian(rand) * scale));
  });
  const ids = makeIds(rand, spec.numCorpus + spec.numQueries);
  const corpusIds: DocId[] = ids.slice(0, spec.numCorpus).map((n) => (spec.intIds ? n : `doc-${n}`));
  const queryIds: DocId[] = [];
  const queryEmb: number[][] = [];
  const relevant: [DocId, DocId[]][] = [];
  for (let q = 0; q < spec.numQueries; q++) {
    const n = ids[spec.numCorpus + q];
    const qid = spec.intIds ? n : `query-${n}`;
    queryIds.push(qid);
    const rel: number[] = [];
    while (rel.length < 1 + (q % 4)) {
      const c = Math.floor(rand() * spec.numCorpus);
      if (!rel.includes(c)) rel.push(c);
    }
    let vec: number[];
    for (let attempt = 0; ; attempt++) {
      if (attempt > 5000) throw new Error(`makeData: no well-separated query ${q} for seed ${spec.seed}`);
      const noise = 0.8 + rand();
      vec = Array.from({ length: dim }, (_, d) => Math.fround(rel.reduce((acc, c) => acc + corpusEmb[c][d], 0) * 0.5 + noise * gaussian(rand)));
      if (wellSeparated(vec, corpusEmb, spec.checkDims)) break;
    }
    queryEmb.push(vec);
    relevantEntry(q, qid, rel.map((c) => corpusIds[c]), spec.intIds, relevant);
  }
  return { query_ids: queryIds, query_emb: queryEmb, corpus_ids: corpusIds, corpus_emb: corpusEmb, relevant_docs: relevant };
}

/** True when, at every checked dim and for both score functions, the query's scores are >= 1e-4 (relative) apart. */
function wellSeparated(q: number[], distinct: number[][], dims: number[]): boolean {
  for (const dim of dims) {
    const corpus = new Float64Array(distinct.length * dim);
    distinct.forEach((v, i) => corpus.set(v.slice(0, dim), i * dim));
    for (const fn of ['cosine', 'dot'] as const) {
      const s = scoreRow(q.slice(0, dim), corpus, dim, fn).sort((a, b) => a - b);
      for (let i = 1; i < s.length; i++) if (s[i] - s[i - 1] < 1e-4 * Math.max(1, Math.abs(s[i]))) return false;
    }
  }
  return true;
}

function buildCases(): Case[] {
  const base = { calls: 2, epoch: 1.5, steps: 7, sequential: false };
  const stringData = makeData({ seed: 11, dim: 32, numQueries: 30, numCorpus: 60, intIds: false, checkDims: [32, 16, 8] });
  const tieData = makeDyadicData(23, 32, 24, 40);
  const matryoshkaData = makeData({ seed: 5, dim: 48, numQueries: 36, numCorpus: 50, intIds: true, checkDims: [48, 24, 12] });
  return [
    {
      label: 'string ids: defaults, both score functions, custom k lists, chunking, truncation, main score function',
      ...stringData, ...base, similarity_fn_name: 'cosine',
      evaluators: [
        {},
        { name: 'both', score_functions: ['dot', 'cosine'], corpus_chunk_size: 17, accuracy_at_k: [1, 2], precision_recall_at_k: [1, 4, 7], mrr_at_k: [5, 3], ndcg_at_k: [3, 20], map_at_k: [10, 25] },
        { name: 'dim_16', truncate_dim: 16, score_functions: ['cosine'], corpus_chunk_size: 7 },
        { name: 'main_dot', truncate_dim: 8, score_functions: ['cosine', 'dot'], main_score_function: 'dot' },
      ],
    },
    {
      label: "the model's similarity function (dot) as the default score function",
      ...stringData, ...base, similarity_fn_name: 'dot',
      evaluators: [{ name: 'model_dot' }, { truncate_dim: 16, corpus_chunk_size: 13, ndcg_at_k: [5] }],
    },
    {
      label: 'integer ids, exact score ties everywhere: the top-k cut and the ranking resolved by numeric id, for any chunk size',
      ...tieData, ...base, similarity_fn_name: 'cosine',
      evaluators: [
        { name: 'whole', score_functions: ['cosine', 'dot'], accuracy_at_k: [1, 2], precision_recall_at_k: [1, 3], mrr_at_k: [3], ndcg_at_k: [3], map_at_k: [3] },
        { name: 'chunked', score_functions: ['cosine', 'dot'], corpus_chunk_size: 7, accuracy_at_k: [1, 2], precision_recall_at_k: [1, 3], mrr_at_k: [3], ndcg_at_k: [3], map_at_k: [3] },
        { name: 'dim_16', truncate_dim: 16, corpus_chunk_size: 9, accuracy_at_k: [1], precision_recall_at_k: [2], mrr_at_k: [2], ndcg_at_k: [2, 6], map_at_k: [5] },
        { name: 'defaults_chunked', score_functions: ['dot'], corpus_chunk_size: 6 },
      ],
    },
    {
      label: 'SequentialEvaluator over Matryoshka dims, as the tutorials build it',
      ...matryoshkaData, ...base, similarity_fn_name: 'cosine', sequential: true,
      evaluators: [48, 24, 12].map((d) => ({ name: `dim_${d}`, truncate_dim: d, score_functions: ['cosine'] as SimilarityFunction[] })),
    },
  ];
}

function toOptions(c: Case, spec: EvaluatorSpec, search: SearchFn | undefined): InformationRetrievalEvaluatorOptions {
  const stringIds = typeof c.corpus_ids[0] === 'string';
  // String-keyed data goes in as plain objects (the common case), integer ids as Maps.
  const queries = new Map<DocId, string>(c.query_ids.map((id, i) => [id, `q${i}`]));
  const corpus = new Map<DocId, string>(c.corpus_ids.map((id, i) => [id, `d${i}`]));
  const relevantDocs = new Map<DocId, DocId[]>(c.relevant_docs);
  return {
    queries: stringIds ? Object.fromEntries(queries) : queries,
    corpus: stringIds ? Object.fromEntries(corpus) : corpus,
    relevantDocs: stringIds ? Object.fromEntries(relevantDocs) : relevantDocs,
    name: spec.name,
    truncateDim: spec.truncate_dim,
    scoreFunctions: spec.score_functions,
    mainScoreFunction: spec.main_score_function,
    corpusChunkSize: spec.corpus_chunk_size,
    accuracyAtK: spec.accuracy_at_k,
    precisionRecallAtK: spec.precision_recall_at_k,
    mrrAtK: spec.mrr_at_k,
    ndcgAtK: spec.ndcg_at_k,
    mapAtK: spec.map_at_k,
    search,
  };
}

async function runOurs(c: Case, search: SearchFn | undefined): Promise<CaseResult> {
  const model = new StoredEmbeddingModel(c.query_emb, c.corpus_emb, c.similarity_fn_name);
  const evaluators = c.evaluators.map((spec) => new InformationRetrievalEvaluator(toOptions(c, spec, search)));
  const sequential = c.sequential ? new SequentialEvaluator(evaluators) : null;
  const outputPath = tmpDir('ir-parity');
  const context = { outputPath, epoch: c.epoch, steps: c.steps };
  const calls: CallResult[] = [];
  for (let i = 0; i < c.calls; i++) {
    if (sequential) {
      const metrics = await sequential.evaluate(model, context);
      calls.push({ evaluators: evaluators.map((e) => ({ metrics: null, primary_metric: e.primaryMetric })), sequential: { metrics, primary_metric: sequential.primaryMetric } });
    } else {
      const per = [];
      for (const e of evaluators) per.push({ metrics: await e.evaluate(model, context), primary_metric: e.primaryMetric });
      calls.push({ evaluators: per, sequential: null });
    }
  }
  const csv: Record<string, string> = {};
  for (const f of fs.readdirSync(outputPath).sort()) csv[f] = fs.readFileSync(path.join(outputPath, f), 'utf8');
  fs.rmSync(outputPath, { recursive: true, force: true });
  return { calls, csv };
}

/** Per search backend: how many metric values were compared and the largest |difference|. */
const stats = new Map<string, { count: number; maxAbsDiff: number }>();

function expectMetricsEqual(ours: Record<string, number>, ref: Record<string, number>, where: string, backend: string): void {
  const st = stats.get(backend) ?? { count: 0, maxAbsDiff: 0 };
  stats.set(backend, st);
  expect({ where, keys: Object.keys(ours) }).toEqual({ where, keys: Object.keys(ref) });
  for (const key of Object.keys(ref)) {
    const diff = Math.abs(ours[key] - ref[key]);
    st.maxAbsDiff = Math.max(st.maxAbsDiff, diff);
    st.count++;
    if (!(diff <= TOL)) throw new Error(`${where}: ${key} = ${ours[key]}, sentence-transformers ${ref[key]} (|diff| ${diff})`);
  }
}

function expectCsvEqual(ours: Record<string, string>, ref: Record<string, string>, where: string): void {
  expect(Object.keys(ours)).toEqual(Object.keys(ref));
  for (const file of Object.keys(ref)) {
    const a = ours[file].split('\n');
    const b = ref[file].split('\n');
    expect(a.length).toBe(b.length);
    expect(a[0]).toBe(b[0]); // header
    for (let i = 1; i < b.length; i++) {
      const fa = a[i].split(',');
      const fb = b[i].split(',');
      expect(fa.length).toBe(fb.length);
      expect(fa.slice(0, 2)).toEqual(fb.slice(0, 2)); // epoch, steps as Python writes them
      fb.slice(2).forEach((v, j) => {
        const diff = Math.abs(Number(fa[j + 2]) - Number(v));
        if (!(diff <= TOL)) throw new Error(`${where}: ${file} line ${i} field ${j + 2}: ${fa[j + 2]} vs ${v}`);
      });
    }
  }
}

function compareCase(ours: CaseResult, ref: CaseResult, c: Case, backend: string): void {
  expect(ours.calls.length).toBe(ref.calls.length);
  ours.calls.forEach((call, i) => {
    const r = ref.calls[i];
    expect(call.evaluators.map((e) => e.primary_metric)).toEqual(r.evaluators.map((e) => e.primary_metric));
    call.evaluators.forEach((e, j) => {
      if (r.evaluators[j].metrics) expectMetricsEqual(e.metrics!, r.evaluators[j].metrics!, `${c.label}, call ${i}, evaluator ${j}`, backend);
    });
    if (r.sequential) {
      expect(call.sequential!.primary_metric).toBe(r.sequential.primary_metric);
      expectMetricsEqual(call.sequential!.metrics, r.sequential.metrics, `${c.label}, call ${i}, sequential`, backend);
    }
  });
  expectCsvEqual(ours.csv, ref.csv, c.label);
}

const cases = buildCases();
let reference: CaseResult[] = [];

describeIf(missing({ python: true }), 'InformationRetrievalEvaluator parity with sentence-transformers 6.0.1', () => {
  beforeAll(() => {
    fs.mkdirSync(cacheDir, { recursive: true });
    const file = path.join(cacheDir, 'ir_parity_cases.json');
    fs.writeFileSync(file, JSON.stringify(cases));
    reference = JSON.parse(runPython('ir_reference.py', ['--cases', file]));
  });

  afterAll(() => {
    for (const [backend, st] of stats) {
      process.stderr.write(`IR parity (${backend}): ${st.count} metric values compared, max |diff| vs sentence-transformers = ${st.maxAbsDiff}\n`);
    }
  });

  test('the cases exercise what they claim', () => {
    // Exact ties: many documents share a query's score, around the top-3 cut too.
    const tie = cases[2];
    const flat = new Float64Array(tie.corpus_emb.flat());
    const tiedAtCut = tie.query_emb.filter((q) => {
      const s = scoreRow(q, flat, 32, 'cosine').sort((a, b) => b - a);
      return s[2] === s[3];
    }).length;
    expect(tiedAtCut).toBeGreaterThan(tie.query_emb.length / 4);
    expect(cases[0].relevant_docs.length).toBeLessThan(cases[0].query_ids.length); // queries without relevant docs
    expect(cases[0].relevant_docs.some(([, ids]) => ids.length === 0)).toBe(true);
    expect(cases[0].relevant_docs.some(([, ids]) => ids.length >= 3)).toBe(true);
    // The reference's results are not trivial (neither all 0 nor all 1).
    const m = reference[0].calls[0].evaluators[0].metrics!;
    expect(m['cosine_ndcg@10']).toBeGreaterThan(0.2);
    expect(m['cosine_ndcg@10']).toBeLessThan(0.95);
  });

  test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
    const c = cases[i as number];
    compareCase(await runOurs(c, bruteForceSearch), reference[i as number], c, 'brute-force search');
  });

  describeIf(missing({ addon: true }), 'through the native addon searchTopK', () => {
    test.each(cases.map((c, i) => [c.label, i]))('%s', async (_label, i) => {
      const c = cases[i as number];
      compareCase(await runOurs(c, undefined), reference[i as number], c, 'addon searchTopK');
    });
  });
});
