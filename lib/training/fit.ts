/**
 * The legacy training call of sentence-transformers 2 (`model.fit`), as sentence-transformers 3+ runs it:
 * on the Trainer. Each (DataLoader, loss) objective becomes a dataset named `_dataset_<i>` (columns
 * sentence_0, sentence_1, ..., plus `label` unless every label is 0) with its loss; several objectives
 * take turns batch by batch (ROUND_ROBIN). The learning-rate schedule is fit's own: `scheduler` with
 * `warmupSteps` over steps_per_epoch * epochs, where steps_per_epoch = min over objectives of
 * floor(rows / batch size). The evaluator also runs at the end of every epoch; with `outputPath` the
 * model is saved there each time the evaluator's primary metric improves (or once at the end without
 * an evaluator).
 */
import * as fs from 'fs';
import * as path from 'path';
import { createProgressReporter } from '../cli/progress';
import { DataLoader } from '../data/DataLoader';
import { Dataset } from '../data/Dataset';
import type { InputExample } from '../data/InputExample';
import { NoDuplicatesDataLoader } from '../data/NoDuplicatesDataLoader';
import type { SentenceEvaluator } from '../evaluation/SentenceEvaluator';
import type { Loss } from '../losses/Loss';
import type { SentenceTransformer } from '../models/SentenceTransformer';
import { Trainer } from './Trainer';
import type { LrSchedulerName } from './TrainingArguments';

export interface FitOptions {
  /** (examples, loss) pairs; examples as a DataLoader (batch size) or a plain list (batch size 8, fit's default). */
  trainObjectives: [DataLoader | readonly InputExample[], Loss][];
  evaluator?: SentenceEvaluator;
  epochs?: number;
  /** With epochs = 1: train this many steps. */
  stepsPerEpoch?: number | null;
  /** WarmupLinear (default), WarmupCosine, WarmupConstant, ConstantLR, WarmupCosineWithHardRestarts. */
  scheduler?: string;
  warmupSteps?: number;
  /** AdamW's options; lr default 2e-5. */
  optimizerParams?: { lr?: number };
  weightDecay?: number;
  evaluationSteps?: number;
  outputPath?: string | null;
  saveBestModel?: boolean;
  maxGradNorm?: number;
  useAmp?: boolean;
  /** Called after each evaluation with (score, epoch, steps). */
  callback?: (score: number, epoch: number, steps: number) => void;
  showProgressBar?: boolean;
  checkpointPath?: string | null;
  checkpointSaveSteps?: number;
  checkpointSaveTotalLimit?: number;
  resumeFromCheckpoint?: boolean;
  /** embedforge's addition: called after every optimizer step with the step's number and loss. */
  onStep?: (info: { globalStep: number; epoch: number; loss: number }) => void;
}

const SCHEDULERS: Record<string, LrSchedulerName> = {
  constantlr: 'constant', warmupconstant: 'constant_with_warmup', warmuplinear: 'linear', warmupcosine: 'cosine',
  warmupcosinewithhardrestarts: 'cosine_with_restarts',
};

/** The dataset fit builds from one objective's examples. */
function datasetOf(examples: readonly InputExample[], name: string): Dataset {
  const width = examples[0].texts.length;
  const records = examples.map((ex, i) => {
    if (ex.texts.length !== width) throw new Error(`fit: ${name} example ${i} has ${ex.texts.length} texts, example 0 has ${width}; every example of an objective needs the same number`);
    const row: Record<string, unknown> = {};
    ex.texts.forEach((t, c) => { row[`sentence_${c}`] = t; });
    row.label = ex.label;
    return row;
  });
  const ds = Dataset.fromRecords(records, `fit ${name}`);
  // InputExample's label defaults to 0: a column of zeros is no label column (as sentence-transformers decides).
  return examples.every((ex) => ex.label === 0) ? ds.selectColumns(Array.from({ length: width }, (_, c) => `sentence_${c}`)) : ds;
}

function defaultCheckpointDir(): string {
  let dir = path.join('checkpoints', 'model');
  for (let i = 1; fs.existsSync(dir) && fs.readdirSync(dir).length > 0; i++) dir = path.join('checkpoints', `model_${i}`);
  return dir;
}

export async function fit(model: SentenceTransformer, options: FitOptions): Promise<void> {
  const objectives = options.trainObjectives;
  if (!Array.isArray(objectives) || objectives.length === 0) throw new Error('fit: trainObjectives must hold at least one [examples, loss] pair');
  const epochs = options.epochs ?? 1;
  const datasets: Record<string, Dataset> = {};
  const losses: Record<string, Loss> = {};
  let batchSize = 8;
  let batchSampler: 'batch_sampler' | 'no_duplicates' = 'batch_sampler';
  objectives.forEach(([loader, loss], i) => {
    const name = `_dataset_${i + 1}`;
    if (loader instanceof NoDuplicatesDataLoader) batchSampler = 'no_duplicates';
    if (loader instanceof DataLoader) batchSize = loader.batchSize;
    const examples = loader instanceof DataLoader ? loader.examples : loader;
    if (!Array.isArray(examples) || examples.length === 0) throw new Error(`fit: objective ${i + 1} has no examples`);
    datasets[name] = datasetOf(examples, name);
    losses[name] = loss;
  });

  let maxSteps = -1;
  let stepsPerEpoch = options.stepsPerEpoch ?? null;
  if (stepsPerEpoch !== null && stepsPerEpoch > 0) {
    if (epochs === 1) maxSteps = stepsPerEpoch;
    else stepsPerEpoch = null; // as sentence-transformers: steps_per_epoch with epochs > 1 trains full epochs
  }
  if (!stepsPerEpoch) stepsPerEpoch = Math.min(...Object.values(datasets).map((d) => Math.floor(d.numRows / batchSize)));
  const scheduler = SCHEDULERS[(options.scheduler ?? 'WarmupLinear').toLowerCase()];
  if (!scheduler) throw new Error(`fit: unknown scheduler ${JSON.stringify(options.scheduler)}; use one of ConstantLR, WarmupConstant, WarmupLinear, WarmupCosine, WarmupCosineWithHardRestarts`);
  const evaluationSteps = options.evaluationSteps ?? 0;
  const checkpointPath = options.checkpointPath ?? null;

  // A progress bar on a terminal, as fit's tqdm; nothing otherwise (an API call prints no JSON lines).
  const progress = options.showProgressBar !== false && process.stderr.isTTY ? createProgressReporter() : null;
  const position = { epoch: 0, steps: 0 };
  const onEvaluate = saveBestModel(model, options, position);
  const trainer: Trainer = new Trainer({
    model,
    trainDataset: datasets,
    loss: losses,
    evaluator: options.evaluator,
    lrScheduleTotalSteps: stepsPerEpoch * epochs,
    args: {
      output_dir: checkpointPath ?? defaultCheckpointDir(),
      batch_sampler: batchSampler,
      multi_dataset_batch_sampler: 'round_robin',
      per_device_train_batch_size: batchSize,
      per_device_eval_batch_size: batchSize,
      num_train_epochs: epochs,
      max_steps: maxSteps,
      eval_strategy: evaluationSteps > 0 ? 'steps' : 'no',
      ...(evaluationSteps > 0 ? { eval_steps: evaluationSteps } : {}),
      max_grad_norm: options.maxGradNorm ?? 1,
      fp16: options.useAmp ?? false,
      save_strategy: checkpointPath !== null ? 'steps' : 'no',
      save_steps: options.checkpointSaveSteps ?? 500,
      ...(options.checkpointSaveTotalLimit ? { save_total_limit: options.checkpointSaveTotalLimit } : {}),
      learning_rate: options.optimizerParams?.lr ?? 2e-5,
      weight_decay: options.weightDecay ?? 0.01,
      lr_scheduler_type: scheduler,
      warmup_steps: options.warmupSteps ?? 10000,
    },
    callbacks: {
      onTrainBegin: ({ maxSteps: total }) => progress?.start(total),
      onStep: (s) => {
        position.epoch = s.epoch;
        position.steps = s.globalStep;
        progress?.step(s.globalStep, { loss: s.loss, learningRate: s.learningRate, samplesPerSecond: s.samplesPerSecond });
        options.onStep?.({ globalStep: s.globalStep, epoch: s.epoch, loss: s.loss });
      },
      onEvaluate,
      // fit always evaluated at each epoch's end, besides every evaluationSteps.
      onEpochEnd: async () => {
        if (options.evaluator) await onEvaluate(await trainer.evaluate());
      },
    },
  });
  try {
    await trainer.train({ resumeFromCheckpoint: checkpointPath !== null && options.resumeFromCheckpoint ? true : undefined });
  } finally {
    progress?.stop();
  }
  if (!options.evaluator && options.outputPath) await model.save(options.outputPath);
}

/** fit's SaveModelCallback and the user's callback, on every evaluation (the trainer's and the epoch-end one). */
function saveBestModel(model: SentenceTransformer, options: FitOptions, position: { epoch: number; steps: number }) {
  let best: number | null = null;
  const evaluator = options.evaluator;
  return async (metrics: Record<string, number>): Promise<void> => {
    if (!evaluator?.primaryMetric) return;
    const key = Object.keys(metrics).find((k) => k.endsWith(evaluator.primaryMetric!));
    if (key === undefined) return;
    const value = metrics[key];
    if (options.outputPath && (options.saveBestModel ?? true)) {
      if (best === null || (evaluator.greaterIsBetter ? value > best : value < best)) {
        best = value;
        await model.save(options.outputPath);
      }
    }
    options.callback?.(value, position.epoch, position.steps);
  };
}
