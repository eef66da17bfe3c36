/**
 * One fine-tuning job as the tutorials run it: load the model and data, build the evaluator, measure
 * the baseline, train, save the final model with its card, measure again, print both side by side.
 * Used by `embedforge train` and by the built-in demo.
 */
import * as path from 'path';
import { Dataset } from '../data/Dataset';
import type { SentenceEvaluator } from '../evaluation/SentenceEvaluator';
import { lossFromConfig } from '../losses/lossRegistry';
import type { LossConfig } from '../losses/LossOptions';
import { MultipleNegativesRankingLoss } from '../losses/MultipleNegativesRankingLoss';
import type { Loss } from '../losses/Loss';
import { SentenceTransformer } from '../models/SentenceTransformer';
import { Trainer } from '../training/Trainer';
import { parseTrainingArguments, type TrainingArguments } from '../training/TrainingArguments';
import { datasetRows, evaluatorFromFile, evaluatorFromRows, type EvaluatorRequest } from './buildEvaluator';
import { metricsTable } from './metricsTable';
import { createProgressReporter } from './progress';
import { normalizeData, type NormalizedData, type TrainConfig } from './trainConfig';

export interface TrainJobResult {
  outputDir: string;
  baseline: Record<string, number> | null;
  final: Record<string, number> | null;
  globalStep: number;
  trainLoss: number;
  seconds: number;
}

async function loadTrainData(spec: NormalizedData): Promise<Dataset> {
  let ds = await Dataset.load(spec.path);
  if (spec.rename) ds = ds.renameColumns(spec.rename);
  return ds;
}

export async function runTrainJob(
  config: TrainConfig,
  baseDir: string,
  options: { json?: boolean; resumeFromCheckpoint?: string | boolean; log?: (line: string) => void; model?: SentenceTransformer } = {},
): Promise<TrainJobResult> {
  const t0 = Date.now();
  const say = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const modelSpec = typeof config.model === 'string' ? { path: config.model } : config.model;
  const rawArgs = { output_dir: 'embedforge-output', ...(config.args ?? {}) } as Record<string, unknown>;
  // Relative paths in a config file mean relative to that file, output_dir included.
  rawArgs.output_dir = path.resolve(baseDir, String(rawArgs.output_dir ?? rawArgs.outputDir));
  delete rawArgs.outputDir;
  const args = parseTrainingArguments(rawArgs, 'args');
  const model = options.model ?? await SentenceTransformer.load(path.resolve(baseDir, modelSpec.path), { device: modelSpec.device ?? args.device ?? undefined });

  const trainSpec = normalizeData(config.train_data, baseDir);
  let train = await loadTrainData(trainSpec);
  const req: EvaluatorRequest = {
    name: config.evaluator?.name, matryoshkaDims: config.evaluator?.matryoshka_dims,
    scoreFunctions: config.evaluator?.score_functions, batchSize: config.evaluator?.batch_size ?? args.perDeviceEvalBatchSize,
  };
  const pairs = { idColumn: trainSpec.idColumn, anchorColumn: trainSpec.columns?.[0], positiveColumn: trainSpec.columns?.[1] };
  let evaluator: SentenceEvaluator | undefined;
  if (trainSpec.testSize !== undefined) {
    // The tutorials: hold out a test split; queries = its anchors, corpus = the positives of all rows.
    const split = train.trainTestSplit({ testSize: trainSpec.testSize, seed: trainSpec.seed ?? args.seed });
    evaluator = evaluatorFromRows(datasetRows(split.test), datasetRows(split.train), req, pairs);
    train = split.train;
  }
  if (config.eval_data !== undefined) {
    const evalSpec = normalizeData(config.eval_data, baseDir);
    evaluator = await evaluatorFromFile(evalSpec.path, req, pairs);
  }
  if (trainSpec.columns) train = train.selectColumns(trainSpec.columns);
  const loss: Loss = config.loss === undefined ? new MultipleNegativesRankingLoss() : lossFromConfig(config.loss as LossConfig);

  let baseline: Record<string, number> | null = null;
  if (evaluator) {
    say('evaluating the model before training...');
    baseline = await evaluator.evaluate(model);
  }

  const reporter = createProgressReporter(options.json);
  const trainer = new Trainer({
    model, args, trainDataset: train, loss, evaluator,
    callbacks: {
      onTrainBegin: ({ maxSteps }) => reporter.start(maxSteps),
      onStep: (s) => reporter.step(s.globalStep, { loss: s.loss, learningRate: s.learningRate, samplesPerSecond: s.samplesPerSecond }),
      onLog: (r) => reporter.log(r),
      onSave: (dir) => reporter.log({ event: 'checkpoint', path: dir }),
    },
  });
  let out;
  try {
    out = await trainer.train({ resumeFromCheckpoint: options.resumeFromCheckpoint ?? args.resumeFromCheckpoint ?? undefined });
  } finally {
    reporter.stop();
  }

  const final = evaluator ? await evaluator.evaluate(model) : null;
  model.modelCardData = {
    ...model.modelCardData,
    loss: { name: loss.name, config: loss.configDict() },
    trainingArguments: nonDefaultArguments(args),
    trainingExamples: train.numRows,
    metrics: final ?? undefined,
    baselineMetrics: baseline ?? undefined,
  };
  // Checkpoints live in output_dir; the final model gets a folder of its own so it can be written atomically.
  const finalDir = path.join(args.outputDir, 'final');
  await trainer.saveModel(finalDir);
  say(`saved the fine-tuned model to ${finalDir}`);
  if (baseline && final) say('\n' + metricsTable(baseline, final) + '\n');
  return { outputDir: finalDir, baseline, final, globalStep: out.globalStep, trainLoss: out.trainingLoss, seconds: (Date.now() - t0) / 1000 };
}

/** The arguments that differ from the defaults, for the model card (as sentence-transformers lists them). */
function nonDefaultArguments(args: TrainingArguments): Record<string, unknown> {
  const defaults = parseTrainingArguments({ output_dir: args.outputDir }) as unknown as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(args as unknown as Record<string, unknown>)) {
    if (JSON.stringify(v) !== JSON.stringify(defaults[k])) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
  }
  return out;
}
