/**
 * The step bookkeeping of transformers 5.17's Trainer (set_initial_training_values, _run_epoch,
 * TrainerState.compute_steps, TrainingArguments.get_warmup_steps, DefaultFlowCallback), as pure functions.
 *
 * Vocabulary: a *batch* (micro-batch) is one forward/backward pass; an *update step* (optimizer step) comes
 * after `gradientAccumulationSteps` batches. An epoch is chunked into update steps of that many batches;
 * when the batches of an epoch do not divide evenly, the epoch's last update step takes the remainder, so
 * every epoch ends with an optimizer step and accumulation never crosses an epoch boundary.
 */
import type { IntervalStrategy, SaveStrategy } from './TrainingArguments';

export interface TrainingPlanInput {
  /** Batches the sampler yields per epoch (after drop_last). */
  batchesPerEpoch: number;
  gradientAccumulationSteps: number;
  /** May be fractional: training stops part-way through the last epoch. */
  numTrainEpochs: number;
  /** > 0 overrides numTrainEpochs. */
  maxSteps: number;
}

export interface TrainingPlan {
  /** Optimizer steps per full epoch: ceil(batches / accumulation), at least 1. */
  updateStepsPerEpoch: number;
  /** Optimizer steps of the whole run; training stops once global_step reaches it. */
  maxSteps: number;
  /** Epochs the loop starts (the last may be cut short by maxSteps). */
  numTrainEpochs: number;
}

function requireWhole(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be a whole number >= ${min}, got ${v}`);
}

/** Trainer.set_initial_training_values for a sampler with a known length. */
export function planTraining(input: TrainingPlanInput): TrainingPlan {
  const { batchesPerEpoch, gradientAccumulationSteps: accum, numTrainEpochs, maxSteps } = input;
  requireWhole('batchesPerEpoch', batchesPerEpoch, 1);
  requireWhole('gradientAccumulationSteps', accum, 1);
  requireWhole('maxSteps', maxSteps, -Infinity);
  const updateStepsPerEpoch = Math.max(Math.floor(batchesPerEpoch / accum) + (batchesPerEpoch % accum > 0 ? 1 : 0), 1);
  if (maxSteps > 0) {
    return { updateStepsPerEpoch, maxSteps, numTrainEpochs: Math.ceil(maxSteps / updateStepsPerEpoch) };
  }
  if (!(numTrainEpochs > 0)) throw new Error(`numTrainEpochs must be > 0 when maxSteps is not set, got ${numTrainEpochs}`);
  return {
    updateStepsPerEpoch,
    maxSteps: Math.ceil(numTrainEpochs * updateStepsPerEpoch),
    numTrainEpochs: Math.ceil(numTrainEpochs),
  };
}

/** TrainingArguments.get_warmup_steps: a value >= 1 is a count (truncated), below 1 a ratio (rounded up). */
export function resolveWarmupSteps(warmupSteps: number, maxSteps: number): number {
  return warmupSteps >= 1 ? Math.trunc(warmupSteps) : Math.ceil(maxSteps * warmupSteps);
}

/** TrainerState.compute_steps for logging/eval/save steps: a value below 1 is a ratio of maxSteps. */
export function resolveIntervalSteps(steps: number, maxSteps: number): number {
  return steps < 1 ? Math.ceil(maxSteps * steps) : steps;
}

/** Batches in update step `updateIndex` (0-based, within an epoch): all but the last take a full accumulation. */
export function batchesInUpdateStep(updateIndex: number, plan: TrainingPlan, batchesPerEpoch: number, accum: number): number {
  if (updateIndex !== plan.updateStepsPerEpoch - 1) return accum;
  const remainder = batchesPerEpoch % accum;
  return remainder === 0 ? accum : remainder;
}

/** Whether the optimizer steps after batch `batchIndex` (0-based, within an epoch). */
export function endsUpdateStep(batchIndex: number, batchesPerEpoch: number, accum: number): boolean {
  return (batchIndex + 1) % accum === 0 || batchIndex + 1 === batchesPerEpoch;
}

/** TrainerState.epoch after the optimizer step that follows batch `batchIndex` of epoch `epoch`. */
export function epochProgress(epoch: number, batchIndex: number, batchesPerEpoch: number): number {
  return epoch + (batchIndex + 1) / batchesPerEpoch;
}

/**
 * Where a run resumed at `globalStep` continues: the epoch to start in and the batches of it to skip
 * (Trainer._init_training_state, without ignore_data_skip).
 */
export function resumePosition(globalStep: number, plan: TrainingPlan, accum: number): { epoch: number; batchesToSkip: number } {
  return {
    epoch: Math.floor(globalStep / plan.updateStepsPerEpoch),
    batchesToSkip: (globalStep % plan.updateStepsPerEpoch) * accum,
  };
}

/** What the DefaultFlowCallback asks for after an optimizer step or at an epoch's end. */
export interface FlowDecision {
  log: boolean;
  evaluate: boolean;
  save: boolean;
  /** Training is over (global step reached maxSteps). */
  stop: boolean;
}

export interface FlowSettings {
  loggingStrategy: IntervalStrategy;
  loggingFirstStep: boolean;
  evalStrategy: IntervalStrategy;
  saveStrategy: SaveStrategy;
  maxSteps: number;
  /** Resolved (resolveIntervalSteps) logging/eval/save intervals. */
  loggingSteps: number;
  evalSteps: number;
  saveSteps: number;
}

/** FlowSettings from parsed arguments and the plan (resolving ratio intervals against maxSteps). */
export function flowSettings(
  args: { loggingStrategy: IntervalStrategy; loggingFirstStep: boolean; evalStrategy: IntervalStrategy; saveStrategy: SaveStrategy; loggingSteps: number; evalSteps: number | null; saveSteps: number },
  plan: TrainingPlan,
): FlowSettings {
  return {
    loggingStrategy: args.loggingStrategy,
    loggingFirstStep: args.loggingFirstStep,
    evalStrategy: args.evalStrategy,
    saveStrategy: args.saveStrategy,
    maxSteps: plan.maxSteps,
    loggingSteps: resolveIntervalSteps(args.loggingSteps, plan.maxSteps),
    // TrainerState keeps its default of 500 when eval_steps is unset (only read with evalStrategy "steps").
    evalSteps: args.evalSteps === null ? 500 : resolveIntervalSteps(args.evalSteps, plan.maxSteps),
    saveSteps: resolveIntervalSteps(args.saveSteps, plan.maxSteps),
  };
}

/** DefaultFlowCallback.on_step_end, after global step `globalStep` (1-based count of optimizer steps done). */
export function flowAtStepEnd(globalStep: number, f: FlowSettings): FlowDecision {
  const d: FlowDecision = { log: false, evaluate: false, save: false, stop: false };
  if (globalStep === 1 && f.loggingFirstStep) d.log = true;
  if (f.loggingStrategy === 'steps' && globalStep % f.loggingSteps === 0) d.log = true;
  if (f.evalStrategy === 'steps' && globalStep % f.evalSteps === 0) d.evaluate = true;
  if (f.saveStrategy === 'steps' && f.saveSteps > 0 && globalStep % f.saveSteps === 0) d.save = true;
  if (globalStep >= f.maxSteps) {
    d.stop = true;
    // The last step is always evaluated and saved with step-based strategies.
    if (f.evalStrategy === 'steps' && globalStep % f.evalSteps !== 0) d.evaluate = true;
    if (f.saveStrategy === 'steps') d.save = true;
  }
  return d;
}

/** DefaultFlowCallback.on_epoch_end. */
export function flowAtEpochEnd(f: FlowSettings): FlowDecision {
  return {
    log: f.loggingStrategy === 'epoch',
    evaluate: f.evalStrategy === 'epoch',
    save: f.saveStrategy === 'epoch',
    stop: false,
  };
}
