/**
 * Pearson and Spearman correlation between the gold scores of sentence pairs and their embeddings'
 * similarity, with the semantics of sentence-transformers 6.0.1's EmbeddingSimilarityEvaluator:
 * - similarity functions: those given (similarityFnNames), else mainSimilarity alone when set, else the
 *   model's, fixed on the first evaluate; scores are float32 as torch computes them; euclidean and
 *   manhattan are negative distances;
 * - correlations as scipy's pearsonr / spearmanr (ranks with ties averaged; NaN when either side is constant);
 * - metrics `pearson_${fn}`, `spearman_${fn}` per function, plus `pearson_max`, `spearman_max` with several;
 * - primary metric `spearman_${mainSimilarity}` when set, else `spearman_max` with several functions,
 *   else the one function's Spearman;
 * - CSV `similarity_evaluation[_name]_results.csv`: epoch, steps, <fn>_pearson, <fn>_spearman...
 * ST's `precision` option (quantized embeddings) is not offered.
 */
import { pearson, spearman } from './correlation';
import type { EmbeddingModel } from './EmbeddingModel';
import { checkParallel, embedLists, optionalTruncateDim, positiveInt, pythonMax, textList } from './evaluatorInputs';
import { checkPairSimilarities, checkPairSimilarity, pairwiseScores, type PairSimilarity } from './pairwiseSimilarity';
import { formatPythonFloat } from './pythonFloat';
import { appendCsvRow, epochStepsFields } from './resultsCsv';
import { SentenceEvaluator, type EvaluationContext } from './SentenceEvaluator';

export interface EmbeddingSimilarityEvaluatorOptions {
  sentences1: string[];
  sentences2: string[];
  /** Gold similarity of each pair (any scale: only correlation is measured). */
  scores: number[];
  /** Default 16. */
  batchSize?: number;
  /** The function whose Spearman correlation is the primary metric (and the only one evaluated when similarityFnNames is not given). */
  mainSimilarity?: PairSimilarity;
  /** Default: [mainSimilarity] when set, else the model's similarity function. */
  similarityFnNames?: PairSimilarity[];
  name?: string;
  showProgressBar?: boolean;
  /** Write the CSV under the context's outputPath. Default true. */
  writeCsv?: boolean;
  truncateDim?: number;
}

export class EmbeddingSimilarityEvaluator extends SentenceEvaluator {
  readonly sentences1: string[];
  readonly sentences2: string[];
  readonly scores: number[];
  readonly batchSize: number;
  readonly mainSimilarity: PairSimilarity | undefined;
  readonly showProgressBar: boolean;
  readonly writeCsv: boolean;
  readonly truncateDim: number | undefined;
  /** Fixed at construction when given (or implied by mainSimilarity), else on the first evaluate from the model. */
  similarityFnNames: PairSimilarity[];

  constructor(options: EmbeddingSimilarityEvaluatorOptions) {
    super(options.name ?? '');
    this.sentences1 = textList(options.sentences1, 'sentences1');
    this.sentences2 = textList(options.sentences2, 'sentences2');
    if (!Array.isArray(options.scores)) throw new Error(`scores must be a list of numbers, got ${JSON.stringify(options.scores)}`);
    options.scores.forEach((s, i) => {
      if (typeof s !== 'number' || !Number.isFinite(s)) throw new Error(`scores[${i}] must be a finite number, got ${JSON.stringify(s)}`);
    });
    this.scores = options.scores;
    const n = checkParallel({ sentences1: this.sentences1, sentences2: this.sentences2, scores: this.scores });
    if (n < 2) throw new Error(`correlation needs at least 2 sentence pairs, got ${n}`);
    this.mainSimilarity = options.mainSimilarity === undefined ? undefined : checkPairSimilarity(options.mainSimilarity, 'mainSimilarity');
    this.similarityFnNames = options.similarityFnNames === undefined ? [] : checkPairSimilarities(options.similarityFnNames, 'similarityFnNames');
    if (this.similarityFnNames.length === 0 && this.mainSimilarity) this.similarityFnNames = [this.mainSimilarity];
    this.batchSize = positiveInt(options.batchSize ?? 16, 'batchSize');
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.truncateDim = optionalTruncateDim(options.truncateDim);
  }

  get description(): string {
    return 'Semantic Similarity';
  }

  get csvFile(): string {
    return `similarity_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  async evaluate(model: EmbeddingModel, context: EvaluationContext = {}): Promise<Record<string, number>> {
    const settings = { batchSize: this.batchSize, truncateDim: this.truncateDim, showProgressBar: this.showProgressBar };
    const [emb1, emb2] = await embedLists(model, [this.sentences1, this.sentences2], settings, 'sentences');
    if (this.similarityFnNames.length === 0) this.similarityFnNames = [checkPairSimilarity(model.similarityFnName ?? 'cosine', "the model's similarityFnName")];
    const dim = emb1.length / this.sentences1.length;

    const metrics: Record<string, number> = {};
    for (const fn of this.similarityFnNames) {
      const predicted = pairwiseScores(emb1, emb2, dim, fn);
      metrics[`pearson_${fn}`] = pearson(this.scores, predicted);
      metrics[`spearman_${fn}`] = spearman(this.scores, predicted);
    }

    if (context.outputPath !== undefined && this.writeCsv) {
      const header = ['epoch', 'steps'];
      const row = [...epochStepsFields(context)];
      for (const fn of this.similarityFnNames) {
        for (const m of ['pearson', 'spearman']) {
          header.push(`${fn}_${m}`);
          row.push(formatPythonFloat(metrics[`${m}_${fn}`]));
        }
      }
      appendCsvRow(context.outputPath, this.csvFile, header, row);
    }
    if (this.similarityFnNames.length > 1) {
      // Python's max() over NaN keeps whatever came first unless a later value compares greater.
      metrics.pearson_max = pythonMax(this.similarityFnNames.map((fn) => metrics[`pearson_${fn}`]));
      metrics.spearman_max = pythonMax(this.similarityFnNames.map((fn) => metrics[`spearman_${fn}`]));
    }

    if (this.mainSimilarity) this.primaryMetric = `spearman_${this.mainSimilarity}`;
    else this.primaryMetric = this.similarityFnNames.length > 1 ? 'spearman_max' : `spearman_${this.similarityFnNames[0]}`;
    return this.prefixNameToMetrics(metrics, this.name);
  }

  configDict(): Record<string, unknown> {
    return this.truncateDim !== undefined ? { truncate_dim: this.truncateDim } : {};
  }
}
