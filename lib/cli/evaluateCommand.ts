import { SentenceTransformer } from '../models/SentenceTransformer';
import { EVALUATOR_TYPES, evaluatorFromConfig, parseEvaluatorConfig, type EvaluatorType } from './buildEvaluator';

export interface EvaluateOptions {
  /** A model folder or a hub id. */
  model: string;
  /** Hub revision of `model`. */
  revision?: string;
  data: string;
  /** ir (default), triplet, similarity, binary, reranking or paraphrase. */
  evaluator?: string;
  matryoshkaDims?: number[];
  /** The similarity functions to report: ir's score_functions, the pair evaluators' similarity_fn_names, reranking's similarity_fct. */
  scoreFunctions?: string[];
  batchSize?: number;
  device?: string;
  json?: boolean;
}

/** The spec an evaluate command line amounts to, in a config's terms. */
function specFromOptions(o: EvaluateOptions): Record<string, unknown> {
  const type = (o.evaluator ?? 'ir') as EvaluatorType;
  if (!EVALUATOR_TYPES.includes(type)) throw new Error(`--evaluator ${o.evaluator}: expected one of ${EVALUATOR_TYPES.join(', ')}`);
  const spec: Record<string, unknown> = { type, matryoshka_dims: o.matryoshkaDims, batch_size: o.batchSize };
  if (o.scoreFunctions) {
    if (type === 'ir') spec.score_functions = o.scoreFunctions;
    else if (type === 'reranking') {
      if (o.scoreFunctions.length !== 1) throw new Error(`--score-functions: the reranking evaluator scores with one function, got ${o.scoreFunctions.join(',')}`);
      spec.similarity_fct = o.scoreFunctions[0];
    } else if (type === 'paraphrase') throw new Error('--score-functions: the paraphrase evaluator mines by cosine similarity only');
    else spec.similarity_fn_names = o.scoreFunctions;
  }
  return Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined));
}

/** `embedforge evaluate`: an evaluator's metrics (sentence-transformers' keys) of a model folder on a data file. */
export async function evaluateCommand(o: EvaluateOptions): Promise<Record<string, number>> {
  const config = parseEvaluatorConfig(specFromOptions(o), 'evaluate');
  const model = await SentenceTransformer.load(o.model, { device: o.device, revision: o.revision });
  let metrics: Record<string, number>;
  try {
    const evaluator = (await evaluatorFromConfig(config, { file: o.data }))!;
    metrics = await evaluator.evaluate(model);
  } finally {
    await model.dispose(); // the model's native memory goes now, not at garbage collection
  }
  if (o.json) {
    process.stdout.write(JSON.stringify(metrics) + '\n');
  } else {
    const width = Math.max(...Object.keys(metrics).map((k) => k.length));
    for (const [k, v] of Object.entries(metrics)) process.stdout.write(`${k.padEnd(width)}  ${v.toFixed(4)}\n`);
  }
  return metrics;
}
