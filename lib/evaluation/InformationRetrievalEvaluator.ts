/**
 * Retrieval evaluation with the semantics of sentence-transformers 6.0.1's InformationRetrievalEvaluator:
 * - only queries with at least one relevant document are evaluated;
 * - the corpus is encoded and searched chunk by chunk (corpusChunkSize), keeping each query's best
 *   max-k hits, ranked by score then ascending corpus id;
 * - score functions: those given, else the model's similarity function alone (ST's default; it is fixed
 *   on the first evaluate);
 * - metrics keyed `${scoreFunction}_${metric}@${k}`, prefixed `${name}_` when a name is set
 *   (e.g. `dim_128_cosine_ndcg@10`); primary metric: ndcg at the largest ndcg k, of mainScoreFunction
 *   when set, else of the score function scoring best on the first evaluate.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { Addon, SimilarityFunction } from '../binding/AddonTypes';
import type { EmbeddingModel } from './EmbeddingModel';
import { chunkTopK, mergeHits, type SearchFn } from './exactTopK';
import { checkKs, computeIrMetrics, DEFAULT_IR_KS, maxK, type DocId, type Hit, type IrMetricKs } from './irMetrics';
import { SentenceEvaluator, type EvaluationContext } from './SentenceEvaluator';
import { formatPythonFloat } from './pythonFloat';
import { modelName, requireFiniteEmbeddings } from './finiteEmbeddings';
import { irDataFromPairs, irDataFromQueriesCorpusFile, type PairsOptions } from './irDatasets';

export type IdMap<V> = Record<string, V> | Map<DocId, V>;

export interface InformationRetrievalEvaluatorOptions extends Partial<IrMetricKs> {
  /** query id -> query text */
  queries: IdMap<string>;
  /** corpus id -> document text */
  corpus: IdMap<string>;
  /** query id -> ids of its relevant documents */
  relevantDocs: IdMap<Iterable<DocId>>;
  name?: string;
  truncateDim?: number;
  /** Default: the model's similarity function. */
  scoreFunctions?: SimilarityFunction[];
  /** The score function whose ndcg is the primary metric. Default: the best one on the first evaluate. */
  mainScoreFunction?: SimilarityFunction;
  /** Default 32. */
  batchSize?: number;
  /** Default 50000. */
  corpusChunkSize?: number;
  showProgressBar?: boolean;
  /** Write `Information-Retrieval_evaluation[_name]_results.csv` under the context's outputPath. Default true. */
  writeCsv?: boolean;
  /** Top-k backend; default the native addon's searchTopK. */
  search?: SearchFn;
}

/** Every option except the data itself. */
export type EvaluatorSettings = Omit<InformationRetrievalEvaluatorOptions, 'queries' | 'corpus' | 'relevantDocs'>;

const SCORE_FUNCTIONS: readonly SimilarityFunction[] = ['cosine', 'dot'];

function toMap<V>(m: IdMap<V>, what: string): Map<DocId, V> {
  if (m instanceof Map) return m;
  if (m === null || typeof m !== 'object') throw new Error(`${what} must be an object or a Map of id -> value, got ${m === null ? 'null' : typeof m}`);
  return new Map(Object.entries(m));
}

function defaultSearch(): SearchFn {
  // Loaded on first use so that metric code and its tests run without the native addon.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { loadAddon } = require('../binding/addon') as { loadAddon(): Addon };
  const addon = loadAddon();
  return addon.searchTopK.bind(addon);
}

export class InformationRetrievalEvaluator extends SentenceEvaluator {
  readonly queryIds: DocId[] = [];
  readonly queries: string[] = [];
  readonly corpusIds: DocId[];
  readonly corpus: string[];
  readonly relevantDocs: Map<DocId, ReadonlySet<DocId>>;
  readonly ks: IrMetricKs;
  readonly truncateDim: number | undefined;
  readonly batchSize: number;
  readonly corpusChunkSize: number;
  readonly showProgressBar: boolean;
  readonly writeCsv: boolean;
  readonly mainScoreFunction: SimilarityFunction | undefined;
  /** Fixed at construction when given, else on the first evaluate from the model. */
  scoreFunctions: SimilarityFunction[] | undefined;
  private searchFn: SearchFn | undefined;

  constructor(options: InformationRetrievalEvaluatorOptions) {
    super(options.name ?? '');
    const queries = toMap(options.queries, 'queries');
    const corpus = toMap(options.corpus, 'corpus');
    const relevant = toMap(options.relevantDocs, 'relevantDocs');

    this.relevantDocs = new Map();
    for (const [qid, docs] of relevant) {
      if (docs === null || typeof docs !== 'object' || !(Symbol.iterator in docs)) {
        throw new Error(`relevantDocs[${JSON.stringify(qid)}] must be a list or set of corpus ids, got ${JSON.stringify(docs)}`);
      }
      this.relevantDocs.set(qid, new Set(docs));
    }
    for (const [qid, text] of queries) {
      const rel = this.relevantDocs.get(qid);
      if (!rel || rel.size === 0) continue;
      if (typeof text !== 'string') throw new Error(`queries[${JSON.stringify(qid)}] must be a string, got ${JSON.stringify(text)}`);
      this.queryIds.push(qid);
      this.queries.push(text);
    }
    if (this.queries.length === 0) {
      throw new Error(`no query has a relevant document: none of the ${queries.size} query ids is a key of relevantDocs with a non-empty list`);
    }

    this.corpusIds = [...corpus.keys()];
    this.corpus = this.corpusIds.map((cid) => {
      const text = corpus.get(cid);
      if (typeof text !== 'string') throw new Error(`corpus[${JSON.stringify(cid)}] must be a string, got ${JSON.stringify(text)}`);
      return text;
    });
    if (this.corpus.length === 0) throw new Error('the corpus is empty');
    // Ties are broken by id, so ids must be mutually ordered (Python cannot order str against int either).
    const idType = typeof this.corpusIds[0];
    const odd = this.corpusIds.find((cid) => typeof cid !== idType);
    if (odd !== undefined) throw new Error(`corpus ids must be all strings or all numbers: ${JSON.stringify(this.corpusIds[0])} and ${JSON.stringify(odd)}`);

    this.ks = {
      accuracyAtK: options.accuracyAtK ?? [...DEFAULT_IR_KS.accuracyAtK],
      precisionRecallAtK: options.precisionRecallAtK ?? [...DEFAULT_IR_KS.precisionRecallAtK],
      mrrAtK: options.mrrAtK ?? [...DEFAULT_IR_KS.mrrAtK],
      ndcgAtK: options.ndcgAtK ?? [...DEFAULT_IR_KS.ndcgAtK],
      mapAtK: options.mapAtK ?? [...DEFAULT_IR_KS.mapAtK],
    };
    checkKs(this.ks);

    if (options.truncateDim !== undefined && (!Number.isInteger(options.truncateDim) || options.truncateDim < 1)) {
      throw new Error(`truncateDim must be a positive integer, got ${options.truncateDim}`);
    }
    this.truncateDim = options.truncateDim;
    this.batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
    this.corpusChunkSize = positiveInt(options.corpusChunkSize ?? 50000, 'corpusChunkSize');
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    if (options.scoreFunctions !== undefined) {
      if (options.scoreFunctions.length === 0) throw new Error('scoreFunctions must name at least one of cosine, dot');
      for (const f of options.scoreFunctions) checkScoreFunction(f, 'scoreFunctions');
      this.scoreFunctions = [...new Set(options.scoreFunctions)];
    }
    if (options.mainScoreFunction !== undefined) checkScoreFunction(options.mainScoreFunction, 'mainScoreFunction');
    this.mainScoreFunction = options.mainScoreFunction;
    this.searchFn = options.search;
  }

  async evaluate(model: EmbeddingModel, context: EvaluationContext = {}): Promise<Record<string, number>> {
    if (!this.scoreFunctions) {
      const fn = model.similarityFnName ?? 'cosine';
      checkScoreFunction(fn, "the model's similarityFnName");
      this.scoreFunctions = [fn];
    }
    const scores = await this.computeMetrics(model);

    // ST's score_function_names: sorted, which decides ties in the primary metric choice and the CSV column order.
    const names = [...this.scoreFunctions].sort();
    if (context.outputPath !== undefined && this.writeCsv) this.appendCsv(context, names, scores);

    const ndcgK = Math.max(...this.ks.ndcgAtK);
    if (!this.primaryMetric) {
      let best = this.mainScoreFunction;
      if (best === undefined) {
        best = names[0];
        for (const n of names) if (scores.get(n)![`ndcg@${ndcgK}`] > scores.get(best)![`ndcg@${ndcgK}`]) best = n;
      }
      this.primaryMetric = `${best}_ndcg@${ndcgK}`;
    }

    const metrics: Record<string, number> = {};
    for (const fn of this.scoreFunctions) {
      for (const [key, value] of Object.entries(scores.get(fn)!)) metrics[`${fn}_${key}`] = value;
    }
    return this.prefixNameToMetrics(metrics, this.name);
  }

  /**
   * From (anchor, positive) rows, as the fine-tuning tutorials build their evaluator: see irDataFromPairs.
   * E.g. fromPairs(testRows, { corpusRows: trainRows, name: 'dim_128', truncateDim: 128, scoreFunctions: ['cosine'] }).
   */
  static fromPairs(evalRows: Record<string, unknown>[], options: PairsOptions & EvaluatorSettings = {}): InformationRetrievalEvaluator {
    const { anchorColumn, positiveColumn, idColumn, relevanceColumn, corpusRows, ...settings } = options;
    return new InformationRetrievalEvaluator({ ...irDataFromPairs(evalRows, { anchorColumn, positiveColumn, idColumn, relevanceColumn, corpusRows }), ...settings });
  }

  /** From a {queries, corpus, relevant_docs} JSON file (LlamaIndex's EmbeddingQAFinetuneDataset shape). */
  static fromQueriesCorpusFile(file: string, options: EvaluatorSettings = {}): InformationRetrievalEvaluator {
    return new InformationRetrievalEvaluator({ ...irDataFromQueriesCorpusFile(file), ...options });
  }

  /** Each score function's metrics (keys such as `ndcg@10`), over the evaluated queries. */
  async computeMetrics(model: EmbeddingModel): Promise<Map<SimilarityFunction, Record<string, number>>> {
    const fns = this.scoreFunctions ?? [model.similarityFnName ?? 'cosine'];
    const dim = this.truncateDim ?? model.embeddingDim;
    if (this.truncateDim !== undefined && this.truncateDim > model.embeddingDim) {
      throw new Error(`truncateDim ${this.truncateDim} exceeds the model's embedding dimension ${model.embeddingDim}`);
    }
    const k = maxK(this.ks);
    const search = (this.searchFn ??= defaultSearch());
    const embed = async (texts: string[], what: string): Promise<Float32Array> => {
      const emb = await model.encode(texts, { batchSize: this.batchSize, truncateDim: this.truncateDim, showProgressBar: this.showProgressBar });
      if (emb.length !== texts.length * dim) {
        throw new Error(`the model returned ${emb.length} values for ${texts.length} ${what}, expected ${texts.length} x ${dim}`);
      }
      requireFiniteEmbeddings(emb, dim, modelName(model), what);
      return emb;
    };

    const queryEmb = await embed(this.queries, 'queries');
    const hits = new Map<SimilarityFunction, Hit[][]>(fns.map((fn) => [fn, this.queries.map(() => [])]));
    for (let start = 0; start < this.corpus.length; start += this.corpusChunkSize) {
      const end = Math.min(start + this.corpusChunkSize, this.corpus.length);
      const chunkEmb = await embed(this.corpus.slice(start, end), 'documents');
      const chunkIds = this.corpusIds.slice(start, end);
      for (const fn of fns) {
        const device = model.device ?? 'cpu';
        const chunkHits = await chunkTopK({ search, similarity: fn, device, dim }, queryEmb, chunkEmb, chunkIds, k);
        mergeHits(hits.get(fn)!, chunkHits, k);
      }
    }

    const relevant = this.queryIds.map((qid) => this.relevantDocs.get(qid)!);
    const out = new Map<SimilarityFunction, Record<string, number>>();
    for (const fn of fns) {
      const ranked = hits.get(fn)!.map((row) => row.map((h) => h.id));
      out.set(fn, computeIrMetrics(ranked, relevant, this.ks));
    }
    return out;
  }

  configDict(): Record<string, unknown> {
    return this.truncateDim !== undefined ? { truncate_dim: this.truncateDim } : {};
  }

  get csvFile(): string {
    return `Information-Retrieval_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  /** ST's CSV: one header line when the file is new, then one row per evaluation. */
  private appendCsv(context: EvaluationContext, names: SimilarityFunction[], scores: Map<SimilarityFunction, Record<string, number>>): void {
    const header = ['epoch', 'steps'];
    const row = [context.epoch === undefined ? '-1' : formatPythonFloat(context.epoch), String(context.steps ?? -1)];
    for (const fn of names) {
      const s = scores.get(fn)!;
      const add = (title: string, key: string) => {
        header.push(`${fn}-${title}`);
        row.push(formatPythonFloat(s[key]));
      };
      for (const k of this.ks.accuracyAtK) add(`Accuracy@${k}`, `accuracy@${k}`);
      for (const k of this.ks.precisionRecallAtK) {
        add(`Precision@${k}`, `precision@${k}`);
        add(`Recall@${k}`, `recall@${k}`);
      }
      for (const k of this.ks.mrrAtK) add(`MRR@${k}`, `mrr@${k}`);
      for (const k of this.ks.ndcgAtK) add(`NDCG@${k}`, `ndcg@${k}`);
      for (const k of this.ks.mapAtK) add(`MAP@${k}`, `map@${k}`);
    }
    fs.mkdirSync(context.outputPath!, { recursive: true });
    const file = path.join(context.outputPath!, this.csvFile);
    const lines = (fs.existsSync(file) ? '' : header.join(',') + '\n') + row.join(',') + '\n';
    fs.appendFileSync(file, lines, 'utf8');
  }
}

function positiveInt(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${v}`);
  return v;
}

function checkScoreFunction(f: string, what: string): void {
  if (!SCORE_FUNCTIONS.includes(f as SimilarityFunction)) {
    throw new Error(`${what}: unsupported score function ${JSON.stringify(f)}; supported: ${SCORE_FUNCTIONS.join(', ')}`);
  }
}
