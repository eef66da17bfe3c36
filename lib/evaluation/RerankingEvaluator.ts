/**
 * Re-ranking quality with the semantics of sentence-transformers 6.0.1's RerankingEvaluator: each
 * sample's positives and negatives are scored against its query and ranked by score;
 * - samples without a positive or without a negative are left out (as ST does at construction);
 * - MRR@k: 1/rank of the first positive within the first k (0 if none); ties in score keep the
 *   documents' order, positives first (torch's argsort does so on lists of up to 16 documents; beyond
 *   that its order among exactly equal scores is unspecified);
 * - NDCG@k as sklearn's ndcg_score (tied scores averaged); MAP as sklearn's average_precision_score;
 *   each the mean over samples;
 * - similarityFct: cosine (ST's default cos_sim, whatever the model's own function), dot, euclidean or
 *   manhattan (ST's dot_score, euclidean_sim, manhattan_sim);
 * - metrics `map`, `mrr@k`, `ndcg@k`; primary metric `ndcg@k`;
 * - CSV `RerankingEvaluator[_name]_results_@k.csv`: epoch, steps, MAP, MRR@k, NDCG@k.
 */
import type { EmbeddingModel } from './EmbeddingModel';
import { embedLists, optionalTruncateDim, positiveInt, textList } from './evaluatorInputs';
import { checkPairSimilarity, scoresAgainst, type PairSimilarity } from './pairwiseSimilarity';
import { formatPythonFloat } from './pythonFloat';
import { appendCsvRow, epochStepsFields } from './resultsCsv';
import { SentenceEvaluator, type EvaluationContext } from './SentenceEvaluator';
import { averagePrecisionScore, ndcgScore } from './sklearnMetrics';

export interface RerankingSample {
  query: string;
  positive: string[];
  negative: string[];
}

export interface RerankingEvaluatorOptions {
  /** A list of samples, or an object whose values are the samples (as ST accepts a dict). */
  samples: RerankingSample[] | Record<string, RerankingSample>;
  /** Cut-off of MRR and NDCG. Default 10. */
  atK?: number;
  name?: string;
  /** Write the CSV under the context's outputPath. Default true. */
  writeCsv?: boolean;
  /** Default 'cosine' (ST's cos_sim). */
  similarityFct?: PairSimilarity;
  /** Default 64. */
  batchSize?: number;
  showProgressBar?: boolean;
  /** Accepted for ST's signature; encoding all texts at once or per sample gives the same results. */
  useBatchedEncoding?: boolean;
  truncateDim?: number;
}

export class RerankingEvaluator extends SentenceEvaluator {
  readonly samples: RerankingSample[];
  readonly atK: number;
  readonly writeCsv: boolean;
  readonly similarityFct: PairSimilarity;
  readonly batchSize: number;
  readonly showProgressBar: boolean;
  readonly useBatchedEncoding: boolean;
  readonly truncateDim: number | undefined;

  constructor(options: RerankingEvaluatorOptions) {
    super(options.name ?? '');
    const raw = options.samples;
    if (raw === null || typeof raw !== 'object') throw new Error(`samples must be a list of {query, positive, negative}, got ${JSON.stringify(raw)}`);
    const list = Array.isArray(raw) ? raw.map((s, i) => [String(i), s] as const) : Object.entries(raw);
    const checked = list.map(([key, s]) => {
      const where = `samples[${Array.isArray(raw) ? key : JSON.stringify(key)}]`;
      if (s === null || typeof s !== 'object') throw new Error(`${where} must be an object {query, positive, negative}, got ${JSON.stringify(s)}`);
      if (typeof s.query !== 'string') throw new Error(`${where}.query must be a string, got ${JSON.stringify(s.query)}`);
      return { query: s.query, positive: textList(s.positive, `${where}.positive`), negative: textList(s.negative, `${where}.negative`) };
    });
    this.samples = checked.filter((s) => s.positive.length > 0 && s.negative.length > 0);
    if (this.samples.length === 0) {
      throw new Error(`no sample has both a positive and a negative (${checked.length} samples given): nothing to rerank`);
    }
    this.atK = positiveInt(options.atK ?? 10, 'atK');
    this.writeCsv = options.writeCsv ?? true;
    this.similarityFct = checkPairSimilarity(options.similarityFct ?? 'cosine', 'similarityFct');
    this.batchSize = positiveInt(options.batchSize ?? 64, 'batchSize');
    this.showProgressBar = options.showProgressBar ?? false;
    this.useBatchedEncoding = options.useBatchedEncoding ?? true;
    this.truncateDim = optionalTruncateDim(options.truncateDim);
    this.primaryMetric = `ndcg@${this.atK}`;
  }

  get csvFile(): string {
    return `RerankingEvaluator${this.name ? `_${this.name}` : ''}_results_@${this.atK}.csv`;
  }

  async evaluate(model: EmbeddingModel, context: EvaluationContext = {}): Promise<Record<string, number>> {
    const scores = await this.computeMetrics(model);
    if (context.outputPath !== undefined && this.writeCsv) {
      appendCsvRow(context.outputPath, this.csvFile, ['epoch', 'steps', 'MAP', `MRR@${this.atK}`, `NDCG@${this.atK}`],
        [...epochStepsFields(context), formatPythonFloat(scores.map), formatPythonFloat(scores.mrr), formatPythonFloat(scores.ndcg)]);
    }
    const metrics = { map: scores.map, [`mrr@${this.atK}`]: scores.mrr, [`ndcg@${this.atK}`]: scores.ndcg };
    return this.prefixNameToMetrics(metrics, this.name);
  }

  /** Mean average precision, MRR@k and NDCG@k over the samples. */
  async computeMetrics(model: EmbeddingModel): Promise<{ map: number; mrr: number; ndcg: number }> {
    const settings = { batchSize: this.batchSize, truncateDim: this.truncateDim, showProgressBar: this.showProgressBar };
    const docs = this.samples.flatMap((s) => [...s.positive, ...s.negative]);
    const [queryEmb, docEmb] = await embedLists(model, [this.samples.map((s) => s.query), docs], settings, 'texts');
    const dim = queryEmb.length / this.samples.length;
    let sumAp = 0;
    let sumMrr = 0;
    let sumNdcg = 0;
    let offset = 0;
    this.samples.forEach((s, q) => {
      const count = s.positive.length + s.negative.length;
      const scores = scoresAgainst(queryEmb, q, docEmb.subarray(offset * dim, (offset + count) * dim), dim, this.similarityFct);
      offset += count;
      const relevant = Array.from({ length: count }, (_, i) => (i < s.positive.length ? 1 : 0));
      const ranked = relevant.map((_, i) => i).sort((a, b) => scores[b] - scores[a]);
      const firstHit = ranked.slice(0, this.atK).findIndex((i) => relevant[i] === 1);
      sumMrr += firstHit < 0 ? 0 : 1 / (firstHit + 1);
      sumNdcg += ndcgScore(relevant, scores, this.atK);
      sumAp += averagePrecisionScore(relevant, scores);
    });
    const n = this.samples.length;
    return { map: sumAp / n, mrr: sumMrr / n, ndcg: sumNdcg / n };
  }

  configDict(): Record<string, unknown> {
    return this.truncateDim !== undefined ? { at_k: this.atK, truncate_dim: this.truncateDim } : { at_k: this.atK };
  }
}
