import type { EmbeddingModel } from './EmbeddingModel';
import { SentenceEvaluator, type EvaluationContext } from './SentenceEvaluator';

/**
 * Runs several evaluators in turn, as sentence-transformers' SequentialEvaluator: their metrics merged
 * into one object (a later key overwrites an earlier one in place), plus `sequential_score`, which is
 * mainScoreFunction applied to each evaluator's primary metric (default: the last evaluator's) and is
 * this evaluator's primary metric. E.g. over Matryoshka dims [768, 256, 64] the sequential score is
 * `dim_64_cosine_ndcg@10`.
 */
export class SequentialEvaluator extends SentenceEvaluator {
  constructor(
    readonly evaluators: SentenceEvaluator[],
    readonly mainScoreFunction: (scores: number[]) => number = (scores) => scores[scores.length - 1],
  ) {
    super('');
  }

  async evaluate(model: EmbeddingModel, context: EvaluationContext = {}): Promise<Record<string, number>> {
    const results: Record<string, number> = {};
    const scores: number[] = [];
    for (const evaluator of this.evaluators) {
      const metrics = await evaluator.evaluate(model, context);
      const keys = Object.keys(metrics);
      const key = evaluator.primaryMetric ?? keys[0];
      if (key === undefined || !(key in metrics)) {
        throw new Error(`${evaluator.constructor.name} ${JSON.stringify(evaluator.name)}: primary metric ${JSON.stringify(key)} is not among its metrics (${keys.join(', ')})`);
      }
      scores.push(metrics[key]);
      Object.assign(results, metrics);
    }
    this.primaryMetric = 'sequential_score';
    results.sequential_score = scores.length === 0 ? 0 : this.mainScoreFunction(scores);
    return results;
  }
}
