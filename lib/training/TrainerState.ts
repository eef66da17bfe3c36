/**
 * trainer_state.json, the Trainer's progress record inside every checkpoint-<step>/ folder, in the shape
 * transformers 5.17's TrainerState writes (snake_case keys, sorted, indent 2), so that a checkpoint written
 * here can be resumed by transformers and one written by transformers can be resumed here. transformers
 * rebuilds the class from the JSON keys, so exactly its keys are written (no extras).
 */
import * as fs from 'fs';
import { z } from 'zod';
import { writeFileAtomic } from './atomicWrite';

export const TRAINER_STATE_NAME = 'trainer_state.json';

/** One entry of log_history: e.g. {loss, grad_norm, learning_rate, epoch, step} or {eval_*, epoch, step}. */
export type LogEntry = Record<string, number | string | null>;

const controlFlags = {
  should_epoch_stop: false, should_evaluate: false, should_log: false, should_save: false, should_training_stop: false,
};

const stateSchema = z.object({
  epoch: z.number().nullable(),
  global_step: z.number().int().min(0),
  max_steps: z.number().int(),
  logging_steps: z.number(),
  eval_steps: z.number().nullable(),
  save_steps: z.number(),
  train_batch_size: z.number().int().nullable(),
  num_train_epochs: z.number(),
  num_input_tokens_seen: z.number(),
  total_flos: z.number(),
  log_history: z.array(z.record(z.string(), z.union([z.number(), z.string(), z.null()]))),
  best_metric: z.number().nullable(),
  best_global_step: z.number().int().nullable(),
  best_model_checkpoint: z.string().nullable(),
  is_local_process_zero: z.boolean(),
  is_world_process_zero: z.boolean(),
  is_hyper_param_search: z.boolean(),
  trial_name: z.string().nullable(),
  trial_params: z.record(z.string(), z.unknown()).nullable(),
  stateful_callbacks: z.record(z.string(), z.unknown()).nullable(),
}).partial();

export class TrainerState {
  /** Fractional epoch reached (e.g. 1.5 = half-way through the second epoch). */
  epoch = 0;
  /** Optimizer steps done. */
  globalStep = 0;
  /** Optimizer steps of the whole run. */
  maxSteps = 0;
  /** Resolved logging/eval/save intervals in optimizer steps. */
  loggingSteps = 500;
  evalSteps = 500;
  saveSteps = 500;
  /** Micro-batch size of the run. */
  trainBatchSize: number | null = null;
  /** Epochs the training loop runs (whole number). */
  numTrainEpochs = 0;
  numInputTokensSeen = 0;
  totalFlos = 0;
  /** Every log line and evaluation result, in order, each with "step" (and "epoch"). */
  logHistory: LogEntry[] = [];
  /** Best value of metric_for_best_model so far. */
  bestMetric: number | null = null;
  /** Global step at which bestMetric was reached. */
  bestGlobalStep: number | null = null;
  /** Path of the checkpoint holding the best model (output_dir/checkpoint-<bestGlobalStep>). */
  bestModelCheckpoint: string | null = null;
  /** Callback states as transformers stores them; kept verbatim so transformers can restore its own. */
  statefulCallbacks: Record<string, unknown> = { TrainerControl: { args: { ...controlFlags }, attributes: {} } };

  /** The JSON object transformers writes, keys in sorted order. */
  toJSON(): Record<string, unknown> {
    return {
      best_global_step: this.bestGlobalStep,
      best_metric: this.bestMetric,
      best_model_checkpoint: this.bestModelCheckpoint,
      epoch: this.epoch,
      eval_steps: this.evalSteps,
      global_step: this.globalStep,
      is_hyper_param_search: false,
      is_local_process_zero: true,
      is_world_process_zero: true,
      log_history: this.logHistory.map(sortKeys),
      logging_steps: this.loggingSteps,
      max_steps: this.maxSteps,
      num_input_tokens_seen: this.numInputTokensSeen,
      num_train_epochs: this.numTrainEpochs,
      save_steps: this.saveSteps,
      stateful_callbacks: this.statefulCallbacks,
      total_flos: this.totalFlos,
      train_batch_size: this.trainBatchSize,
      trial_name: null,
      trial_params: null,
    };
  }

  /** Reads a state object (as parsed from trainer_state.json); `source` is named in errors. */
  static fromJSON(json: unknown, source = TRAINER_STATE_NAME): TrainerState {
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new Error(`${source}: invalid trainer state: "${issue.path.join('.')}" ${issue.message}`);
    }
    const j = parsed.data;
    const s = new TrainerState();
    s.epoch = j.epoch ?? 0;
    s.globalStep = j.global_step ?? 0;
    s.maxSteps = j.max_steps ?? 0;
    s.loggingSteps = j.logging_steps ?? 500;
    s.evalSteps = j.eval_steps ?? 500;
    s.saveSteps = j.save_steps ?? 500;
    s.trainBatchSize = j.train_batch_size ?? null;
    s.numTrainEpochs = j.num_train_epochs ?? 0;
    s.numInputTokensSeen = j.num_input_tokens_seen ?? 0;
    s.totalFlos = j.total_flos ?? 0;
    s.logHistory = j.log_history ?? [];
    s.bestMetric = j.best_metric ?? null;
    s.bestGlobalStep = j.best_global_step ?? null;
    s.bestModelCheckpoint = j.best_model_checkpoint ?? null;
    if (j.stateful_callbacks) s.statefulCallbacks = j.stateful_callbacks;
    return s;
  }

  /** Writes trainer_state.json atomically. */
  async save(file: string): Promise<void> {
    await writeFileAtomic(file, `${JSON.stringify(this.toJSON(), null, 2)}\n`);
  }

  static load(file: string): TrainerState {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read trainer state ${file}: ${(err as Error).message}`);
    }
    let json: unknown;
    try {
      // Python writes NaN/Infinity for non-finite floats (e.g. a diverged loss); JSON.parse rejects them.
      json = JSON.parse(text.replace(/(?<=[:\[,]\s*)(-?Infinity|NaN)(?=\s*[,\]}])/g, 'null'));
    } catch (err) {
      throw new Error(`${file}: not valid JSON: ${(err as Error).message}`);
    }
    return TrainerState.fromJSON(json, file);
  }
}

function sortKeys(entry: LogEntry): LogEntry {
  return Object.fromEntries(Object.keys(entry).sort().map((k) => [k, entry[k]]));
}
