/**
 * The evaluators a command or a training config asks for. A config's `evaluator:` is one spec or a list
 * of them (run in sequence, as sentence-transformers' SequentialEvaluator):
 *
 *   evaluator:
 *     - {type: ir, matryoshka_dims: [768, 256], score_functions: [cosine]}
 *     - {type: triplet, data: dev_triplets.jsonl, similarity_fn_names: [cosine, dot], margin: 0.1}
 *     - {type: similarity, data: sts-dev.csv, name: sts_dev}
 *
 * `type` is ir, triplet, similarity, binary, reranking or paraphrase (or the evaluator's class name); the
 * other keys are that evaluator's constructor arguments by sentence-transformers' names (snake_case, or
 * camelCase), plus `data` (the spec's own file, relative to the config) and `matryoshka_dims` (one
 * evaluator per dim, named dim_<d> and truncated to d). A spec without `type` is the retrieval evaluator;
 * a bare type name (`evaluator: triplet`) is that evaluator with its defaults.
 * Without its own `data`, a spec reads the config's eval_data, else the train_data test split.
 *
 * How each reads its data (records: JSON, JSONL, CSV, Parquet): triplet: anchor, positive, negative;
 * similarity: sentence1, sentence2, score; binary: sentence1, sentence2, label (1/0); reranking: query,
 * positive (list), negative (list); paraphrase: sentence1, sentence2, optional label (the pairs labelled 1,
 * or all of them, are the duplicates) or a {sentences_map, duplicates_list | duplicates_dict} JSON file;
 * ir: a {queries, corpus, relevant_docs} JSON file or anchor/positive rows. Columns are taken by those
 * names when all are present, else by position, as sentence-transformers datasets are read.
 */
import * as fs from 'fs';
import * as path from 'path';
import { z } from 'zod';
import { Dataset } from '../data/Dataset';
import { BinaryClassificationEvaluator } from '../evaluation/BinaryClassificationEvaluator';
import { EmbeddingSimilarityEvaluator } from '../evaluation/EmbeddingSimilarityEvaluator';
import { InformationRetrievalEvaluator, type EvaluatorSettings } from '../evaluation/InformationRetrievalEvaluator';
import { irDataFromPairs, type PairsOptions } from '../evaluation/irDatasets';
import { ParaphraseMiningEvaluator } from '../evaluation/ParaphraseMiningEvaluator';
import { RerankingEvaluator } from '../evaluation/RerankingEvaluator';
import type { SentenceEvaluator } from '../evaluation/SentenceEvaluator';
import { SequentialEvaluator } from '../evaluation/SequentialEvaluator';
import { TripletEvaluator } from '../evaluation/TripletEvaluator';

export const EVALUATOR_TYPES = ['ir', 'triplet', 'similarity', 'binary', 'reranking', 'paraphrase'] as const;
export type EvaluatorType = (typeof EVALUATOR_TYPES)[number];

const ALIASES: Record<string, EvaluatorType> = {
  information_retrieval: 'ir', InformationRetrievalEvaluator: 'ir', TripletEvaluator: 'triplet',
  embedding_similarity: 'similarity', EmbeddingSimilarityEvaluator: 'similarity',
  binary_classification: 'binary', BinaryClassificationEvaluator: 'binary', RerankingEvaluator: 'reranking',
  paraphrase_mining: 'paraphrase', ParaphraseMiningEvaluator: 'paraphrase',
};

const posInt = z.number().int().positive();
const kList = z.array(posInt).min(1);
const pairSimilarity = z.enum(['cosine', 'dot', 'euclidean', 'manhattan']);
const common = {
  data: z.string().optional(),
  name: z.string().optional(),
  truncate_dim: posInt.optional(),
  batch_size: posInt.optional(),
  show_progress_bar: z.boolean().optional(),
  write_csv: z.boolean().optional(),
  matryoshka_dims: kList.optional(),
};
const SPEC_SCHEMAS = {
  ir: z.object({
    ...common, score_functions: z.array(z.enum(['cosine', 'dot'])).min(1).optional(), main_score_function: z.enum(['cosine', 'dot']).optional(),
    corpus_chunk_size: posInt.optional(), accuracy_at_k: kList.optional(), precision_recall_at_k: kList.optional(),
    mrr_at_k: kList.optional(), ndcg_at_k: kList.optional(), map_at_k: kList.optional(),
  }).strict(),
  triplet: z.object({
    ...common, similarity_fn_names: z.array(pairSimilarity).min(1).optional(), main_similarity_function: pairSimilarity.optional(),
    margin: z.union([z.number(), z.partialRecord(pairSimilarity, z.number())]).optional(),
  }).strict(),
  similarity: z.object({ ...common, similarity_fn_names: z.array(pairSimilarity).min(1).optional(), main_similarity: pairSimilarity.optional() }).strict(),
  binary: z.object({ ...common, similarity_fn_names: z.array(pairSimilarity).min(1).optional() }).strict(),
  reranking: z.object({
    ...common, at_k: posInt.optional(), use_batched_encoding: z.boolean().optional(),
    // ST takes a function: its util names are accepted besides the similarity names.
    similarity_fct: z.enum(['cosine', 'dot', 'euclidean', 'manhattan', 'cos_sim', 'dot_score', 'euclidean_sim', 'manhattan_sim']).optional(),
  }).strict(),
  paraphrase: z.object({
    ...common, add_transitive_closure: z.boolean().optional(), query_chunk_size: posInt.optional(),
    corpus_chunk_size: posInt.optional(), max_pairs: posInt.optional(), top_k: posInt.optional(),
  }).strict(),
};

type SpecOptions = { [T in EvaluatorType]: z.infer<(typeof SPEC_SCHEMAS)[T]> };
/** One evaluator as a config names it: its type and its checked, snake_case options. */
export type EvaluatorSpec = { [T in EvaluatorType]: { type: T; options: SpecOptions[T] } }[EvaluatorType];
/** A config's `evaluator:`: one spec, or a list run in sequence. */
export interface EvaluatorConfig {
  sequential: boolean;
  specs: EvaluatorSpec[];
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The zod schema of a config's `evaluator:` field; its errors carry the path of the offending key. */
export const evaluatorConfigSchema = z.unknown().transform((input, ctx): EvaluatorConfig => {
  // A config is validated again after command-line overrides: its parsed form reads as its source.
  const raw = isParsedConfig(input) ? (input.sequential ? input.specs.map(specSource) : specSource(input.specs[0])) : input;
  const sequential = Array.isArray(raw);
  const items: unknown[] = sequential ? raw : [raw];
  if (items.length === 0) ctx.addIssue({ code: 'custom', message: 'an empty list: name at least one evaluator' });
  const specs: EvaluatorSpec[] = [];
  items.forEach((entry, i) => {
    const at = sequential ? [i] : [];
    // A bare type name stands for that evaluator with its defaults: `evaluator: triplet`.
    const item = typeof entry === 'string' ? { type: entry } : entry;
    if (item === null || typeof item !== 'object' || Array.isArray(item)) {
      ctx.addIssue({ code: 'custom', path: at, message: `expected an evaluator spec such as {type: triplet, ...}, got ${JSON.stringify(item)}` });
      return;
    }
    const options = Object.fromEntries(Object.entries(item).map(([k, v]) => [snake(k), v])) as Record<string, unknown>;
    const rawType = options.type ?? 'ir';
    delete options.type;
    const type = EVALUATOR_TYPES.includes(rawType as EvaluatorType) ? (rawType as EvaluatorType) : ALIASES[String(rawType)];
    if (type === undefined) {
      ctx.addIssue({ code: 'custom', path: [...at, 'type'], message: `unknown evaluator type ${JSON.stringify(rawType)}; expected one of ${EVALUATOR_TYPES.join(', ')}` });
      return;
    }
    const parsed = SPEC_SCHEMAS[type].safeParse(options);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', path: [...at, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))], message: `${type} evaluator: ${issue.message}` });
      return;
    }
    specs.push({ type, options: parsed.data } as EvaluatorSpec);
  });
  return { sequential, specs };
});

function isParsedConfig(v: unknown): v is EvaluatorConfig {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const c = v as Record<string, unknown>;
  return Object.keys(c).length === 2 && typeof c.sequential === 'boolean' && Array.isArray(c.specs)
    && c.specs.length > 0 && c.specs.every((s) => s !== null && typeof s === 'object' && 'type' in s && 'options' in s);
}

const specSource = (spec: EvaluatorSpec): Record<string, unknown> => ({ type: spec.type, ...spec.options });

/** Parses an `evaluator:` value outside a config file (the evaluate command); `where` prefixes errors. */
export function parseEvaluatorConfig(raw: unknown, where: string): EvaluatorConfig {
  const r = evaluatorConfigSchema.safeParse(raw);
  if (!r.success) throw new Error(`${where}: ${r.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** Where specs without their own `data` find theirs. */
export interface EvaluationData {
  /** A file: eval_data, or the evaluate command's --data. */
  file?: string;
  /** The train_data test split; for retrieval its queries search the positives of train and test. */
  split?: { test: Dataset; train: Dataset };
  /** Retrieval: which columns are anchor, positive and id. */
  pairs?: PairsOptions;
  /** Resolves a spec's own `data` path (the config's folder). */
  baseDir?: string;
  /** Encode batch size when a spec gives none (the trainer's per_device_eval_batch_size). */
  batchSize?: number;
}

/**
 * The evaluator a config asks for: its one spec, or a SequentialEvaluator over its list. Without a
 * config, the retrieval evaluator when there is evaluation data, else none.
 */
export async function evaluatorFromConfig(config: EvaluatorConfig | undefined, data: EvaluationData): Promise<SentenceEvaluator | undefined> {
  if (!config) return data.file !== undefined || data.split ? buildSpec({ type: 'ir', options: {} }, data) : undefined;
  const evaluators: SentenceEvaluator[] = [];
  for (const spec of config.specs) evaluators.push(await buildSpec(spec, data));
  return config.sequential ? new SequentialEvaluator(evaluators) : evaluators[0];
}

/** ST's common constructor arguments under our names. */
function commonSettings(o: SpecOptions[EvaluatorType], data: EvaluationData) {
  const out: Record<string, unknown> = {};
  if (o.batch_size ?? data.batchSize) out.batchSize = o.batch_size ?? data.batchSize;
  if (o.show_progress_bar !== undefined) out.showProgressBar = o.show_progress_bar;
  if (o.write_csv !== undefined) out.writeCsv = o.write_csv;
  return out;
}

/** One evaluator, or one per Matryoshka dim (named dim_<d>, after the spec's name if any) run in sequence. */
function perDim(o: SpecOptions[EvaluatorType], make: (name: string, truncateDim: number | undefined) => SentenceEvaluator): SentenceEvaluator {
  if (!o.matryoshka_dims) return make(o.name ?? '', o.truncate_dim);
  return new SequentialEvaluator(o.matryoshka_dims.map((d) => make(`${o.name ? `${o.name}_` : ''}dim_${d}`, d)));
}

async function buildSpec(spec: EvaluatorSpec, data: EvaluationData): Promise<SentenceEvaluator> {
  const file = spec.options.data !== undefined ? path.resolve(data.baseDir ?? '.', spec.options.data) : data.file;
  if (file === undefined && !data.split) {
    throw new Error(`the ${spec.type} evaluator has no data: give it a data file, or set eval_data or a train_data test_size`);
  }
  if (file !== undefined && !fs.existsSync(file)) throw new Error(`evaluation data ${file} does not exist`);
  const base = commonSettings(spec.options, data);

  if (spec.type === 'ir') {
    const o = spec.options;
    const settings: EvaluatorSettings = {
      ...base, scoreFunctions: o.score_functions, mainScoreFunction: o.main_score_function, corpusChunkSize: o.corpus_chunk_size,
      accuracyAtK: o.accuracy_at_k, precisionRecallAtK: o.precision_recall_at_k, mrrAtK: o.mrr_at_k, ndcgAtK: o.ndcg_at_k, mapAtK: o.map_at_k,
    };
    const pairs = data.pairs ?? {};
    if (file !== undefined && isQueriesCorpusFile(file)) {
      return perDim(o, (name, truncateDim) => InformationRetrievalEvaluator.fromQueriesCorpusFile(file, { ...settings, name, truncateDim }));
    }
    const evalSet = file !== undefined ? await Dataset.load(file) : data.split!.test;
    const corpusSet = file !== undefined ? undefined : data.split!.train;
    // Built once for every dimension; errors name the file, row and line each row came from.
    const irData = irDataFromPairs(datasetRows(evalSet), {
      ...pairs, corpusRows: corpusSet && datasetRows(corpusSet),
      describeEvalRow: (i) => evalSet.describeRow(i), describeCorpusRow: corpusSet && ((i) => corpusSet.describeRow(i)),
    });
    return perDim(o, (name, truncateDim) => new InformationRetrievalEvaluator({ ...irData, ...settings, name, truncateDim }));
  }

  if (spec.type === 'paraphrase' && file !== undefined && isParaphraseMapFile(file)) {
    const o = spec.options;
    const { sentencesMap, duplicatesList, duplicatesDict } = readParaphraseMapFile(file);
    try {
      return perDim(o, (name, truncateDim) => new ParaphraseMiningEvaluator({
        ...base, sentencesMap, duplicatesList, duplicatesDict, name, truncateDim, addTransitiveClosure: o.add_transitive_closure,
        queryChunkSize: o.query_chunk_size, corpusChunkSize: o.corpus_chunk_size, maxPairs: o.max_pairs, topK: o.top_k,
      }));
    } catch (e) {
      throw new Error(`${file}: ${(e as Error).message}`);
    }
  }

  const ds = file !== undefined ? await Dataset.load(file) : data.split!.test;
  switch (spec.type) {
    case 'triplet': {
      const o = spec.options;
      const [anchors, positives, negatives] = textColumns(ds, ['anchor', 'positive', 'negative'], 'triplet');
      return perDim(o, (name, truncateDim) => new TripletEvaluator({
        ...base, anchors, positives, negatives, name, truncateDim, similarityFnNames: o.similarity_fn_names,
        mainSimilarityFunction: o.main_similarity_function, margin: o.margin,
      }));
    }
    case 'similarity': {
      const o = spec.options;
      const [c1, c2, c3] = pickColumns(ds, ['sentence1', 'sentence2', 'score'], 'similarity');
      const sentences1 = texts(ds, c1);
      const sentences2 = texts(ds, c2);
      const scores = ds.column(c3).map((v, i) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${ds.describeRow(i)}, column '${c3}': the score must be a number, got ${JSON.stringify(v)}`);
        return v;
      });
      return perDim(o, (name, truncateDim) => new EmbeddingSimilarityEvaluator({
        ...base, sentences1, sentences2, scores, name, truncateDim, similarityFnNames: o.similarity_fn_names, mainSimilarity: o.main_similarity,
      }));
    }
    case 'binary': {
      const o = spec.options;
      const [c1, c2, c3] = pickColumns(ds, ['sentence1', 'sentence2', 'label'], 'binary');
      const sentences1 = texts(ds, c1);
      const sentences2 = texts(ds, c2);
      const labels = ds.column(c3).map((v, i) => binaryLabel(v, ds, i, c3));
      return perDim(o, (name, truncateDim) => new BinaryClassificationEvaluator({
        ...base, sentences1, sentences2, labels, name, truncateDim, similarityFnNames: o.similarity_fn_names,
      }));
    }
    case 'reranking': {
      const o = spec.options;
      const [cq, cp, cn] = pickColumns(ds, ['query', 'positive', 'negative'], 'reranking');
      const queries = texts(ds, cq);
      const positives = textLists(ds, cp);
      const negatives = textLists(ds, cn);
      const samples = queries.map((query, i) => ({ query, positive: positives[i], negative: negatives[i] }));
      const similarityFct = o.similarity_fct === undefined ? undefined : RERANKING_FUNCTIONS[o.similarity_fct] ?? o.similarity_fct;
      return perDim(o, (name, truncateDim) => new RerankingEvaluator({
        ...base, samples, name, truncateDim, atK: o.at_k, useBatchedEncoding: o.use_batched_encoding, similarityFct: similarityFct as never,
      }));
    }
    case 'paraphrase': {
      const o = spec.options;
      const named = ['sentence1', 'sentence2', 'label'].every((c) => ds.columnNames.includes(c));
      const [c1, c2, c3] = named ? ['sentence1', 'sentence2', 'label'] : pickColumns(ds, ['sentence1', 'sentence2'], 'paraphrase').concat(ds.columnNames.slice(2, 3));
      const s1 = texts(ds, c1);
      const s2 = texts(ds, c2);
      const labels = c3 === undefined ? s1.map(() => 1) : ds.column(c3).map((v, i) => binaryLabel(v, ds, i, c3));
      // Each distinct text gets an id: its order of first appearance.
      const ids = new Map<string, string>();
      const id = (s: string): string => {
        if (!ids.has(s)) ids.set(s, String(ids.size));
        return ids.get(s)!;
      };
      const duplicatesList = s1.flatMap((s, i): [string, string][] => {
        const pair: [string, string] = [id(s), id(s2[i])];
        return labels[i] === 1 ? [pair] : [];
      });
      const sentencesMap = Object.fromEntries([...ids].map(([s, i]) => [i, s]));
      return perDim(o, (name, truncateDim) => new ParaphraseMiningEvaluator({
        ...base, sentencesMap, duplicatesList, name, truncateDim, addTransitiveClosure: o.add_transitive_closure,
        queryChunkSize: o.query_chunk_size, corpusChunkSize: o.corpus_chunk_size, maxPairs: o.max_pairs, topK: o.top_k,
      }));
    }
  }
}

const RERANKING_FUNCTIONS: Record<string, string> = { cos_sim: 'cosine', dot_score: 'dot', euclidean_sim: 'euclidean', manhattan_sim: 'manhattan' };

/** The named columns when all are present, else the first ones by position; an error names the file and its columns. */
function pickColumns(ds: Dataset, names: string[], type: string): string[] {
  const columns = ds.columnNames;
  if (names.every((n) => columns.includes(n))) return names;
  if (columns.length < names.length) {
    throw new Error(`${ds.source}: the ${type} evaluator reads ${names.length} columns (${names.join(', ')}), by name or by position; the data has ${columns.length}: ${columns.join(', ')}`);
  }
  return columns.slice(0, names.length);
}

function textColumns(ds: Dataset, names: string[], type: string): string[][] {
  return pickColumns(ds, names, type).map((c) => texts(ds, c));
}

function texts(ds: Dataset, column: string): string[] {
  return ds.column(column).map((v, i) => {
    if (typeof v !== 'string') throw new Error(`${ds.describeRow(i)}, column '${column}': expected a text, got ${JSON.stringify(v)}`);
    return v;
  });
}

/** A list of texts per row (a single text counts as a list of one). */
function textLists(ds: Dataset, column: string): string[][] {
  return ds.column(column).map((v, i) => {
    if (typeof v === 'string') return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    throw new Error(`${ds.describeRow(i)}, column '${column}': expected a list of texts, got ${JSON.stringify(v)}`);
  });
}

function binaryLabel(v: unknown, ds: Dataset, i: number, column: string): 0 | 1 {
  if (v === 0 || v === 1) return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new Error(`${ds.describeRow(i)}, column '${column}': the label must be 1 or 0, got ${JSON.stringify(v)}`);
}

/** The top-level keys of a JSON object file, or null when it is not one (JSON lines, an array). */
function jsonObjectKeys(file: string): Record<string, unknown> | null {
  if (!/\.json$/i.test(file)) return null;
  const head = fs.readFileSync(file, 'utf8').trimStart();
  if (!head.startsWith('{')) return null;
  try {
    const obj = JSON.parse(head) as unknown;
    return obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? (obj as Record<string, unknown>) : null;
  } catch {
    return null; // JSON lines with one object per line
  }
}

/** True when a JSON file holds the {queries, corpus, relevant_docs} shape. */
export function isQueriesCorpusFile(file: string): boolean {
  const obj = jsonObjectKeys(file);
  return obj !== null && 'queries' in obj && 'corpus' in obj;
}

function isParaphraseMapFile(file: string): boolean {
  const obj = jsonObjectKeys(file);
  return obj !== null && 'sentences_map' in obj;
}

function readParaphraseMapFile(file: string) {
  const obj = jsonObjectKeys(file)!;
  const known = new Set(['sentences_map', 'duplicates_list', 'duplicates_dict']);
  const extra = Object.keys(obj).filter((k) => !known.has(k));
  if (extra.length) throw new Error(`${file}: unknown key(s) ${extra.join(', ')}; expected sentences_map with duplicates_list or duplicates_dict`);
  // The evaluator checks the shapes of the values.
  return {
    sentencesMap: obj.sentences_map as Record<string, string>,
    duplicatesList: obj.duplicates_list as [string, string][] | undefined,
    duplicatesDict: obj.duplicates_dict as Record<string, Record<string, boolean>> | undefined,
  };
}

export function datasetRows(ds: Dataset): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < ds.numRows; i++) rows.push(ds.row(i));
  return rows;
}
