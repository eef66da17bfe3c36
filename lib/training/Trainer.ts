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
import { prefixMetricKeys, type SentenceEvaluator } from '../evaluation/SentenceEvaluator';
import type { PushResult, PushToHubOptions } from '../hub/pushToHub';
import type { Loss } from '../losses/Loss';
import type { SentenceTransformer } from '../models/SentenceTransformer';
import { CheckpointManager } from './CheckpointManager';
import { OutputDirLock } from './outputDirLock';
import { checkOutputDirWritable } from './outputDirWritable';
import { TrainingSources, type DatasetOrDict, type LossOrDict, type SourceBatch } from './TrainingSources';
import { createLrSchedule } from './lrSchedules';
import { parseTrainingArguments, trainingArgumentsToSnakeCase, type TrainingArguments } from './TrainingArguments';
import {
  batchesInUpdateStep, endsUpdateStep, epochProgress, flowAtEpochEnd, flowAtStepEnd, flowSettings, planTraining,
  resolveWarmupSteps, resumePosition, type FlowDecision, type FlowSettings, type TrainingPlan,
} from './trainingSteps';
import { TRAINER_STATE_NAME, TrainerState, type LogEntry } from './TrainerState';
import { checkTrainingDevice } from '../models/device';
import { resolvePrecision } from './precision';
import { optimizerSpecOf } from './optimizerSpec';
import { isOutOfMemory, reducedBatchSize, simulatedOutOfMemory } from './autoBatchSize';

export interface TrainerCallbacks {
  onTrainBegin?(info: { maxSteps: number; numEpochs: number; numExamples: number; startStep: number }): void;
  /** After every optimizer step. */
  onStep?(info: { globalStep: number; epoch: number; loss: number; learningRate: number; samplesPerSecond: number }): void;
  /** Every logging_steps (and the final summary). */
  onLog?(record: LogEntry): void;
  onEvaluate?(metrics: Record<string, number>): void | Promise<void>;
  /** After a checkpoint is complete; awaited before training goes on. */
  onSave?(checkpointDir: string): void | Promise<void>;
  /** At the end of every epoch (also one cut short by max_steps), before the epoch-strategy evaluation and save. */
  onEpochEnd?(info: { epoch: number; globalStep: number }): void | Promise<void>;
}

export interface TrainerOptions {
  model: SentenceTransformer;
  args?: TrainingArguments | Record<string, unknown>;
  /** One dataset, or a dict of named datasets (multi-dataset training: see multi_dataset_batch_sampler). */
  trainDataset: DatasetOrDict;
  /** One loss for every dataset, or a dict of losses named as the datasets. */
  loss: LossOrDict;
  /** Rows the loss is evaluated on at each evaluation (logged as eval_loss; per dataset for a dict). */
  evalDataset?: DatasetOrDict;
  evaluator?: SentenceEvaluator;
  callbacks?: TrainerCallbacks;
  /** The learning-rate schedule's length when it differs from the steps trained (the legacy fit's t_total). */
  lrScheduleTotalSteps?: number;
  /** Where the trainer's messages go (a recovered lock, removed leftovers, a finished run); stderr by default. */
  log?: (line: string) => void;
}

export interface TrainOutput {
  globalStep: number;
  /** Mean micro-batch loss over all optimizer steps, as HF's train_loss. */
  trainingLoss: number;
  metrics: Record<string, number>;
  bestModelCheckpoint: string | null;
  /** True when the run resumed from a checkpoint that had reached max_steps: nothing was trained or written. */
  alreadyFinished?: boolean;
}

const TRAINING_STATE = 'training_state.safetensors';

export class Trainer {
  readonly model: SentenceTransformer;
  readonly args: TrainingArguments;
  readonly trainDataset: DatasetOrDict;
  readonly loss: LossOrDict;
  readonly evalDataset?: DatasetOrDict;
  readonly evaluator?: SentenceEvaluator;
  private readonly lrScheduleTotalSteps?: number;
  private evalSources: TrainingSources | null = null;
  /** The dataset names of the losses the engine holds, in lossIndex order (null before any configureTraining). */
  private engineLossNames: string[] | null = null;
  private readonly callbacks: TrainerCallbacks;
  private readonly checkpoints: CheckpointManager;
  private state: TrainerState;
  private readonly say: (line: string) => void;
  /** Set once metric_for_best_model was checked against real metric names (checkMetricForBestModel). */
  private metricChecked = false;
  /** Every step's micro-batch-mean loss, for tests and reports. */
  readonly stepLosses: number[] = [];
  /** The training batch size: per_device_train_batch_size, lowered by auto_find_batch_size on out-of-memory (autoBatchSize.ts). */
  trainBatchSize: number;

  constructor(options: TrainerOptions) {
    this.model = options.model;
    // Parsing is idempotent, so parsed arguments, camelCase objects and snake_case objects all pass through it.
    this.args = parseTrainingArguments((options.args ?? {}) as Record<string, unknown>);
    // The model was placed when loaded: a different device (or use_cpu) in the arguments is refused, not ignored.
    checkTrainingDevice(this.args, this.model.device);
    this.trainDataset = options.trainDataset;
    this.loss = options.loss;
    this.evalDataset = options.evalDataset;
    this.evaluator = options.evaluator;
    this.lrScheduleTotalSteps = options.lrScheduleTotalSteps;
    this.callbacks = options.callbacks ?? {};
    this.say = options.log ?? ((line) => process.stderr.write(line + '\n'));
    this.checkpoints = new CheckpointManager(this.args.outputDir, this.say);
    this.state = new TrainerState();
    this.trainBatchSize = this.args.perDeviceTrainBatchSize;
  }

  /** Runs the evaluator on the current model; metrics come back prefixed "eval_" as the HF Trainer logs them. */
  async evaluate(): Promise<Record<string, number>> {
    if (!this.evaluator && !this.evalDataset) throw new Error('Trainer.evaluate: give an evaluator or an eval_dataset');
    const metrics = this.evalDataset ? await this.evaluationLosses() : {};
    if (!this.evaluator) return metrics;
    const raw = await this.evaluator.evaluate(this.model, {
      outputPath: path.join(this.args.outputDir, 'eval'), epoch: this.state.epoch, steps: this.state.globalStep,
    });
    return { ...metrics, ...prefixMetricKeys(raw, 'eval') };
  }

  /**
   * eval_loss as the HF Trainer computes it: the eval dataset in batches drawn by the training's batch
   * sampler at per_device_eval_batch_size B, each batch's loss in eval mode counted B times, the last batch's
   * count cut to the dataset's rows % B when that is not 0 (transformers' evaluation_loop repeats each loss
   * B times; accelerate's gather_for_metrics cuts the last batch to that remainder, also when a sampler made
   * short batches or drop_last dropped the remainder). A dict of eval datasets gives eval_<name>_loss for each.
   */
  private async evaluationLosses(): Promise<Record<string, number>> {
    const args = this.args;
    this.evalSources ??= await TrainingSources.prepare(this.evalDataset!, this.loss, this.model, 'eval_dataset');
    if (!this.engineLossNames) {
      // Evaluation outside train(): the engine gets the eval datasets' losses (training configures its own again).
      await this.model.native.configureTraining({
        losses: this.evalSources.lossSpecs(), optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
      });
      this.engineLossNames = this.evalSources.sources.map((s) => s.name);
    }
    const out: Record<string, number> = {};
    for (const source of this.evalSources.sources) {
      const single = await TrainingSources.prepare(source.dataset, source.loss, this.model, 'eval_dataset');
      const sampler = single.sampler({
        batchSampler: args.batchSampler, multiDatasetBatchSampler: args.multiDatasetBatchSampler,
        batchSize: Math.min(args.perDeviceEvalBatchSize, source.dataset.numRows), dropLast: args.dataloaderDropLast, seed: args.seed, dataSeed: args.dataSeed,
      });
      const batches = sampler.epochBatches(0);
      const remainder = source.dataset.numRows % args.perDeviceEvalBatchSize;
      let sum = 0;
      let count = 0;
      for (const [i, batch] of batches.entries()) {
        const c = single.collate(batch);
        const loss = await this.model.native.evaluationLoss({ texts: c.texts, numColumns: c.numColumns, labels: c.labels, lossIndex: this.lossIndexOf(source.name) });
        const weight = i === batches.length - 1 && remainder > 0 ? remainder : args.perDeviceEvalBatchSize;
        sum += loss * weight;
        count += weight;
      }
      out[source.name ? `eval_${source.name}_loss` : 'eval_loss'] = count > 0 ? sum / count : NaN;
    }
    return out;
  }

  /** The engine's loss for a dataset name: a dict of losses is configured one per training dataset, by name. */
  private lossIndexOf(name: string): number {
    if (typeof (this.loss as Loss).toSpec === 'function') return 0;
    const index = this.engineLossNames!.indexOf(name);
    if (index < 0) throw new Error(`eval_dataset "${name}" has no loss: the losses are named ${this.engineLossNames!.join(', ')}`);
    return index;
  }

  /**
   * Trains, holding an exclusive lock on output_dir (refused while another run holds it). Before the first
   * step: output_dir is checked writable, leftovers of a killed run are removed, and metric_for_best_model is
   * checked against the metric names. `outputDirLock`: a lock the caller already holds on output_dir (the CLI
   * holds it until the final model is saved).
   */
  async train(options: { resumeFromCheckpoint?: string | boolean | null; outputDirLock?: OutputDirLock } = {}): Promise<TrainOutput> {
    const own = options.outputDirLock?.covers(this.args.outputDir) ? null : Trainer.prepareOutputDir(this.args.outputDir, this.say);
    try {
      if (!own) new CheckpointManager(this.args.outputDir, this.say).cleanLeftovers();
      await this.checkMetricForBestModel();
      return await this.runWithBatchSizeSearch(options);
    } finally {
      own?.release();
    }
  }

  /** The early output_dir checks and the lock (leftovers removed under it); the caller releases the lock. */
  static prepareOutputDir(outputDir: string, log?: (line: string) => void): OutputDirLock {
    const created = checkOutputDirWritable(outputDir);
    const lock = OutputDirLock.acquire(outputDir, log);
    lock.createdFolders = created;
    try {
      new CheckpointManager(outputDir, log).cleanLeftovers();
    } catch (err) {
      lock.release();
      throw err;
    }
    return lock;
  }

  /**
   * Throws before training when metric_for_best_model names no metric the evaluation will produce. The names
   * come from `metrics` (e.g. the CLI's baseline evaluation) or else from one evaluation of the current model.
   */
  async checkMetricForBestModel(metrics?: Record<string, number>): Promise<void> {
    const wanted = this.args.metricForBestModel;
    if (this.metricChecked || wanted === null || (!this.evaluator && !this.evalDataset)) return;
    const key = wanted.startsWith('eval_') ? wanted : `eval_${wanted}`;
    const names = new Set<string>();
    if (this.evalDataset) {
      const dict = typeof (this.evalDataset as { numRows?: unknown }).numRows !== 'number';
      for (const n of dict ? Object.keys(this.evalDataset) : ['']) names.add(n ? `eval_${n}_loss` : 'eval_loss');
    }
    if (!names.has(key) && this.evaluator) {
      const raw = metrics ?? await this.evaluator.evaluate(this.model);
      for (const k of Object.keys(prefixMetricKeys(raw, 'eval'))) names.add(k);
    }
    if (!names.has(key)) {
      throw new Error(`metric_for_best_model "${wanted}" is not among the evaluation metrics (checked before training): ${[...names].join(', ')}`);
    }
    this.metricChecked = true;
  }

  /** runTraining, restarted at a lower batch size after an out-of-memory failure when auto_find_batch_size asks for it. */
  private async runWithBatchSizeSearch(options: { resumeFromCheckpoint?: string | boolean | null }): Promise<TrainOutput> {
    const resumeDir = this.checkpoints.resolveResume(options.resumeFromCheckpoint ?? this.args.resumeFromCheckpoint);
    if (!this.args.autoFindBatchSize) return this.runTraining(resumeDir);
    // As transformers: a checkpoint's train_batch_size is where a resumed search starts.
    if (resumeDir) this.trainBatchSize = TrainerState.load(path.join(resumeDir, TRAINER_STATE_NAME)).trainBatchSize ?? this.trainBatchSize;
    for (;;) {
      try {
        return await this.runTraining(resumeDir);
      } catch (e) {
        if (!isOutOfMemory(e)) throw e;
        const next = reducedBatchSize(this.trainBatchSize);
        if (next === 0) {
          throw new Error(`auto_find_batch_size: no executable batch size found, reached zero (the last try, batch size ${this.trainBatchSize}, failed: ${(e as Error).message})`);
        }
        this.say(`auto_find_batch_size: out of memory at batch size ${this.trainBatchSize}; the training loop starts again at batch size ${next}`);
        this.trainBatchSize = next;
      }
    }
  }

  private async runTraining(resumeDir: string | null): Promise<TrainOutput> {
    const args = this.args;
    const addon = loadAddon();
    const started = Date.now();

    const sources = await TrainingSources.prepare(this.trainDataset, this.loss, this.model, 'train_dataset');
    this.evalSources = this.evalDataset ? await TrainingSources.prepare(this.evalDataset, this.loss, this.model, 'eval_dataset') : null;
    const numExamples = sources.numRows;
    const sampler = sources.sampler({
      batchSampler: args.batchSampler, multiDatasetBatchSampler: args.multiDatasetBatchSampler, batchSize: this.trainBatchSize,
      dropLast: args.dataloaderDropLast, seed: args.seed, dataSeed: args.dataSeed,
    });
    const batchesPerEpoch = sampler.batchesPerEpoch();
    const accum = args.gradientAccumulationSteps;
    const plan = planTraining({ batchesPerEpoch, gradientAccumulationSteps: accum, numTrainEpochs: args.numTrainEpochs, maxSteps: args.maxSteps });
    const warmup = resolveWarmupSteps(args.warmupSteps, plan.maxSteps);
    const schedule = createLrSchedule(args.lrSchedulerType, {
      learningRate: args.learningRate, warmupSteps: warmup, totalSteps: this.lrScheduleTotalSteps ?? plan.maxSteps, kwargs: args.lrSchedulerKwargs ?? undefined,
    });
    const flow = flowSettings(args, plan);
    const precision = resolvePrecision(args, this.model.device, addon.deviceInfo());
    addon.manualSeed(args.seed);
    await this.model.native.configureTraining({
      losses: sources.lossSpecs(),
      optimizer: optimizerSpecOf(args), gradientCheckpointing: args.gradientCheckpointing,
      precision: precision.precision, tf32: precision.tf32,
    });

    this.engineLossNames = sources.sources.map((s) => s.name);
    this.state = newState(args, plan, flow, this.trainBatchSize);
    if (resumeDir) await this.resume(resumeDir);
    const startStep = this.state.globalStep;
    if (resumeDir && startStep >= plan.maxSteps) return this.alreadyFinished(resumeDir, plan.maxSteps);
    this.callbacks.onTrainBegin?.({ maxSteps: plan.maxSteps, numEpochs: plan.numTrainEpochs, numExamples, startStep });

    let trLoss = 0; // sum over steps since the last log of the step's mean micro-batch loss
    let totalLoss = 0;
    let carried = 0; // loss of micro-batches whose gradients wait for the next optimizer step
    let lastLoggedStep = startStep;
    let lastGradNorm = NaN;
    let tick = Date.now();
    const start = resumePosition(startStep, plan, accum);

    // What the flow asks for after an optimizer step or at an epoch's end: log, evaluate, save.
    const act = async (decision: FlowDecision, lr: number): Promise<void> => {
      const gs = this.state.globalStep;
      if (decision.log && gs > lastLoggedStep) {
        this.log({ loss: round(trLoss / (gs - lastLoggedStep), 4), grad_norm: lastGradNorm, learning_rate: lr, epoch: round(this.state.epoch, 4) });
        trLoss = 0;
        lastLoggedStep = gs;
      }
      let evaluated = false;
      if (decision.evaluate && (this.evaluator || this.evalDataset)) {
        await this.evaluateDuringTraining();
        evaluated = true;
      }
      const saveBest = args.saveStrategy === 'best' && evaluated && this.state.bestGlobalStep === gs;
      if (decision.save || saveBest) await this.saveCheckpoint();
    };

    let stopped = false;
    for (let epoch = start.epoch; epoch < plan.numTrainEpochs && !stopped; epoch++) {
      const batches = sampler.epochBatches(epoch);
      const firstUpdate = epoch === start.epoch ? start.batchesToSkip / accum : 0;
      const groupOf = (update: number): SourceBatch[] =>
        batches.slice(update * accum, update * accum + batchesInUpdateStep(update, plan, batchesPerEpoch, accum));
      let prefetched: ReturnType<TrainingSources['collate']> | null = null;
      let lr = schedule(this.state.globalStep);
      for (let update = firstUpdate; update < plan.updateStepsPerEpoch; update++) {
        const group = groupOf(update);
        // NO_DUPLICATES can yield fewer batches than its nominal length when texts repeat: nothing is left.
        if (group.length === 0) break;
        lr = schedule(this.state.globalStep);
        let next = prefetched ?? sources.collate(group[0]);
        prefetched = null;
        let stepLoss = carried;
        let samples = 0;
        let stepped = false;
        for (let i = 0; i < group.length; i++) {
          // As the HF Trainer: the optimizer steps at an accumulation boundary or at the epoch's nominal last
          // batch; a group cut short by a sampler that ran out keeps its gradients for the next step.
          const optimizerStep = endsUpdateStep(update * accum + i, batchesPerEpoch, accum);
          const request: TrainStepRequest = {
            texts: next.texts, numColumns: next.numColumns, labels: next.labels, lossIndex: next.lossIndex, lossDivisor: group.length,
            optimizerStep, learningRate: lr, maxGradNorm: args.maxGradNorm,
          };
          const simulated = simulatedOutOfMemory(group[i].rows.length, next.numColumns * group[i].rows.length);
          const pending = simulated ? Promise.reject(simulated) : this.model.native.trainStep(request);
          // Collate the next micro-batch (of this step or the next) while this one runs on the engine's thread.
          if (i + 1 < group.length) next = sources.collate(group[i + 1]);
          else if (update + 1 < plan.updateStepsPerEpoch) {
            const following = groupOf(update + 1);
            if (following.length > 0) prefetched = sources.collate(following[0]);
          }
          let result;
          try {
            result = await pending;
          } catch (e) {
            throw this.stepFailure(e as Error, epoch, group[i].rows.length);
          }
          stepLoss += result.loss / group.length;
          samples += group[i].rows.length;
          if (optimizerStep) {
            lastGradNorm = result.gradNorm;
            stepped = true;
          }
        }
        trLoss += stepLoss - carried;
        totalLoss += stepLoss - carried;
        if (!stepped) {
          carried = stepLoss;
          break;
        }
        carried = 0;
        this.state.globalStep += 1;
        this.state.epoch = epochProgress(epoch, update * accum + group.length - 1, batchesPerEpoch);
        this.stepLosses.push(stepLoss);
        const now = Date.now();
        this.callbacks.onStep?.({
          globalStep: this.state.globalStep, epoch: this.state.epoch, loss: stepLoss, learningRate: lr,
          samplesPerSecond: (samples * 1000) / Math.max(1, now - tick),
        });
        tick = now;
        const atStep = flowAtStepEnd(this.state.globalStep, flow);
        await act(atStep, lr);
        if (atStep.stop) {
          stopped = true;
          break;
        }
      }
      // The epoch ends here, also when max_steps stopped it part-way (its epoch-strategy evaluation and save run).
      // Callbacks come first, as the HF Trainer calls on_epoch_end before its own epoch-end evaluation and save.
      await this.callbacks.onEpochEnd?.({ epoch: this.state.epoch, globalStep: this.state.globalStep });
      await act(flowAtEpochEnd(flow), lr);
    }

    const runtime = (Date.now() - started) / 1000;
    const stepsRun = this.state.globalStep - startStep;
    if (args.loadBestModelAtEnd && this.state.bestModelCheckpoint) {
      await this.model.native.loadWeights(path.join(this.state.bestModelCheckpoint, 'model.safetensors'));
    }
    this.checkpoints.pruneAfterTraining(args.saveTotalLimit, this.state.bestModelCheckpoint);
    const metrics = {
      train_runtime: round(runtime, 4),
      train_samples_per_second: round((stepsRun * this.trainBatchSize * accum) / runtime, 3),
      train_steps_per_second: round(stepsRun / runtime, 3),
      train_loss: stepsRun > 0 ? totalLoss / stepsRun : NaN,
      epoch: this.state.epoch,
    };
    this.log(metrics);
    return { globalStep: this.state.globalStep, trainingLoss: metrics.train_loss, metrics, bestModelCheckpoint: this.state.bestModelCheckpoint };
  }

  /** The model (and its card) into output_dir, or dir. */
  async saveModel(dir: string = this.args.outputDir): Promise<void> {
    await this.model.save(dir);
  }

  /**
   * The trained model and its card onto the hub, as the HF Trainer's push_to_hub: into `repoId` (default: the name
   * of output_dir), created if missing and reused if present, with the commit message "End of training".
   */
  async pushToHub(options: PushToHubOptions & { repoId?: string } = {}): Promise<PushResult> {
    const { repoId, ...rest } = options;
    return this.model.pushToHub(repoId ?? path.basename(path.resolve(this.args.outputDir)),
      { existOk: true, ...rest, commitMessage: rest.commitMessage ?? 'End of training' });
  }

  private log(record: LogEntry): void {
    const entry = { ...record, step: this.state.globalStep };
    this.state.logHistory.push(entry);
    this.callbacks.onLog?.(entry);
  }

  private async evaluateDuringTraining(): Promise<void> {
    const metrics = await this.evaluate();
    const epoch = round(this.state.epoch, 4);
    const names = this.evalSources?.isDict ? this.evalSources.sources.map((s) => s.name) : null;
    if (!names) this.log({ ...metrics, epoch });
    else {
      // As the HF Trainer logs a dict of eval datasets: one entry per dataset, the evaluator's metrics with the first.
      const lossKeys = new Set(names.map((n) => `eval_${n}_loss`));
      names.forEach((name, i) => this.log({
        ...Object.fromEntries(Object.entries(metrics).filter(([k]) => k === `eval_${name}_loss` || (i === 0 && !lossKeys.has(k)))), epoch,
      }));
    }
    await this.callbacks.onEvaluate?.(metrics);
    this.trackBest(metrics);
  }

  /** metric_for_best_model (default: "loss" with load_best_model_at_end, else the evaluator's primary metric), with HF's "eval_" prefix. */
  private metricForBest(metrics: Record<string, number>): { key: string; greater: boolean } | null {
    let key = this.args.metricForBestModel ?? this.evaluator?.primaryMetric ?? null;
    if (!key) return null;
    if (!key.startsWith('eval_')) key = `eval_${key}`;
    if (!(key in metrics)) {
      throw new Error(`metric_for_best_model "${key}" is not among the evaluation metrics: ${Object.keys(metrics).join(', ')}`);
    }
    return { key, greater: this.args.greaterIsBetter ?? !key.endsWith('loss') };
  }

  /** Records a new best metric; the checkpoint of this step holds that model once saved. */
  private trackBest(metrics: Record<string, number>): void {
    const m = this.metricForBest(metrics);
    if (!m) return;
    const value = metrics[m.key];
    const best = this.state.bestMetric;
    if (best !== null && !(m.greater ? value > best : value < best)) return;
    this.state.bestMetric = value;
    this.state.bestGlobalStep = this.state.globalStep;
    this.state.bestModelCheckpoint = this.checkpoints.checkpointDir(this.state.globalStep);
  }

  private async saveCheckpoint(): Promise<void> {
    const dir = await this.checkpoints.save(this.state.globalStep, async (tmp) => {
      await this.model.saveInto(tmp);
      await this.model.native.saveTrainingState(path.join(tmp, TRAINING_STATE));
      fs.writeFileSync(path.join(tmp, 'training_args.json'), JSON.stringify(trainingArgumentsToSnakeCase(this.args), null, 2) + '\n');
      await this.state.save(path.join(tmp, TRAINER_STATE_NAME));
    });
    this.checkpoints.rotate(this.args.saveTotalLimit, this.state.bestModelCheckpoint);
    await this.callbacks.onSave?.(dir);
  }

  private async resume(dir: string): Promise<void> {
    const state = TrainerState.load(path.join(dir, TRAINER_STATE_NAME));
    await this.model.native.loadWeights(path.join(dir, 'model.safetensors'));
    await this.model.native.loadTrainingState(path.join(dir, TRAINING_STATE));
    this.state = state;
  }

  /**
   * Resuming a run that had reached max_steps: as the HF Trainer, nothing is trained, and here nothing is
   * written either (no step past max_steps, no rotation or pruning). The best model is loaded in memory when
   * load_best_model_at_end asks for it, as at the end of the run.
   */
  private async alreadyFinished(resumeDir: string, maxSteps: number): Promise<TrainOutput> {
    this.say(`${resumeDir} is at step ${this.state.globalStep} of ${maxSteps}: training already finished, nothing to do`);
    const best = this.state.bestModelCheckpoint;
    if (this.args.loadBestModelAtEnd && best && fs.existsSync(path.join(best, 'model.safetensors'))) {
      await this.model.native.loadWeights(path.join(best, 'model.safetensors'));
    }
    const lastLoss = [...this.state.logHistory].reverse().find((e) => typeof e.train_loss === 'number')?.train_loss;
    return {
      globalStep: this.state.globalStep, trainingLoss: typeof lastLoss === 'number' ? lastLoss : NaN, metrics: {},
      bestModelCheckpoint: best, alreadyFinished: true,
    };
  }

  private stepFailure(e: Error, epoch: number, batchRows: number): Error {
    const step = this.state.globalStep + 1;
    const last = this.checkpoints.latest();
    const kept = last ? `the last checkpoint, ${last}, is intact` : 'no checkpoint had been saved yet';
    const err = new Error(`training stopped at step ${step} (epoch ${epoch + 1}, a batch of ${batchRows} rows): ${e.message}; the weights were not updated by this step and ${kept}`);
    (err as Error & { cause?: unknown }).cause = e;
    return err;
  }
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function newState(args: TrainingArguments, plan: TrainingPlan, flow: FlowSettings, trainBatchSize: number): TrainerState {
  const s = new TrainerState();
  s.maxSteps = plan.maxSteps;
  s.numTrainEpochs = plan.numTrainEpochs;
  s.loggingSteps = flow.loggingSteps;
  s.evalSteps = flow.evalSteps;
  s.saveSteps = flow.saveSteps;
  s.trainBatchSize = trainBatchSize;
  return s;
}
