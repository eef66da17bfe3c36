import type { EmbeddingModel } from './EmbeddingModel';

/** When the evaluation runs; the trainer passes these, a standalone call leaves them out. */
export interface EvaluationContext {
  /** Folder for the evaluator's CSV (the trainer passes `<output_dir>/eval`). */
  outputPath?: string;
  /** Fractional epoch as the trainer counts it; -1 (the default) means "not during training". */
  epoch?: number;
  /** Global step; -1 (the default) means "at the end of the epoch". */
  steps?: number;
}

/**
 * Base of every evaluator, as sentence-transformers' BaseEvaluator (alias SentenceEvaluator):
 * `primaryMetric` names the key of the returned metrics used for model selection (set by the subclass,
 * at the latest on the first evaluate), `greaterIsBetter` says which way that metric improves.
 */
export abstract class SentenceEvaluator {
  primaryMetric: string | null = null;
  greaterIsBetter = true;

  constructor(readonly name: string = '') {}

  abstract evaluate(model: EmbeddingModel, context?: EvaluationContext): Promise<Record<string, number>>;

  /** "InformationRetrievalEvaluator" -> "Information Retrieval", as ST's `description` (used by model cards). */
  get description(): string {
    let className = this.constructor.name;
    const at = className.indexOf('Evaluator');
    if (at >= 0) className = className.slice(0, at);
    return className.replace(/([a-z])([A-Z])/g, '$1 $2');
  }

  /** The settings worth recording in a model card (ST's get_config_dict). */
  configDict(): Record<string, unknown> {
    return {};
  }

  /**
   * ST's prefix_name_to_metrics: every key becomes `${name}_${key}` (unchanged when name is empty), and
   * the primary metric gets the same prefix unless it already starts with it.
   */
  protected prefixNameToMetrics(metrics: Record<string, number>, name: string): Record<string, number> {
    if (!name) return { ...metrics };
    const out: Record<string, number> = {};
    for (const [key, value] of Object.entries(metrics)) out[`${name}_${key}`] = value;
    if (this.primaryMetric !== null && !this.primaryMetric.startsWith(`${name}_`)) {
      this.primaryMetric = `${name}_${this.primaryMetric}`;
    }
    return out;
  }
}

/**
 * How the trainer reports evaluator metrics (SentenceTransformerTrainer.evaluation_loop): every key not
 * already starting with `${prefix}_` is renamed to `${prefix}_${key}` and moved after the others, so
 * `dim_128_cosine_ndcg@10` is logged as `eval_dim_128_cosine_ndcg@10`.
 */
export function prefixMetricKeys(metrics: Record<string, number>, prefix = 'eval'): Record<string, number> {
  const out: Record<string, number> = {};
  const renamed: [string, number][] = [];
  for (const [key, value] of Object.entries(metrics)) {
    if (key.startsWith(`${prefix}_`)) out[key] = value;
    else renamed.push([`${prefix}_${key}`, value]);
  }
  for (const [key, value] of renamed) out[key] = value;
  return out;
}
