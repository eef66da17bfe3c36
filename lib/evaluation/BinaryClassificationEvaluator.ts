/**
 * How well the similarity of a sentence pair's embeddings tells duplicates (label 1) from the rest
 * (label 0), with the semantics of sentence-transformers 6.0.1's BinaryClassificationEvaluator:
 * - similarity functions: those given (similarityFnNames), else the model's, fixed on the first evaluate;
 *   cosine and dot are similarities (higher = duplicate), euclidean and manhattan distances (lower = duplicate);
 * - per function: the best accuracy and the best F1 over thresholds placed halfway between neighbouring
 *   scores (in float32, as numpy computes them), by ST's scan of the pairs sorted by score with ties
 *   kept in input order; the precision and recall of the best F1; average precision as sklearn's
 *   average_precision_score; the Matthews correlation of the predictions at the F1 threshold;
 * - metrics `${fn}_{accuracy, accuracy_threshold, f1, f1_threshold, precision, recall, ap, mcc}`, plus
 *   `max_${metric}` of each over the functions when there are several;
 * - primary metric `max_ap` with several functions, else `${fn}_ap`;
 * - CSV `binary_classification_evaluation[_name]_results.csv`.
 */
import type { EmbeddingModel } from './EmbeddingModel';
import { checkParallel, embedLists, optionalTruncateDim, positiveInt, pythonMax, textList } from './evaluatorInputs';
import { checkPairSimilarities, checkPairSimilarity, pairwiseScores, type PairSimilarity } from './pairwiseSimilarity';
import { formatNumpyFloat32, formatPythonFloat } from './pythonFloat';
import { appendCsvRow, epochStepsFields } from './resultsCsv';
import { SentenceEvaluator, type EvaluationContext } from './SentenceEvaluator';
import { averagePrecisionScore, matthewsCorrcoef } from './sklearnMetrics';

export interface BinaryClassificationEvaluatorOptions {
  sentences1: string[];
  sentences2: string[];
  /** 1: the pair are duplicates / similar; 0: not. */
  labels: (0 | 1 | boolean)[];
  name?: string;
  /** Default 32. */
  batchSize?: number;
  showProgressBar?: boolean;
  /** Write the CSV under the context's outputPath. Default true. */
  writeCsv?: boolean;
  truncateDim?: number;
  /** Default: the model's similarity function. */
  similarityFnNames?: PairSimilarity[];
}

const METRICS = ['accuracy', 'accuracy_threshold', 'f1', 'f1_threshold', 'precision', 'recall', 'ap', 'mcc'] as const;
const CSV_METRICS = ['accuracy', 'accuracy_threshold', 'f1', 'precision', 'recall', 'f1_threshold', 'ap', 'mcc'] as const;
type Metric = (typeof METRICS)[number];

/** A value and how Python's csv module writes it: an int sentinel, a numpy float32 or a float. */
interface PyValue {
  value: number;
  text: string;
}
const pyInt = (v: number): PyValue => ({ value: v, text: String(v) });
const pyFloat = (v: number): PyValue => ({ value: v, text: formatPythonFloat(v) });
const pyFloat32 = (v: number): PyValue => ({ value: v, text: formatNumpyFloat32(v) });

/** Halfway between two float32 scores, in float32 arithmetic (numpy's (a + b) / 2 on np.float32). */
const midpoint = (a: number, b: number): number => Math.fround(Math.fround(a + b) / 2);

/** Pair indices sorted by score, best first (descending, or ascending for distances); ties keep input order. */
function rankedIndices(scores: ArrayLike<number>, highIsSimilar: boolean): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  return idx.sort((a, b) => (highIsSimilar ? scores[b] - scores[a] : scores[a] - scores[b]));
}

/** ST's find_best_acc_and_threshold: accuracy when the first i+1 ranked pairs are called duplicates, best over i < n-1. */
export function findBestAccuracyAndThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, highIsSimilar: boolean): { accuracy: PyValue; threshold: PyValue } {
  const rows = rankedIndices(scores, highIsSimilar);
  let accuracy = pyInt(0);
  let threshold = pyInt(-1);
  let positivesSoFar = 0;
  let remainingNegatives = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 0) remainingNegatives++;
  for (let i = 0; i < rows.length - 1; i++) {
    if (labels[rows[i]] === 1) positivesSoFar++;
    else remainingNegatives--;
    const acc = (positivesSoFar + remainingNegatives) / labels.length;
    if (acc > accuracy.value) {
      accuracy = pyFloat(acc);
      threshold = pyFloat32(midpoint(scores[rows[i]], scores[rows[i + 1]]));
    }
  }
  return { accuracy, threshold };
}

/** ST's find_best_f1_and_threshold: F1 (and its precision, recall) of the first i+1 ranked pairs, best over i < n-1. */
export function findBestF1AndThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, highIsSimilar: boolean): { f1: PyValue; precision: PyValue; recall: PyValue; threshold: PyValue } {
  const rows = rankedIndices(scores, highIsSimilar);
  let best = { f1: pyInt(0), precision: pyInt(0), recall: pyInt(0), threshold: pyInt(0) };
  let totalDuplicates = 0;
  for (let i = 0; i < labels.length; i++) totalDuplicates += labels[i];
  let extracted = 0;
  let correct = 0;
  for (let i = 0; i < rows.length - 1; i++) {
    extracted++;
    if (labels[rows[i]] === 1) correct++;
    if (correct > 0) {
      const precision = correct / extracted;
      const recall = correct / totalDuplicates;
      const f1 = (2 * precision * recall) / (precision + recall);
      if (f1 > best.f1.value) {
        best = { f1: pyFloat(f1), precision: pyFloat(precision), recall: pyFloat(recall), threshold: pyFloat32(midpoint(scores[rows[i]], scores[rows[i + 1]])) };
      }
    }
  }
  return best;
}

export class BinaryClassificationEvaluator extends SentenceEvaluator {
  readonly sentences1: string[];
  readonly sentences2: string[];
  readonly labels: (0 | 1)[];
  readonly batchSize: number;
  readonly showProgressBar: boolean;
  readonly writeCsv: boolean;
  readonly truncateDim: number | undefined;
  /** Fixed at construction when given, else on the first evaluate from the model. */
  similarityFnNames: PairSimilarity[];

  constructor(options: BinaryClassificationEvaluatorOptions) {
    super(options.name ?? '');
    this.sentences1 = textList(options.sentences1, 'sentences1');
    this.sentences2 = textList(options.sentences2, 'sentences2');
    if (!Array.isArray(options.labels)) throw new Error(`labels must be a list of 0/1 values, got ${JSON.stringify(options.labels)}`);
    this.labels = options.labels.map((l, i) => {
      if (l === 0 || l === 1) return l;
      if (typeof l === 'boolean') return l ? 1 : 0;
      throw new Error(`labels[${i}] must be 0 or 1, got ${JSON.stringify(l)}`);
    });
    checkParallel({ sentences1: this.sentences1, sentences2: this.sentences2, labels: this.labels });
    this.similarityFnNames = options.similarityFnNames === undefined ? [] : checkPairSimilarities(options.similarityFnNames, 'similarityFnNames');
    this.batchSize = positiveInt(options.batchSize ?? 32, 'batchSize');
    this.showProgressBar = options.showProgressBar ?? false;
    this.writeCsv = options.writeCsv ?? true;
    this.truncateDim = optionalTruncateDim(options.truncateDim);
  }

  get csvFile(): string {
    return `binary_classification_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  async evaluate(model: EmbeddingModel, context: EvaluationContext = {}): Promise<Record<string, number>> {
    if (this.similarityFnNames.length === 0) this.similarityFnNames = [checkPairSimilarity(model.similarityFnName ?? 'cosine', "the model's similarityFnName")];
    const scores = await this.computeMetrics(model);

    if (context.outputPath !== undefined && this.writeCsv) {
      const header = ['epoch', 'steps'];
      const row = [...epochStepsFields(context)];
      for (const fn of this.similarityFnNames) {
        for (const m of CSV_METRICS) {
          header.push(`${fn}_${m}`);
          row.push(scores.get(fn)![m].text);
        }
      }
      appendCsvRow(context.outputPath, this.csvFile, header, row);
    }

    const metrics: Record<string, number> = {};
    for (const fn of this.similarityFnNames) for (const m of METRICS) metrics[`${fn}_${m}`] = scores.get(fn)![m].value;
    if (this.similarityFnNames.length > 1) {
      for (const m of METRICS) metrics[`max_${m}`] = pythonMax(this.similarityFnNames.map((fn) => scores.get(fn)![m].value));
      this.primaryMetric = 'max_ap';
    } else {
      this.primaryMetric = `${this.similarityFnNames[0]}_ap`;
    }
    return this.prefixNameToMetrics(metrics, this.name);
  }

  /** Each similarity function's metrics. */
  async computeMetrics(model: EmbeddingModel): Promise<Map<PairSimilarity, Record<Metric, PyValue>>> {
    const fns = this.similarityFnNames.length ? this.similarityFnNames : [checkPairSimilarity(model.similarityFnName ?? 'cosine', "the model's similarityFnName")];
    const settings = { batchSize: this.batchSize, truncateDim: this.truncateDim, showProgressBar: this.showProgressBar };
    const [emb1, emb2] = await embedLists(model, [this.sentences1, this.sentences2], settings, 'sentences');
    const dim = emb1.length / this.sentences1.length;
    const out = new Map<PairSimilarity, Record<Metric, PyValue>>();
    for (const fn of fns) {
      const highIsSimilar = fn === 'cosine' || fn === 'dot';
      // Distances for euclidean and manhattan (ST negates its negative-distance similarities back).
      const scores = pairwiseScores(emb1, emb2, dim, fn);
      if (!highIsSimilar) for (let i = 0; i < scores.length; i++) scores[i] = -scores[i];
      const acc = findBestAccuracyAndThreshold(scores, this.labels, highIsSimilar);
      const f1 = findBestF1AndThreshold(scores, this.labels, highIsSimilar);
      const apScores = highIsSimilar ? scores : scores.map((s) => -s);
      const t = f1.threshold.value;
      const predicted = Array.from(scores, (s) => ((highIsSimilar ? s >= t : s <= t) ? 1 : 0));
      out.set(fn, {
        accuracy: acc.accuracy, accuracy_threshold: acc.threshold, f1: f1.f1, f1_threshold: f1.threshold,
        precision: f1.precision, recall: f1.recall,
        ap: pyFloat(averagePrecisionScore(this.labels, apScores)), mcc: pyFloat(matthewsCorrcoef(this.labels, predicted)),
      });
    }
    return out;
  }

  configDict(): Record<string, unknown> {
    return this.truncateDim !== undefined ? { truncate_dim: this.truncateDim } : {};
  }
}
