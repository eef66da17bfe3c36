/**
 * One fine-tuning job as the tutorials run it: load the model and data, build the evaluator, measure
 * the baseline, train, save the final model with its card, measure again, print both side by side.
 * Used by `embedforge train` and by the built-in demo.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/Dataset';
import type { PairsOptions } from '../evaluation/irDatasets';
import { columnRoles, textColumn } from '../data/inputColumns';
import { DenoisingAutoEncoderDataset } from '../data/DenoisingAutoEncoderDataset';
import { ContrastiveTensionDataLoader } from '../losses/ContrastiveTensionDataLoader';
import { localPathOrHubId, resolveModelPath } from '../hub/resolveModelPath';
import { lossFromConfig } from '../losses/lossRegistry';
import type { LossConfig } from '../losses/LossOptions';
import { MultipleNegativesRankingLoss } from '../losses/MultipleNegativesRankingLoss';
import type { Loss } from '../losses/Loss';
import { SentenceTransformer } from '../models/SentenceTransformer';
import type { OutputDirLock } from '../training/outputDirLock';
import { Trainer } from '../training/Trainer';
import { parseTrainingArguments, type TrainingArguments } from '../training/TrainingArguments';
import { evaluatorFromConfig } from './buildEvaluator';
import { metricsTable } from './metricsTable';
import { createProgressReporter } from './progress';
import { isDatasetMap, normalizeData, type DatasetsSpec, type NamedDataSpec, type NormalizedData, type TrainConfig } from './trainConfig';

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

/** A map of named datasets, each loaded with its columns and renames, and each one's own loss (if it names one). */
async function loadDatasetMap(spec: Record<string, NamedDataSpec>, baseDir: string, role: string): Promise<{
  datasets: Record<string, Dataset>; losses: Record<string, Loss | undefined>;
}> {
  const datasets: Record<string, Dataset> = {};
  const losses: Record<string, Loss | undefined> = {};
  const names = Object.keys(spec);
  if (names.length === 0) throw new Error(`${role}: an empty map; name at least one dataset`);
  for (const name of names) {
    const entry = spec[name];
    const data = normalizeData(typeof entry === 'string' ? entry : { path: entry.path, columns: entry.columns, rename: entry.rename }, baseDir);
    let ds = await loadTrainData(data);
    if (data.columns) ds = ds.selectColumns(data.columns);
    datasets[name] = ds;
    losses[name] = typeof entry === 'object' && entry.loss !== undefined ? await lossFromFileConfig(entry.loss as LossConfig, baseDir) : undefined;
  }
  return { datasets, losses };
}

/** A loss config with its `guide:` models (GIST, at any depth) resolved: folders against the config file's folder, hub ids through the cache. */
async function lossFromFileConfig(config: LossConfig, baseDir: string): Promise<Loss> {
  const resolve = async (c: unknown): Promise<unknown> => {
    if (Array.isArray(c)) return Promise.all(c.map(resolve));
    if (c === null || typeof c !== 'object') return c;
    return Object.fromEntries(await Promise.all(Object.entries(c).map(async ([k, v]) =>
      [k, k === 'guide' && typeof v === 'string' ? (await resolveModelPath(localPathOrHubId(v, baseDir))).dir : await resolve(v)])));
  };
  return lossFromConfig(await resolve(config) as LossConfig);
}

/**
 * DenoisingAutoEncoderLoss and ContrastiveTensionLoss train on single sentences through a data step of their
 * own (sentence-transformers' DenoisingAutoEncoderDataset and ContrastiveTensionDataLoader): given one
 * column of sentences, the command makes their (damaged, original) or (sentence, sentence, 1/0) rows, seeded
 * with the training seed.
 */
function unsupervisedPairs(ds: Dataset, loss: Loss, args: TrainingArguments): Dataset {
  if (loss.name !== 'DenoisingAutoEncoderLoss' && loss.name !== 'ContrastiveTensionLoss') return ds;
  const inputs = columnRoles(ds).inputs;
  if (inputs.length !== 1) return ds;
  const sentences = textColumn(ds, inputs[0]);
  if (loss.name === 'DenoisingAutoEncoderLoss') return new DenoisingAutoEncoderDataset(sentences, { seed: args.seed }).toDataset();
  return new ContrastiveTensionDataLoader(sentences, { batchSize: args.perDeviceTrainBatchSize, seed: args.seed }).toDataset();
}

/** One loss for all datasets, or per dataset its own (falling back to the config's top-level loss). */
function lossesFor(names: string[], own: Record<string, Loss | undefined>, shared: Loss): Loss | Record<string, Loss> {
  if (names.every((n) => own[n] === undefined)) return shared;
  return Object.fromEntries(names.map((n) => [n, own[n] ?? shared]));
}

type TrainJobOptions = { json?: boolean; resumeFromCheckpoint?: string | boolean; log?: (line: string) => void; model?: SentenceTransformer };

export async function runTrainJob(config: TrainConfig, baseDir: string, options: TrainJobOptions = {}): Promise<TrainJobResult> {
  const say = options.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const rawArgs = { output_dir: 'embedforge-output', ...(config.args ?? {}) } as Record<string, unknown>;
  // Relative paths in a config file mean relative to that file, output_dir included.
  rawArgs.output_dir = path.resolve(baseDir, String(rawArgs.output_dir ?? rawArgs.outputDir));
  delete rawArgs.outputDir;
  const args = parseTrainingArguments(rawArgs, 'args');
  // Before anything slow: output_dir must be writable and not in use by another run; held until final/ is saved.
  const lock = Trainer.prepareOutputDir(args.outputDir, say);
  const owned: SentenceTransformer[] = [];
  try {
    return await runLockedTrainJob(config, baseDir, options, args, lock, say, owned);
  } finally {
    for (const m of owned) await m.dispose(); // the model the job loaded: native memory freed now, however the job ended
    lock.release();
  }
}

async function runLockedTrainJob(
  config: TrainConfig, baseDir: string, options: TrainJobOptions, args: TrainingArguments, lock: OutputDirLock, say: (line: string) => void,
  owned: SentenceTransformer[],
): Promise<TrainJobResult> {
  const t0 = Date.now();
  const modelSpec = typeof config.model === 'string' ? { path: config.model } : config.model;
  const model = options.model ?? await SentenceTransformer.load(localPathOrHubId(modelSpec.path, baseDir),
    { device: modelSpec.device ?? args.device ?? undefined, revision: 'revision' in modelSpec ? modelSpec.revision : undefined });
  if (model !== options.model) owned.push(model);

  const sharedLoss: Loss = config.loss === undefined ? new MultipleNegativesRankingLoss() : await lossFromFileConfig(config.loss as LossConfig, baseDir);
  let trainDataset: Dataset | Record<string, Dataset>;
  let loss: Loss | Record<string, Loss>;
  let testSplit: { train: Dataset; test: Dataset } | undefined;
  let pairs: PairsOptions = {};
  if (isDatasetMap(config.train_data)) {
    const map = await loadDatasetMap(config.train_data, baseDir, 'train_data');
    loss = lossesFor(Object.keys(map.datasets), map.losses, sharedLoss);
    const lossOf = (name: string): Loss => (typeof (loss as Loss).toSpec === 'function' ? (loss as Loss) : (loss as Record<string, Loss>)[name]);
    trainDataset = Object.fromEntries(Object.entries(map.datasets).map(([name, ds]) => [name, unsupervisedPairs(ds, lossOf(name), args)]));
  } else {
    const trainSpec = normalizeData(config.train_data, baseDir);
    let train = await loadTrainData(trainSpec);
    pairs = { idColumn: trainSpec.idColumn, anchorColumn: trainSpec.columns?.[0], positiveColumn: trainSpec.columns?.[1] };
    if (trainSpec.testSize !== undefined) {
      // The tutorials: hold out a test split; queries = its anchors, corpus = the positives of all rows.
      const split = train.trainTestSplit({ testSize: trainSpec.testSize, seed: trainSpec.seed ?? args.seed });
      testSplit = split;
      train = split.train;
    }
    if (trainSpec.columns) train = train.selectColumns(trainSpec.columns);
    trainDataset = unsupervisedPairs(train, sharedLoss, args);
    loss = sharedLoss;
  }
  const evaluator = await evaluatorFromConfig(config.evaluator, {
    file: config.eval_data === undefined ? undefined : normalizeData(config.eval_data, baseDir).path,
    split: testSplit, pairs, baseDir, batchSize: args.perDeviceEvalBatchSize,
  });
  const evalDataset = config.eval_dataset === undefined ? undefined : await loadDatasets(config.eval_dataset, baseDir, 'eval_dataset');
  const numExamples = trainDataset instanceof Dataset ? trainDataset.numRows : Object.values(trainDataset).reduce((n, d) => n + d.numRows, 0);

  let baseline: Record<string, number> | null = null;
  if (evaluator) {
    say('evaluating the model before training...');
    baseline = await evaluator.evaluate(model);
  }

  const reporter = createProgressReporter(options.json);
  if (baseline) reporter.evaluation('before_training', baseline);
  const trainer = new Trainer({
    model, args, trainDataset, loss, evaluator, evalDataset, log: say,
    callbacks: {
      onTrainBegin: ({ maxSteps }) => reporter.start(maxSteps),
      onStep: (s) => reporter.step(s.globalStep, { loss: s.loss, learningRate: s.learningRate, samplesPerSecond: s.samplesPerSecond }),
      onLog: (r) => reporter.log(r),
      onSave: (dir) => reporter.log({ event: 'checkpoint', path: dir }),
    },
  });
  // The baseline's metric names settle metric_for_best_model before training, with no extra evaluation.
  await trainer.checkMetricForBestModel(baseline ?? undefined);
  let out;
  try {
    out = await trainer.train({ resumeFromCheckpoint: options.resumeFromCheckpoint ?? args.resumeFromCheckpoint ?? undefined, outputDirLock: lock });
  } finally {
    reporter.stop();
  }
  // Checkpoints live in output_dir; the final model gets a folder of its own so it can be written atomically.
  const finalDir = path.join(args.outputDir, 'final');
  if (out.alreadyFinished && fs.existsSync(path.join(finalDir, 'model.safetensors'))) {
    say(`the final model of this finished run is in ${finalDir}; nothing was changed`);
    return { outputDir: finalDir, baseline, final: null, globalStep: out.globalStep, trainLoss: out.trainingLoss, seconds: (Date.now() - t0) / 1000 };
  }

  const final = evaluator ? await evaluator.evaluate(model) : null;
  if (final) reporter.evaluation('after_training', final);
  model.modelCardData = {
    ...model.modelCardData,
    loss: describeLosses(loss),
    trainingArguments: nonDefaultArguments(args),
    trainingExamples: numExamples,
    metrics: final ?? undefined,
    baselineMetrics: baseline ?? undefined,
  };
  await trainer.saveModel(finalDir);
  say(`saved the fine-tuned model to ${finalDir}`);
  if (baseline && final) say('\n' + metricsTable(baseline, final) + '\n');
  return { outputDir: finalDir, baseline, final, globalStep: out.globalStep, trainLoss: out.trainingLoss, seconds: (Date.now() - t0) / 1000 };
}

/** eval_dataset: one file (or spec) or a map of named ones; their losses are the training's. */
async function loadDatasets(spec: DatasetsSpec, baseDir: string, role: string): Promise<Dataset | Record<string, Dataset>> {
  if (isDatasetMap(spec)) {
    const map = await loadDatasetMap(spec, baseDir, role);
    const own = Object.keys(map.losses).filter((n) => map.losses[n] !== undefined);
    if (own.length) throw new Error(`${role}: "${own.join('", "')}" name a loss; an evaluation dataset uses the training loss of the same name`);
    return map.datasets;
  }
  const data = normalizeData(spec, baseDir);
  const ds = await loadTrainData(data);
  return data.columns ? ds.selectColumns(data.columns) : ds;
}

/** The model card's loss entry: one loss, or one per dataset. */
function describeLosses(loss: Loss | Record<string, Loss>): { name: string; config: Record<string, unknown> } {
  if (typeof (loss as Loss).toSpec === 'function') return { name: (loss as Loss).name, config: (loss as Loss).configDict() };
  const entries = Object.entries(loss as Record<string, Loss>);
  return { name: entries.map(([n, l]) => `${n}: ${l.name}`).join(', '), config: Object.fromEntries(entries.map(([n, l]) => [n, { loss: l.name, ...l.configDict() }])) };
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
