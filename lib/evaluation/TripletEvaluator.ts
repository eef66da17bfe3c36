/**
 * Triplet accuracy with the semantics of sentence-transformers 6.0.1's TripletEvaluator: the fraction
 * of (anchor, positive, negative) triplets with similarity(anchor, positive) > similarity(anchor,
 * negative) + margin, in float32 as torch compares them.
 * - similarity functions: those given (similarityFnNames), else the model's, fixed on the first evaluate;
 * - metrics `${fn}_accuracy` in that order, plus `max_accuracy` when there are several;
 * - primary metric: `${mainSimilarityFunction}_accuracy` when set (even if that function is not
 *   evaluated, as in ST), else `max_accuracy` with several functions, else the one function's accuracy;
 * - CSV `triplet_evaluation[_name]_results.csv`: epoch, steps, accuracy_<fn>... (no max column).
 */
import type { EmbeddingModel } from './EmbeddingModel';
import { checkParallel, embedLists, optionalTruncateDim, positiveInt, pythonMax, textList } from './evaluatorInputs';
import { checkPairSimilarities, checkPairSimilarity, PAIR_SIMILARITIES, pairwiseScores, type PairSimilarity } from './pairwiseSimilarity';
import { formatPythonFloat } from './pythonFloat';
import { appendCsvRow, epochStepsFields } from './resultsCsv';
import { SentenceEvaluator, type EvaluationContext } from './SentenceEvaluator';

export interface TripletEvaluatorOptions {
  anchors: string[];
  positives: string[];
  negatives: string[];
  /** The function whose accuracy is the primary metric. */
  mainSimilarityFunction?: PairSimilarity;
  /** By how much the positive must beat the negative: one number for all functions, or per function (others 0). Default 0. */
  margin?: number | Partial<Record<PairSimilarity, number>>;
  name?: string;
  /** Default 16. */
  batchSize?: number;
  showProgressBar?: boolean;
  /** Write the CSV under the context's outputPath. Default true. */
  writeCsv?: boolean;
  truncateDim?: number;
  /** Default: the model's similarity function. */
  similarityFnNames?: PairSimilarity[];
}

export class TripletEvaluator extends SentenceEvaluator {
  readonly anchors: string[];
  readonly positives: string[];
  readonly negatives: string[];
  readonly mainSimilarityFunction: PairSimilarity | undefined;
  readonly margin: Record<PairSimilarity, number>;
  readonly batchSize: number;
  readonly showProgressBar: boolean;
  readonly writeCsv: boolean;
  readonly truncateDim: number | undefined;
  /** Fixed at construction when given, else on the first evaluate from the model. */
  similarityFnNames: PairSimilarity[];

  constructor(options: TripletEvaluatorOptions) {
    super(options.name ?? '');
    this.anchors = textList(options.anchors, 'anchors');
    this.positives = textList(options.positives, 'positives');
    this.negatives = textList(options.negatives, 'negatives');
    checkParallel({ anchors: this.anchors, positives: this.positives, negatives: this.negatives });
    this.mainSimilarityFunction = options.mainSimilarityFunction === undefined ? undefined : checkPairSimilarity(options.mainSimilarityFunction, 'mainSimilarityFunction');
    this.similarityFnNames = options.similarityFnNames === undefined ? [] : checkPairSimilarities(options.similarityFnNames, 'similarityFnNames');
    // Keyed in ST's order (its model card lists the margins so).
    this.margin = { cosine: 0, dot: 0, manhattan: 0, euclidean: 0 };
    const margin = options.margin;
    if (typeof margin === 'number') {
      if (!Number.isFinite(margin)) throw new Error(`margin must be a finite number, got ${margin}`);
      for (const fn of PAIR_SIMILARITIES) this.margin[fn] = margin;
    } else if (margin !== undefined && margin !== null) {
      if (typeof margin !== 'object' || Array.isArray(margin)) throw new Error(`margin must be a number or an object keyed by ${PAIR_SIMILARITIES.join(', ')}, got ${JSON.stringify(margin)}`);
      for (const [key, value] of Object.entries(margin)) {
        const fn = checkPairSimilarity(key, 'margin');
        if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`margin.${key} must be a finite number, got ${JSON.stringify(value)}`);
        this.margin[fn] = value;
      }
    }
    this.batchSize = positiveInt(options.batchSize ?? 16, 'batchSize');
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.truncateDim = optionalTruncateDim(options.truncateDim);
  }

  get csvFile(): string {
    return `triplet_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  async evaluate(model: EmbeddingModel, context: EvaluationContext = {}): Promise<Record<string, number>> {
    const settings = { batchSize: this.batchSize, truncateDim: this.truncateDim, showProgressBar: this.showProgressBar };
    const [anchors, positives, negatives] = await embedLists(model, [this.anchors, this.positives, this.negatives], settings, 'texts');
    if (this.similarityFnNames.length === 0) this.similarityFnNames = [checkPairSimilarity(model.similarityFnName ?? 'cosine', "the model's similarityFnName")];
    const dim = anchors.length / this.anchors.length;

    const metrics: Record<string, number> = {};
    for (const fn of this.similarityFnNames) {
      const pos = pairwiseScores(anchors, positives, dim, fn);
      const neg = pairwiseScores(anchors, negatives, dim, fn);
      // torch adds the margin to float32 scores in float32 and averages the 0/1 outcomes in float32.
      const margin = Math.fround(this.margin[fn]);
      let correct = 0;
      for (let i = 0; i < pos.length; i++) if (pos[i] > Math.fround(neg[i] + margin)) correct++;
      metrics[`${fn}_accuracy`] = Math.fround(correct / pos.length);
    }

    if (context.outputPath !== undefined && this.writeCsv) {
      appendCsvRow(context.outputPath, this.csvFile, ['epoch', 'steps', ...this.similarityFnNames.map((fn) => `accuracy_${fn}`)],
        [...epochStepsFields(context), ...this.similarityFnNames.map((fn) => formatPythonFloat(metrics[`${fn}_accuracy`]))]);
    }
    if (this.similarityFnNames.length > 1) metrics.max_accuracy = pythonMax(Object.values(metrics));

    if (this.mainSimilarityFunction) this.primaryMetric = `${this.mainSimilarityFunction}_accuracy`;
    else this.primaryMetric = this.similarityFnNames.length > 1 ? 'max_accuracy' : `${this.similarityFnNames[0]}_accuracy`;
    return this.prefixNameToMetrics(metrics, this.name);
  }

  configDict(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (PAIR_SIMILARITIES.some((fn) => this.margin[fn] !== 0)) out.margin = { ...this.margin };
    if (this.truncateDim !== undefined) out.truncate_dim = this.truncateDim;
    return out;
  }
}
