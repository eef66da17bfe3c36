/**
 * The training arguments of sentence-transformers' SentenceTransformerTrainingArguments (transformers 5.17
 * TrainingArguments underneath), limited to the ones embedforge implements. Config files and tutorials use
 * the snake_case names (`per_device_train_batch_size`); the TypeScript API uses camelCase. Both are accepted,
 * the result is camelCase. Defaults, derived values and cross-field checks follow the Python classes'
 * `__post_init__` so that a tutorial's arguments mean the same thing here.
 */
import { z } from 'zod';
import { checkDeviceName } from '../models/device';
import { parseOptimArgs } from './optimizerSpec';
import { BatchSamplers, MultiDatasetBatchSamplers, type BatchSamplerName, type MultiDatasetBatchSamplerName } from '../data/samplers';

export type IntervalStrategy = 'no' | 'steps' | 'epoch';
export type SaveStrategy = IntervalStrategy | 'best';
export type { BatchSamplerName, MultiDatasetBatchSamplerName };
/** The `optim` values embedforge implements (transformers' OptimizerNames spellings; adamw_bnb_8bit is adamw_8bit). */
export type OptimizerName = 'adamw_torch' | 'adamw_torch_fused' | 'adamw_8bit' | 'adamw_bnb_8bit' | 'sgd' | 'adagrad' | 'rmsprop';

export const OPTIMIZER_NAMES: readonly OptimizerName[] = ['adamw_torch', 'adamw_torch_fused', 'adamw_8bit', 'adamw_bnb_8bit', 'sgd', 'adagrad', 'rmsprop'];
export type LrSchedulerName =
  | 'linear' | 'cosine' | 'cosine_with_restarts' | 'polynomial' | 'constant' | 'constant_with_warmup'
  | 'inverse_sqrt' | 'cosine_with_min_lr' | 'cosine_warmup_with_min_lr' | 'warmup_stable_decay';

export const LR_SCHEDULER_NAMES: readonly LrSchedulerName[] = [
  'linear', 'cosine', 'cosine_with_restarts', 'polynomial', 'constant', 'constant_with_warmup',
  'inverse_sqrt', 'cosine_with_min_lr', 'cosine_warmup_with_min_lr', 'warmup_stable_decay',
];

export interface TrainingArguments {
  /** Where checkpoints (checkpoint-<step>/) and the final model go; "trainer_output" when not given. */
  outputDir: string;
  /** Micro-batch size of one forward/backward pass. */
  perDeviceTrainBatchSize: number;
  /** Batch size used to encode texts during evaluation. */
  perDeviceEvalBatchSize: number;
  /** Epochs to train; a fraction stops part-way through the last epoch. Ignored when maxSteps > 0. */
  numTrainEpochs: number;
  /** Total optimizer steps; overrides numTrainEpochs when > 0 (-1: use epochs). */
  maxSteps: number;
  /** Micro-batches whose gradients are summed before one optimizer step. */
  gradientAccumulationSteps: number;
  /** Peak learning rate (after warmup). */
  learningRate: number;
  /** AdamW decoupled weight decay (not applied to biases and LayerNorm weights). */
  weightDecay: number;
  /** AdamW beta1. */
  adamBeta1: number;
  /** AdamW beta2. */
  adamBeta2: number;
  /** AdamW epsilon. */
  adamEpsilon: number;
  /** Gradient clipping by global L2 norm; 0 disables clipping. */
  maxGradNorm: number;
  /** Warmup optimizer steps: an integer >= 1 is a count, a value in [0, 1) a ratio of the total steps. */
  warmupSteps: number;
  /** Deprecated ratio form; moved into warmupSteps when warmupSteps is 0 (then null), else kept and unused. */
  warmupRatio: number | null;
  /** Learning-rate schedule (see lrSchedules.ts). */
  lrSchedulerType: LrSchedulerName;
  /** Extra schedule parameters, as transformers' lr_scheduler_kwargs (e.g. {num_cycles: 2}). */
  lrSchedulerKwargs: Record<string, unknown> | null;
  /** Seed for weight init of new layers, shuffling and dropout. */
  seed: number;
  /** Seed of BATCH_SAMPLER's shuffle on a single dataset (accelerate's seedable sampler); null: `seed`. */
  dataSeed: number | null;
  /** When to log the training loss: never, every loggingSteps, or every epoch. */
  loggingStrategy: IntervalStrategy;
  /** Log every N optimizer steps; a value < 1 is a ratio of the total steps. */
  loggingSteps: number;
  /** Also log after the very first optimizer step. */
  loggingFirstStep: boolean;
  /** When to evaluate: never, every evalSteps, or every epoch. */
  evalStrategy: IntervalStrategy;
  /** Evaluate every N optimizer steps (< 1: ratio of total); defaults to loggingSteps with evalStrategy "steps". */
  evalSteps: number | null;
  /** When to write checkpoint-<step>/: never, every saveSteps, every epoch, or on a new best metric. */
  saveStrategy: SaveStrategy;
  /** Save every N optimizer steps; a value < 1 is a ratio of the total steps. */
  saveSteps: number;
  /** Keep at most this many checkpoints (oldest deleted first, never the best one); null keeps all. */
  saveTotalLimit: number | null;
  /** Reload the best checkpoint (by metricForBestModel) when training ends. */
  loadBestModelAtEnd: boolean;
  /** Evaluation metric that picks the best checkpoint, with or without the "eval_" prefix. */
  metricForBestModel: string | null;
  /** Whether a larger metricForBestModel is better; derived from the metric name when not given. */
  greaterIsBetter: boolean | null;
  /** How training batches are formed: plain shuffled batches, batches without duplicate texts, or pairs of rows per label. */
  batchSampler: BatchSamplerName;
  /** With several training datasets: whose turn each batch is (round robin until one runs out, or in proportion to their sizes). */
  multiDatasetBatchSampler: MultiDatasetBatchSamplerName;
  /** Drop the last incomplete training batch of each epoch. */
  dataloaderDropLast: boolean;
  /** bf16 autocast for the forward pass (CUDA only). */
  bf16: boolean;
  /** fp16 autocast with loss scaling (CUDA only). */
  fp16: boolean;
  /** Allow TF32 matmuls on Ampere+ GPUs; null leaves the backend default. */
  tf32: boolean | null;
  /** Optimizer, by transformers' name (see optimizerSpec.ts for how each is built). */
  optim: OptimizerName;
  /** "key=value,key=value" hyperparameters for sgd (momentum, dampening, nesterov, weight_decay), adagrad
   *  (lr_decay, eps, weight_decay) and rmsprop (momentum, alpha, eps, centered, weight_decay), as transformers reads them. */
  optimArgs: string | null;
  /** Recompute each encoder layer's activations in the backward pass instead of keeping them (less memory, one more forward). */
  gradientCheckpointing: boolean;
  /** On out-of-memory, halve the training batch size and restart the training loop (transformers' find_executable_batch_size). */
  autoFindBatchSize: boolean;
  /** Evaluation batches after which transformers moves accumulated predictions to the CPU; the eval loss does not change with it. */
  evalAccumulationSteps: number | null;
  /** Name of the run in logs and the model card. */
  runName: string | null;
  /** Logging integrations; embedforge ships none, so this is recorded only ("none"/"all" give []). */
  reportTo: string[];
  /** Train on the CPU even when a GPU is present (sets `device` to "cpu"; a GPU `device` with it is an error). */
  useCpu: boolean;
  /** Resume from this checkpoint folder, or (true) from the latest checkpoint in outputDir. */
  resumeFromCheckpoint: string | boolean | null;
  /** embedforge only: the device to train on ("cpu", "cuda", "cuda:1"); null picks CUDA when available. */
  device: string | null;
}

// ---- value parsing -------------------------------------------------------------------------------------

/** Command lines and some YAML dialects give numbers and booleans as strings; take them when unambiguous. */
const numberLike = (v: unknown): unknown =>
  typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v;
const boolLike = (v: unknown): unknown => {
  if (typeof v !== 'string') return v;
  const s = v.trim().toLowerCase();
  return s === 'true' ? true : s === 'false' ? false : v;
};
const nullLike = (v: unknown): unknown => (v === 'null' || v === 'None' ? null : v);

const num = () => z.preprocess(numberLike, z.number({ error: 'must be a number' }).finite({ error: 'must be finite' }));
const int = () => z.preprocess(numberLike, z.number({ error: 'must be an integer' }).int({ error: 'must be an integer' }));
const bool = () => z.preprocess(boolLike, z.boolean({ error: 'must be true or false' }));
const str = () => z.string({ error: 'must be a string' });
const oneOf = <T extends string>(values: readonly T[]) =>
  z.enum(values as [T, ...T[]], { error: `must be one of ${values.map((v) => JSON.stringify(v)).join(', ')}` });
const nullable = <T extends z.ZodType>(schema: T) => z.preprocess(nullLike, schema.nullable());

/** batch_sampler also in sentence-transformers' enum spellings: BatchSamplers.NO_DUPLICATES, NO_DUPLICATES. */
function normalizeBatchSampler(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  return v.trim().replace(/^BatchSamplers\./i, '').toLowerCase();
}

/** multi_dataset_batch_sampler likewise: MultiDatasetBatchSamplers.ROUND_ROBIN, ROUND_ROBIN. */
function normalizeMultiDatasetBatchSampler(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  return v.trim().replace(/^MultiDatasetBatchSamplers\./i, '').toLowerCase();
}

/** lr_scheduler_kwargs may come as a JSON string from a command line, as transformers allows. */
function parseJsonObject(v: unknown): unknown {
  if (typeof v === 'string' && v.trim().startsWith('{')) {
    try {
      return JSON.parse(v);
    } catch {
      return v;
    }
  }
  return v;
}

function normalizeReportTo(v: unknown): unknown {
  if (v === null || v === 'none' || v === 'all') return [];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && (v.length === 1 && (v[0] === 'none' || v[0] === 'all'))) return [];
  return v;
}

/** The zod schema of the accepted arguments (camelCase keys, before cross-field derivation). */
export const trainingArgumentsSchema = z.object({
  outputDir: nullable(str()).default(null),
  perDeviceTrainBatchSize: int().pipe(z.number().min(1, { error: 'must be at least 1' })).default(8),
  perDeviceEvalBatchSize: int().pipe(z.number().min(1, { error: 'must be at least 1' })).default(8),
  numTrainEpochs: num().pipe(z.number().min(0, { error: 'must not be negative' })).default(3.0),
  maxSteps: int().default(-1),
  gradientAccumulationSteps: int().pipe(z.number().min(1, { error: 'must be at least 1' })).default(1),
  learningRate: num().pipe(z.number().min(0, { error: 'must not be negative' })).default(5e-5),
  weightDecay: num().default(0.0),
  adamBeta1: num().default(0.9),
  adamBeta2: num().default(0.999),
  adamEpsilon: num().default(1e-8),
  maxGradNorm: num().default(1.0),
  warmupSteps: num().default(0),
  warmupRatio: nullable(num()).default(null),
  lrSchedulerType: z.string({ error: 'must be a string' }).default('linear'),
  lrSchedulerKwargs: z.preprocess(parseJsonObject, nullable(z.record(z.string(), z.unknown(), { error: 'must be an object (a mapping of names to values)' }))).default(null),
  seed: int().default(42),
  dataSeed: nullable(int().pipe(z.number().min(0, { error: 'must not be negative' }))).default(null),
  loggingStrategy: oneOf(['no', 'steps', 'epoch'] as const).default('steps'),
  loggingSteps: num().default(500),
  loggingFirstStep: bool().default(false),
  evalStrategy: oneOf(['no', 'steps', 'epoch'] as const).default('no'),
  evalSteps: nullable(num()).default(null),
  saveStrategy: oneOf(['no', 'steps', 'epoch', 'best'] as const).default('steps'),
  saveSteps: num().default(500),
  saveTotalLimit: nullable(int()).default(null),
  loadBestModelAtEnd: bool().default(false),
  metricForBestModel: nullable(str()).default(null),
  greaterIsBetter: nullable(bool()).default(null),
  batchSampler: z.preprocess(normalizeBatchSampler, oneOf(Object.values(BatchSamplers))).default('batch_sampler'),
  multiDatasetBatchSampler: z.preprocess(normalizeMultiDatasetBatchSampler, oneOf(Object.values(MultiDatasetBatchSamplers))).default('proportional'),
  dataloaderDropLast: bool().default(false),
  bf16: bool().default(false),
  fp16: bool().default(false),
  tf32: nullable(bool()).default(null),
  optim: z.string({ error: 'must be a string' }).default('adamw_torch_fused'),
  optimArgs: nullable(str()).default(null),
  gradientCheckpointing: bool().default(false),
  autoFindBatchSize: bool().default(false),
  evalAccumulationSteps: nullable(int().pipe(z.number().min(1, { error: 'must be at least 1' }))).default(null),
  runName: nullable(str()).default(null),
  reportTo: z.preprocess(normalizeReportTo, z.array(z.string(), { error: 'must be a string or a list of strings' })).default([]),
  useCpu: bool().default(false),
  resumeFromCheckpoint: z.preprocess(nullLike, z.union([z.null(), z.boolean(), z.string()], { error: 'must be a path or true/false' })).default(null),
  device: nullable(str()).default(null),
}).strict();

// ---- key names -----------------------------------------------------------------------------------------

const CAMEL_KEYS = Object.keys(trainingArgumentsSchema.shape) as (keyof TrainingArguments)[];
const snakeOf = (camel: string): string => camel.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
const camelOf = (snake: string): string => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const SNAKE_KEYS = CAMEL_KEYS.map(snakeOf);
/** Spellings accepted besides the two regular ones. */
const ALIASES: Record<string, keyof TrainingArguments> = {
  evaluation_strategy: 'evalStrategy', // the transformers 4.x name
  evaluationStrategy: 'evalStrategy',
};

/** Arguments of transformers/sentence-transformers that embedforge does not implement (so they are not silently ignored). */
export const UNSUPPORTED_HF_ARGUMENTS: readonly string[] = [
  'optim_target_modules', 'average_tokens_across_devices', 'label_smoothing_factor', 'bf16_full_eval',
  'fp16_full_eval', 'gradient_checkpointing_kwargs', 'torch_compile', 'torch_compile_backend',
  'torch_compile_mode', 'use_liger_kernel', 'liger_kernel_config', 'use_cache', 'neftune_noise_alpha',
  'torch_empty_cache_steps', 'log_on_each_node', 'logging_nan_inf_filter',
  'include_num_input_tokens_seen', 'log_level', 'log_level_replica', 'disable_tqdm', 'project', 'trackio_space_id',
  'trackio_bucket_id', 'trackio_static_space_id', 'eval_delay', 'prediction_loss_only', 'eval_on_start',
  'eval_do_concat_batches', 'eval_use_gather_object', 'include_for_metrics',
  'batch_eval_metrics', 'save_only_model', 'save_on_each_node', 'enable_jit_checkpoint', 'push_to_hub', 'hub_token',
  'hub_private_repo', 'hub_model_id', 'hub_strategy', 'hub_always_push', 'hub_revision', 'ignore_data_skip',
  'restore_callback_states_from_checkpoint', 'full_determinism', 'accelerator_config',
  'parallelism_config', 'dataloader_num_workers', 'dataloader_pin_memory', 'dataloader_persistent_workers',
  'dataloader_prefetch_factor', 'dataloader_multiprocessing_context', 'dataloader_in_order', 'remove_unused_columns',
  'label_names', 'train_sampling_strategy', 'length_column_name', 'ddp_find_unused_parameters', 'ddp_bucket_cap_mb',
  'ddp_broadcast_buffers', 'ddp_static_graph', 'ddp_backend', 'ddp_timeout', 'fsdp', 'fsdp_config', 'deepspeed',
  'debug', 'skip_memory_metrics', 'do_train', 'do_eval', 'do_predict', 'local_rank', 'prompts',
  'router_mapping', 'learning_rate_mapping',
];

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = above;
    }
  }
  return prev[b.length];
}

/** The valid name closest to a mistyped one, written in the same style (snake or camel) as the typo. */
function closestName(key: string): string {
  const snakeStyle = key.includes('_') || key === key.toLowerCase();
  const candidates = snakeStyle ? SNAKE_KEYS : (CAMEL_KEYS as string[]);
  const probe = key.toLowerCase();
  let best = candidates[0];
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(probe, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function fail(source: string | undefined, message: string): never {
  throw new Error(`${source ? `${source}: ` : ''}${message}`);
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  try {
    return `${JSON.stringify(v)} (${Array.isArray(v) ? 'list' : v === null ? 'null' : typeof v})`;
  } catch {
    return String(v);
  }
}

/** Maps every accepted spelling to its camelCase key; rejects unknown and doubly given keys. */
function normalizeKeys(input: Record<string, unknown>, source?: string): { values: Record<string, unknown>; given: Record<string, string> } {
  const values: Record<string, unknown> = {};
  const given: Record<string, string> = {};
  const camelSet = new Set<string>(CAMEL_KEYS);
  for (const [key, value] of Object.entries(input)) {
    let camel: string | undefined = ALIASES[key];
    if (!camel && camelSet.has(key)) camel = key;
    if (!camel && key === key.toLowerCase() && camelSet.has(camelOf(key))) camel = camelOf(key);
    if (!camel) {
      if (UNSUPPORTED_HF_ARGUMENTS.includes(key) || UNSUPPORTED_HF_ARGUMENTS.includes(snakeOf(key))) {
        fail(source, `training argument "${key}" is a sentence-transformers/transformers argument that embedforge does not support; remove it`);
      }
      fail(source, `unknown training argument "${key}"; did you mean "${closestName(key)}"?`);
    }
    if (camel in values) fail(source, `training argument "${key}" is given twice (also as "${given[camel]}")`);
    values[camel] = value;
    given[camel] = key;
  }
  return { values, given };
}

/**
 * Parses training arguments given in snake_case (as in sentence-transformers tutorials and config files) or
 * camelCase. `source` (e.g. the config file's path) is named in every error. Throws on unknown keys, wrong
 * types and inconsistent combinations, with the same rules as SentenceTransformerTrainingArguments.
 */
export function parseTrainingArguments(input: Record<string, unknown>, source?: string): TrainingArguments {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    fail(source, `training arguments must be an object of name: value pairs, got ${show(input)}`);
  }
  const { values, given } = normalizeKeys(input, source);
  const parsed = trainingArgumentsSchema.safeParse(values);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const camel = String(issue.path[0]);
    fail(source, `training argument "${given[camel] ?? camel}" ${issue.message}, got ${show(values[camel])}`);
  }
  const a = parsed.data;
  const nameOf = (camel: keyof TrainingArguments): string => given[camel] ?? (Object.keys(input).some((k) => k.includes('_')) ? snakeOf(camel) : camel);

  if (!(LR_SCHEDULER_NAMES as readonly string[]).includes(a.lrSchedulerType)) {
    const known = a.lrSchedulerType === 'reduce_lr_on_plateau' || a.lrSchedulerType === 'greedy'
      ? ' (a metric-driven schedule, which embedforge does not implement)' : '';
    fail(source, `training argument "${nameOf('lrSchedulerType')}" is ${show(a.lrSchedulerType)}${known}; valid: ${LR_SCHEDULER_NAMES.join(', ')}`);
  }
  if (!(OPTIMIZER_NAMES as readonly string[]).includes(a.optim)) {
    // adamw_hf left transformers' OptimizerNames in v5; its message is transformers' own for an unknown name.
    const removed = a.optim === 'adamw_hf' ? ' (transformers 5 removed it: "adamw_hf is not a valid OptimizerNames"; use adamw_torch)' : '';
    fail(source, `training argument "${nameOf('optim')}" is ${show(a.optim)}${removed}; embedforge implements ${OPTIMIZER_NAMES.join(', ')}`);
  }
  if (a.optimArgs !== null) {
    try {
      parseOptimArgs(a.optim as OptimizerName, a.optimArgs);
    } catch (e) {
      fail(source, `training argument "${nameOf('optimArgs')}": ${(e as Error).message}`);
    }
  }

  const args: TrainingArguments = {
    ...a,
    outputDir: a.outputDir ?? 'trainer_output',
    lrSchedulerType: a.lrSchedulerType as LrSchedulerName,
    optim: a.optim as OptimizerName,
  };

  // sentence-transformers keeps warmup_ratio for transformers v5, where the ratio lives in warmup_steps.
  if (args.warmupRatio !== null && args.warmupSteps === 0) {
    args.warmupSteps = args.warmupRatio;
    args.warmupRatio = null;
  }
  if (args.evalStrategy === 'steps' && (args.evalSteps === null || args.evalSteps === 0)) {
    if (args.loggingSteps > 0) args.evalSteps = args.loggingSteps;
    else fail(source, `evaluation strategy "steps" requires a non-zero "${nameOf('evalSteps')}" or "${nameOf('loggingSteps')}"`);
  }
  if (args.loadBestModelAtEnd && args.metricForBestModel === null) args.metricForBestModel = 'loss';
  if (args.greaterIsBetter === null && args.metricForBestModel !== null) {
    args.greaterIsBetter = !args.metricForBestModel.endsWith('loss');
  }
  validate(args, nameOf, source);
  resolveDeviceArguments(args, nameOf, source);
  return args;
}

/** `device` must name a device; `use_cpu` (as in transformers) forces the CPU and so conflicts with a GPU `device`. */
function resolveDeviceArguments(a: TrainingArguments, nameOf: (k: keyof TrainingArguments) => string, source?: string): void {
  if (a.device !== null) {
    try {
      checkDeviceName(a.device, `training argument "${nameOf('device')}"`);
    } catch (e) {
      fail(source, (e as Error).message);
    }
  }
  if (!a.useCpu) return;
  if (a.device !== null && a.device.trim().toLowerCase() !== 'cpu') {
    fail(source, `"${nameOf('useCpu')}" is true but "${nameOf('device')}" is ${JSON.stringify(a.device)}: give one of them`);
  }
  a.device = 'cpu';
}

/** transformers' TrainingArguments._validate_args, for the arguments embedforge has. */
function validate(a: TrainingArguments, nameOf: (k: keyof TrainingArguments) => string, source?: string): void {
  if (a.loggingStrategy === 'steps' && a.loggingSteps === 0) {
    fail(source, `logging strategy "steps" requires a non-zero "${nameOf('loggingSteps')}"`);
  }
  // Step intervals above 1 are counts and must be whole; below 1 they are ratios of the total steps.
  const wholeAboveOne: [keyof TrainingArguments, boolean][] = [
    ['loggingSteps', a.loggingStrategy === 'steps'], ['evalSteps', a.evalStrategy === 'steps'], ['saveSteps', a.saveStrategy === 'steps'],
  ];
  for (const [key, applies] of wholeAboveOne) {
    const v = a[key] as number;
    if (applies && v > 1 && v !== Math.trunc(v)) fail(source, `"${nameOf(key)}" must be an integer if bigger than 1, got ${v}`);
  }
  if (a.loadBestModelAtEnd && a.saveStrategy !== 'best') {
    if (a.evalStrategy !== a.saveStrategy) {
      fail(source, `"${nameOf('loadBestModelAtEnd')}" requires the save and eval strategies to match (except with save strategy "best"), but the eval strategy is "${a.evalStrategy}" and the save strategy "${a.saveStrategy}"`);
    }
    const evalSteps = a.evalSteps as number;
    if (a.evalStrategy === 'steps' && a.saveSteps % evalSteps !== 0) {
      if (evalSteps < 1 || a.saveSteps < 1) {
        if (!(evalSteps < 1 && a.saveSteps < 1)) {
          fail(source, `"${nameOf('loadBestModelAtEnd')}" requires the save steps to be a multiple of the eval steps, which cannot be guaranteed when mixing a ratio and a count: save steps ${a.saveSteps}, eval steps ${evalSteps}`);
        }
        // transformers compares the ratios scaled by 1e6 to dodge floating-point remainders.
        if ((a.saveSteps * 1_000_000) % (evalSteps * 1_000_000) !== 0) {
          fail(source, `"${nameOf('loadBestModelAtEnd')}" requires the save steps to be a multiple of the eval steps, but ${a.saveSteps} is not a multiple of ${evalSteps}`);
        }
      } else {
        fail(source, `"${nameOf('loadBestModelAtEnd')}" requires the save steps to be a round multiple of the eval steps, but ${a.saveSteps} is not a round multiple of ${evalSteps}`);
      }
    }
  }
  if (a.fp16 && a.bf16) fail(source, `at most one of "${nameOf('fp16')}" and "${nameOf('bf16')}" can be true`);
  if (a.warmupSteps < 0) fail(source, `"${nameOf('warmupSteps')}" must not be negative, got ${a.warmupSteps}`);
}

/** The arguments in transformers' snake_case, e.g. for writing a run's configuration next to its checkpoints. */
export function trainingArgumentsToSnakeCase(args: TrainingArguments): Record<string, unknown> {
  return Object.fromEntries(CAMEL_KEYS.map((k) => [snakeOf(k), args[k]]));
}
