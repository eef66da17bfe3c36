/**
 * The training loop, with the Hugging Face Trainer's step semantics as sentence-transformers uses them:
 * epochs of batches from the sampler, grouped into gradient-accumulation groups (the last group of an
 * epoch may be shorter, and its micro-batch losses are divided by its real size), one optimizer step per
 * group at the learning rate the schedule gives for that step, logging/evaluation/saving on the
 * configured strategies, checkpoints that can be resumed exactly, and the best model reloaded at the end.
 *
 * Each micro-batch is one asynchronous addon call (forward, loss, backward, and the optimizer step at
 * a group boundary); the next batch is collated while the current one runs.
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadAddon } from '../binding/addon';
import type { TrainStepRequest } from '../binding/AddonTypes';
import { createBatchSampler, type BatchSampler } from '../data/BatchSampler';
import { collateBatch } from '../data/collate';
import type { Dataset } from '../data/Dataset';
import { trainingColumns } from '../data/inputColumns';
import type { SentenceEvaluator } from '../evaluation/SentenceEvaluator';
import type { Loss } from '../losses/Loss';
import { MatryoshkaLoss } from '../losses/MatryoshkaLoss';
import type { SentenceTransformer } from '../models/SentenceTransformer';
import { CheckpointManager } from './CheckpointManager';
import { createLrSchedule } from './lrSchedules';
import { parseTrainingArguments, type TrainingArguments } from './TrainingArguments';
import { computeTrainingSteps } from './trainingSteps';
import { type LogEntry, type TrainerStateJson, readTrainerState, writeTrainerState } from './TrainerState';
import { resolvePrecision } from './precision';

export interface TrainerCallbacks {
  onTrainBegin?(info: { maxSteps: number; numEpochs: number; numExamples: number; startStep: number }): void;
  /** After every optimizer step. */
  onStep?(info: { globalStep: number; epoch: number; loss: number; learningRate: number; samplesPerSecond: number }): void;
  /** Every logging_steps (and the final summary). */
  onLog?(record: LogEntry): void;
  onEvaluate?(metrics: Record<string, number>): void;
  onSave?(checkpointDir: string): void;
}

export interface TrainerOptions {
  model: SentenceTransformer;
  args?: TrainingArguments | Record<string, unknown>;
  trainDataset: Dataset;
  loss: Loss;
  evaluator?: SentenceEvaluator;
  callbacks?: TrainerCallbacks;
}

export interface TrainOutput {
  globalStep: number;
  /** Mean micro-batch loss over all optimizer steps, as HF's train_loss. */
  trainingLoss: number;
  metrics: Record<string, number>;
  bestModelCheckpoint: string | null;
}

const TRAINING_STATE = 'training_state.safetensors';

export class Trainer {
  readonly model: SentenceTransformer;
  readonly args: TrainingArguments;
  readonly trainDataset: Dataset;
  readonly loss: Loss;
  readonly evaluator?: SentenceEvaluator;
  private readonly callbacks: TrainerCallbacks;
  private readonly checkpoints: CheckpointManager;
  private state: TrainerStateJson;
  /** Every step's micro-batch-mean loss, for tests and reports. */
  readonly stepLosses: number[] = [];

  constructor(options: TrainerOptions) {
    this.model = options.model;
    this.args = isParsed(options.args) ? options.args : parseTrainingArguments(options.args ?? {});
    this.trainDataset = options.trainDataset;
    this.loss = options.loss;
    this.evaluator = options.evaluator;
    this.callbacks = options.callbacks ?? {};
    this.checkpoints = new CheckpointManager(this.args.outputDir);
    this.state = freshState(this.args);
  }

  /** Runs the evaluator on the current model; metrics come back prefixed "eval_" as the HF Trainer logs them. */
  async evaluate(): Promise<Record<string, number>> {
    if (!this.evaluator) throw new Error('Trainer.evaluate: no evaluator was given');
    const raw = await this.evaluator.evaluate(this.model, {
      outputPath: path.join(this.args.outputDir, 'eval'), epoch: this.state.epoch, steps: this.state.global_step,
    });
    const metrics: Record<string, number> = {};
    for (const [k, v] of Object.entries(raw)) metrics[k.startsWith('eval_') ? k : `eval_${k}`] = v;
    return metrics;
  }

  async train(options: { resumeFromCheckpoint?: string | boolean } = {}): Promise<TrainOutput> {
    const args = this.args;
    const addon = loadAddon();
    const started = Date.now();

    const columns = trainingColumns(this.trainDataset);
    this.loss.checkInputColumns(columns.inputs);
    if (this.loss instanceof MatryoshkaLoss) this.loss.checkEmbeddingDim(this.model.embeddingDim);
    const numExamples = this.trainDataset.numRows;
    if (args.perDeviceTrainBatchSize > numExamples) {
      throw new Error(`per_device_train_batch_size ${args.perDeviceTrainBatchSize} is larger than the ${numExamples} rows of the training data (${this.trainDataset.source}); lower the batch size`);
    }
    const tokenized = columns.texts.map((col) => this.model.tokenize(col));
    const sampler: BatchSampler = createBatchSampler(args.batchSampler, {
      texts: columns.texts, batchSize: args.perDeviceTrainBatchSize, dropLast: args.dataloaderDropLast, seed: args.seed,
    });
    const batchesPerEpoch = sampler.batchesPerEpoch();
    const steps = computeTrainingSteps({
      batchesPerEpoch, gradientAccumulationSteps: args.gradientAccumulationSteps,
      numTrainEpochs: args.numTrainEpochs, maxSteps: args.maxSteps, warmupSteps: args.warmupSteps, warmupRatio: args.warmupRatio,
    });
    const schedule = createLrSchedule(args.lrSchedulerType, {
      learningRate: args.learningRate, warmupSteps: steps.warmupSteps, totalSteps: steps.maxSteps, kwargs: args.lrSchedulerKwargs,
    });
    const precision = resolvePrecision(args, this.model.device, addon.deviceInfo());
    addon.manualSeed(args.seed);
    this.model.native.configureTraining({
      loss: this.loss.toSpec(),
      optimizer: { weightDecay: args.weightDecay, beta1: args.adamBeta1, beta2: args.adamBeta2, eps: args.adamEpsilon },
      precision: precision.precision, tf32: precision.tf32,
    });

    this.state = freshState(args, steps.maxSteps, args.perDeviceTrainBatchSize);
    if (options.resumeFromCheckpoint) await this.resume(this.checkpoints.resolveResume(options.resumeFromCheckpoint));
    const startStep = this.state.global_step;
    this.callbacks.onTrainBegin?.({ maxSteps: steps.maxSteps, numEpochs: steps.numEpochs, numExamples, startStep });

    const accum = args.gradientAccumulationSteps;
    let trLoss = 0; // sum over steps since the last log of (micro-batch loss / group size)
    let totalLoss = 0;
    let lastLoggedStep = startStep;
    let lastGradNorm = NaN;
    let samplesSinceTick = 0;
    let tick = Date.now();
    const updatesPerEpoch = steps.updatesPerEpoch;

    outer: for (let epoch = Math.floor(startStep / updatesPerEpoch); epoch < steps.numEpochs; epoch++) {
      const batches = sampler.epochBatches(epoch);
      const firstUpdate = epoch === Math.floor(startStep / updatesPerEpoch) ? startStep % updatesPerEpoch : 0;
      for (let update = firstUpdate; update < updatesPerEpoch; update++) {
        const group = batches.slice(update * accum, Math.min((update + 1) * accum, batches.length));
        const lr = schedule(this.state.global_step);
        let next = collateBatch(group[0], tokenized, columns.labels);
        let stepLoss = 0;
        for (let i = 0; i < group.length; i++) {
          const request: TrainStepRequest = {
            texts: next.texts, numColumns: next.numColumns, lossDivisor: group.length,
            optimizerStep: i === group.length - 1, learningRate: lr, maxGradNorm: args.maxGradNorm,
          };
          const pending = this.model.native.trainStep(request);
          if (i + 1 < group.length) next = collateBatch(group[i + 1], tokenized, columns.labels);
          let result;
          try {
            result = await pending;
          } catch (e) {
            throw this.stepFailure(e as Error, epoch, group[i].length);
          }
          stepLoss += result.loss / group.length;
          samplesSinceTick += group[i].length;
          if (request.optimizerStep) lastGradNorm = result.gradNorm;
        }
        this.state.global_step += 1;
        this.state.epoch = epoch + (update + 1) / updatesPerEpoch;
        trLoss += stepLoss;
        totalLoss += stepLoss;
        this.stepLosses.push(stepLoss);
        const now = Date.now();
        const samplesPerSecond = (samplesSinceTick * 1000) / Math.max(1, now - tick);
        samplesSinceTick = 0;
        tick = now;
        this.callbacks.onStep?.({ globalStep: this.state.global_step, epoch: this.state.epoch, loss: stepLoss, learningRate: lr, samplesPerSecond });

        const gs = this.state.global_step;
        if (gs % args.loggingSteps === 0 || (args.loggingFirstStep && gs === 1)) {
          this.log({ loss: round(trLoss / (gs - lastLoggedStep), 4), grad_norm: lastGradNorm, learning_rate: lr, epoch: round(this.state.epoch, 4) });
          trLoss = 0;
          lastLoggedStep = gs;
        }
        const endOfRun = gs >= steps.maxSteps;
        const endOfEpoch = update === updatesPerEpoch - 1;
        const evalNow = (args.evalStrategy === 'steps' && gs % args.evalSteps === 0) || (args.evalStrategy === 'epoch' && endOfEpoch);
        const saveNow = (args.saveStrategy === 'steps' && gs % args.saveSteps === 0) || (args.saveStrategy === 'epoch' && endOfEpoch)
          || (args.saveStrategy === 'best' && false);
        let metrics: Record<string, number> | null = null;
        if (evalNow && this.evaluator) metrics = await this.evaluateDuringTraining();
        if (saveNow || (args.saveStrategy === 'best' && metrics && this.isNewBest(metrics))) await this.saveCheckpoint(metrics);
        if (endOfRun) break outer;
      }
    }

    const runtime = (Date.now() - started) / 1000;
    const stepsRun = this.state.global_step - startStep;
    if (args.loadBestModelAtEnd && this.state.best_model_checkpoint) {
      await this.model.native.loadWeights(path.join(this.state.best_model_checkpoint, 'model.safetensors'));
    }
    const metrics = {
      train_runtime: round(runtime, 4),
      train_samples_per_second: round((stepsRun * args.perDeviceTrainBatchSize * accum) / runtime, 3),
      train_steps_per_second: round(stepsRun / runtime, 3),
      train_loss: stepsRun > 0 ? totalLoss / stepsRun : NaN,
      epoch: this.state.epoch,
    };
    this.log(metrics);
    return { globalStep: this.state.global_step, trainingLoss: metrics.train_loss, metrics, bestModelCheckpoint: this.state.best_model_checkpoint };
  }

  /** The model (and its card) into output_dir, or dir. */
  async saveModel(dir: string = this.args.outputDir): Promise<void> {
    await this.model.save(dir);
  }

  private log(record: LogEntry): void {
    const entry = { ...record, step: this.state.global_step };
    this.state.log_history.push(entry);
    this.callbacks.onLog?.(entry);
  }

  private async evaluateDuringTraining(): Promise<Record<string, number>> {
    const metrics = await this.evaluate();
    this.log({ ...metrics, epoch: round(this.state.epoch, 4) });
    this.callbacks.onEvaluate?.(metrics);
    if (this.args.saveStrategy !== 'best') this.trackBest(metrics, null);
    return metrics;
  }

  private metricForBest(metrics: Record<string, number>): { key: string; value: number } | null {
    let key = this.args.metricForBestModel;
    if (!key) {
      if (!this.evaluator?.primaryMetric) return null;
      key = this.evaluator.primaryMetric;
    }
    if (!key.startsWith('eval_')) key = `eval_${key}`;
    if (!(key in metrics)) {
      throw new Error(`metric_for_best_model "${this.args.metricForBestModel ?? key}" is not among the evaluation metrics: ${Object.keys(metrics).join(', ')}`);
    }
    return { key, value: metrics[key] };
  }

  private isNewBest(metrics: Record<string, number>): boolean {
    const m = this.metricForBest(metrics);
    if (!m) return false;
    const best = this.state.best_metric;
    const greater = this.args.greaterIsBetter ?? !m.key.endsWith('loss');
    return best === null || (greater ? m.value > best : m.value < best);
  }

  /** Records the best metric; its checkpoint is named when that step gets saved. */
  private trackBest(metrics: Record<string, number>, checkpoint: string | null): void {
    if (!this.isNewBest(metrics)) return;
    const m = this.metricForBest(metrics)!;
    this.state.best_metric = m.value;
    this.state.best_global_step = this.state.global_step;
    this.state.best_model_checkpoint = checkpoint ?? this.checkpoints.checkpointDir(this.state.global_step);
  }

  private async saveCheckpoint(metrics: Record<string, number> | null): Promise<void> {
    if (metrics && this.args.saveStrategy === 'best') this.trackBest(metrics, null);
    const step = this.state.global_step;
    const dir = await this.checkpoints.save(step, async (tmp) => {
      await this.model.saveInto(tmp);
      await this.model.native.saveTrainingState(path.join(tmp, TRAINING_STATE));
      fs.writeFileSync(path.join(tmp, 'training_args.json'), JSON.stringify(this.args, null, 2) + '\n');
      writeTrainerState(path.join(tmp, 'trainer_state.json'), this.state);
    });
    this.checkpoints.rotate(this.args.saveTotalLimit, this.args.loadBestModelAtEnd ? this.state.best_model_checkpoint : null);
    this.callbacks.onSave?.(dir);
  }

  private async resume(dir: string): Promise<void> {
    const state = readTrainerState(path.join(dir, 'trainer_state.json'));
    await this.model.native.loadWeights(path.join(dir, 'model.safetensors'));
    await this.model.native.loadTrainingState(path.join(dir, TRAINING_STATE));
    this.state = state;
  }

  private stepFailure(e: Error, epoch: number, batchRows: number): Error {
    const step = this.state.global_step + 1;
    const last = this.checkpoints.latest();
    const kept = last ? `the last checkpoint, ${last}, is intact` : 'no checkpoint had been saved yet';
    const err = new Error(`training stopped at step ${step} (epoch ${epoch + 1}, batch of ${batchRows} rows): ${e.message}; the weights were not updated by this step and ${kept}`);
    (err as Error & { cause?: unknown }).cause = e;
    return err;
  }
}

function isParsed(a: unknown): a is TrainingArguments {
  return typeof a === 'object' && a !== null && (a as { __parsed?: boolean }).__parsed === true;
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function freshState(args: TrainingArguments, maxSteps = 0, batchSize = args.perDeviceTrainBatchSize): TrainerStateJson {
  return {
    global_step: 0, epoch: 0, max_steps: maxSteps, num_train_epochs: args.numTrainEpochs,
    logging_steps: args.loggingSteps, eval_steps: args.evalSteps, save_steps: args.saveSteps, train_batch_size: batchSize,
    best_metric: null, best_model_checkpoint: null, best_global_step: null, log_history: [],
  };
}
