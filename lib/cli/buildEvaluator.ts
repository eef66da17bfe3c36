/**
 * The retrieval evaluator a command or config asks for: from a {queries, corpus, relevant_docs} JSON
 * file or from (anchor, positive) rows, optionally one evaluator per Matryoshka dim (named dim_<d>,
 * truncated to d) run in sequence, as the financial tutorial builds it.
 */
import * as fs from 'fs';
import type { SimilarityFunction } from '../binding/AddonTypes';
import { Dataset } from '../data/Dataset';
import { InformationRetrievalEvaluator, type EvaluatorSettings } from '../evaluation/InformationRetrievalEvaluator';
import type { SentenceEvaluator } from '../evaluation/SentenceEvaluator';
import { SequentialEvaluator } from '../evaluation/SequentialEvaluator';
import type { PairsOptions } from '../evaluation/irDatasets';

export interface EvaluatorRequest {
  name?: string;
  matryoshkaDims?: number[];
  scoreFunctions?: SimilarityFunction[];
  batchSize?: number;
}

type Build = (settings: EvaluatorSettings) => InformationRetrievalEvaluator;

function fromBuilder(build: Build, req: EvaluatorRequest): SentenceEvaluator {
  const common: EvaluatorSettings = { scoreFunctions: req.scoreFunctions, batchSize: req.batchSize };
  if (!req.matryoshkaDims?.length) return build({ ...common, name: req.name ?? '' });
  return new SequentialEvaluator(req.matryoshkaDims.map((d) => build({ ...common, name: `dim_${d}`, truncateDim: d })));
}

/** True when a JSON file holds the {queries, corpus, relevant_docs} shape. */
export function isQueriesCorpusFile(file: string): boolean {
  if (!/\.json$/i.test(file)) return false;
  const head = fs.readFileSync(file, 'utf8').trimStart();
  if (!head.startsWith('{')) return false;
  try {
    const obj = JSON.parse(head) as Record<string, unknown>;
    return obj !== null && typeof obj === 'object' && 'queries' in obj && 'corpus' in obj;
  } catch {
    return false; // JSON lines with one object per line
  }
}

/** From a file: the IR JSON shape, or anchor/positive rows (corpus = all positives, queries = anchors). */
export async function evaluatorFromFile(file: string, req: EvaluatorRequest, pairs: PairsOptions = {}): Promise<SentenceEvaluator> {
  if (!fs.existsSync(file)) throw new Error(`evaluation data ${file} does not exist`);
  if (isQueriesCorpusFile(file)) return fromBuilder((s) => InformationRetrievalEvaluator.fromQueriesCorpusFile(file, s), req);
  const rows = datasetRows(await Dataset.load(file));
  return fromBuilder((s) => InformationRetrievalEvaluator.fromPairs(rows, { ...pairs, ...s }), req);
}

/** From evaluation rows plus extra corpus rows (the tutorials: corpus = train + test positives). */
export function evaluatorFromRows(evalRows: Record<string, unknown>[], corpusRows: Record<string, unknown>[], req: EvaluatorRequest, pairs: PairsOptions = {}): SentenceEvaluator {
  return fromBuilder((s) => InformationRetrievalEvaluator.fromPairs(evalRows, { ...pairs, corpusRows, ...s }), req);
}

export function datasetRows(ds: Dataset): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < ds.numRows; i++) rows.push(ds.row(i));
  return rows;
}
