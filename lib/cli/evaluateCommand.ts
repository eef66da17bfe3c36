import { SentenceTransformer } from '../models/SentenceTransformer';
import { evaluatorFromFile } from './buildEvaluator';

export interface EvaluateOptions {
  model: string;
  data: string;
  matryoshkaDims?: number[];
  scoreFunctions?: ('cosine' | 'dot')[];
  batchSize?: number;
  device?: string;
  json?: boolean;
}

/** `embedforge evaluate`: retrieval metrics of a model folder on a data file. */
export async function evaluateCommand(o: EvaluateOptions): Promise<Record<string, number>> {
  const model = await SentenceTransformer.load(o.model, { device: o.device });
  const evaluator = await evaluatorFromFile(o.data, { matryoshkaDims: o.matryoshkaDims, scoreFunctions: o.scoreFunctions, batchSize: o.batchSize });
  const metrics = await evaluator.evaluate(model);
  if (o.json) {
    process.stdout.write(JSON.stringify(metrics) + '\n');
  } else {
    const width = Math.max(...Object.keys(metrics).map((k) => k.length));
    for (const [k, v] of Object.entries(metrics)) process.stdout.write(`${k.padEnd(width)}  ${v.toFixed(4)}\n`);
  }
  return metrics;
}
