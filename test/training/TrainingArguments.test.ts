import { optimizerSpecOf } from '../../lib/training/optimizerSpec';
import {
  parseTrainingArguments, TrainingArguments, trainingArgumentsSchema, trainingArgumentsToSnakeCase, UNSUPPORTED_HF_ARGUMENTS,
} from '../../lib/training/TrainingArguments';
import { describeIf, missing } from '../helpers/requirements';
import { reference } from './reference';

type PyAnswer = { ok: Record<string, unknown> } | { error: string };

/** Our fields that SentenceTransformerTrainingArguments also has, in its snake_case. */
const ourFields = Object.keys(trainingArgumentsSchema.shape).filter((k) => k !== 'device') as (keyof TrainingArguments)[];
const snake = (k: string) => k.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);

/** Inputs valid or invalid for the same reason in both implementations (bf16/tf32 need a GPU in Python, so absent). */
const PARITY_CASES: Record<string, unknown>[] = [
  {},
  { output_dir: 'runs/a', per_device_train_batch_size: 64, per_device_eval_batch_size: 128, num_train_epochs: 1, learning_rate: 2e-5 },
  { max_steps: 100, num_train_epochs: 1, gradient_accumulation_steps: 4, weight_decay: 0.01, adam_beta1: 0.8, adam_beta2: 0.99, adam_epsilon: 1e-6, max_grad_norm: 0 },
  { eval_strategy: 'steps' },
  { eval_strategy: 'steps', logging_steps: 0.1 },
  { eval_strategy: 'steps', eval_steps: 0, logging_steps: 50 },
  { eval_strategy: 'steps', logging_steps: 0 },
  { logging_strategy: 'epoch', logging_steps: 0 },
  { logging_steps: 0 },
  { load_best_model_at_end: true },
  { load_best_model_at_end: true, eval_strategy: 'steps', save_steps: 1000, eval_steps: 500 },
  { load_best_model_at_end: true, eval_strategy: 'steps', save_steps: 750, eval_steps: 500 },
  { load_best_model_at_end: true, eval_strategy: 'steps', save_steps: 0.2, eval_steps: 0.1 },
  { load_best_model_at_end: true, eval_strategy: 'steps', save_steps: 0.3, eval_steps: 0.2 },
  { load_best_model_at_end: true, eval_strategy: 'steps', save_steps: 0.3, eval_steps: 0.1 },
  { load_best_model_at_end: true, eval_strategy: 'steps', save_steps: 0.5, eval_steps: 100 },
  { load_best_model_at_end: true, eval_strategy: 'epoch', save_strategy: 'epoch' },
  { load_best_model_at_end: true, eval_strategy: 'steps', save_strategy: 'best', eval_steps: 10 },
  { load_best_model_at_end: true, eval_strategy: 'steps', metric_for_best_model: 'cosine_ndcg@10' },
  { metric_for_best_model: 'eval_cosine_ndcg@10' },
  { metric_for_best_model: 'eval_loss', greater_is_better: true },
  { metric_for_best_model: 'eval_my_loss' },
  { warmup_ratio: 0.1 },
  { warmup_ratio: 0.1, warmup_steps: 10 },
  { warmup_ratio: 1.0 },
  { warmup_steps: 0.05 },
  { warmup_steps: 1.5 },
  { warmup_steps: -1 },
  { warmup_ratio: -0.1 },
  { logging_steps: 10.5 },
  { save_steps: 2.5 },
  { save_steps: 2.5, save_strategy: 'no' },
  { eval_strategy: 'steps', eval_steps: 7.5 },
  { fp16: true, bf16: true, use_cpu: true },
  { bf16: true, use_cpu: true },
  { tf32: false },
  { batch_sampler: 'no_duplicates' },
  { batch_sampler: 'batch_sampler' },
  { batch_sampler: 'group_by_label', multi_dataset_batch_sampler: 'round_robin', data_seed: 7 },
  { lr_scheduler_type: 'cosine', lr_scheduler_kwargs: { num_cycles: 2 } },
  { lr_scheduler_type: 'cosine_with_restarts', lr_scheduler_kwargs: '{"num_cycles": 3}' },
  { lr_scheduler_type: 'warmup_stable_decay', lr_scheduler_kwargs: { num_decay_steps: 5 } },
  { lr_scheduler_type: 'foo' },
  { eval_strategy: 'sometimes' },
  { save_strategy: 'always' },
  { report_to: 'none' },
  { report_to: ['none'] },
  { report_to: 'wandb' },
  { report_to: ['tensorboard', 'wandb'] },
  { optim: 'adamw_torch' },
  { optim: 'not_an_optimizer' },
  { optim: 'adamw_hf' },
  { optim: 'sgd', optim_args: 'momentum=0.9,nesterov=true' },
  { optim: 'adagrad' },
  { optim: 'rmsprop', optim_args: 'alpha=0.9' },
  { optim: 'adamw_8bit' },
  { optim: 'adamw_bnb_8bit' },
  { gradient_checkpointing: true, auto_find_batch_size: true, eval_accumulation_steps: 4 },
  { save_total_limit: 2, resume_from_checkpoint: 'out/checkpoint-5', run_name: 'x', seed: 7, dataloader_drop_last: true, logging_first_step: true },
  { use_cpu: true, greater_is_better: false },
  { not_an_argument: 1 },
];

describeIf(missing({ python: true }), 'TrainingArguments vs SentenceTransformerTrainingArguments', () => {
  const answers = reference<PyAnswer>('args', PARITY_CASES);

  it('has every default of sentence-transformers 6.0.1 / transformers 5.17', () => {
    const py = answers[0];
    if (!('ok' in py)) throw new Error(`Python rejected the defaults: ${py.error}`);
    const ours = parseTrainingArguments({});
    for (const k of ourFields) expect({ field: k, value: ours[k] }).toEqual({ field: k, value: py.ok[snake(k)] });
    expect(ourFields.length).toBeGreaterThan(35);
  });

  it('accepts and rejects the same inputs, deriving the same values', () => {
    for (let i = 0; i < PARITY_CASES.length; i++) {
      const input = PARITY_CASES[i];
      const py = answers[i];
      let ours: TrainingArguments | null = null;
      let ourError = '';
      try {
        ours = parseTrainingArguments(input);
      } catch (err) {
        ourError = (err as Error).message;
      }
      const label = JSON.stringify(input);
      if ('error' in py) {
        expect({ label, accepted: ours !== null, pythonError: py.error }).toEqual({ label, accepted: false, pythonError: py.error });
        continue;
      }
      expect({ label, ourError }).toEqual({ label, ourError: '' });
      for (const k of ourFields) {
        expect({ label, field: k, value: ours![k] }).toEqual({ label, field: k, value: py.ok[snake(k)] });
      }
    }
  });

  it('names every other Python argument as unsupported (so none is silently ignored)', () => {
    const py = answers[0] as { ok: Record<string, unknown> };
    const supported = new Set([...ourFields.map(snake)]);
    const others = Object.keys(py.ok).filter((k) => !supported.has(k)).sort();
    expect([...UNSUPPORTED_HF_ARGUMENTS].sort()).toEqual(others);
  });
});

describe('parseTrainingArguments', () => {
  const tutorial = {
    output_dir: 'models/mpnet-base-all-nli', num_train_epochs: 1, per_device_train_batch_size: 16, per_device_eval_batch_size: 16,
    learning_rate: 2e-5, warmup_ratio: 0.1, fp16: false, bf16: true, batch_sampler: 'no_duplicates', eval_strategy: 'steps',
    eval_steps: 100, save_strategy: 'steps', save_steps: 100, save_total_limit: 2, logging_steps: 100, run_name: 'mpnet-base-all-nli',
    lr_scheduler_type: 'cosine', gradient_accumulation_steps: 2, seed: 12, load_best_model_at_end: true, metric_for_best_model: 'eval_sts-dev_spearman_cosine',
  };

  it('reads snake_case and camelCase to the same camelCase result', () => {
    const camel = Object.fromEntries(Object.entries(tutorial).map(([k, v]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), v]));
    expect(camel.perDeviceTrainBatchSize).toBe(16);
    const a = parseTrainingArguments(tutorial);
    expect(parseTrainingArguments(camel)).toEqual(a);
    expect(a).toMatchObject({
      outputDir: 'models/mpnet-base-all-nli', perDeviceTrainBatchSize: 16, warmupSteps: 0.1, warmupRatio: null, batchSampler: 'no_duplicates',
      evalSteps: 100, saveTotalLimit: 2, greaterIsBetter: true, metricForBestModel: 'eval_sts-dev_spearman_cosine', bf16: true,
    });
  });

  it('round-trips through its snake_case form', () => {
    const a = parseTrainingArguments(tutorial);
    const snakeForm = trainingArgumentsToSnakeCase(a);
    expect(snakeForm.per_device_train_batch_size).toBe(16);
    expect(snakeForm.adam_beta1).toBe(0.9);
    expect(parseTrainingArguments(snakeForm)).toEqual(a);
  });

  it('accepts the enum spellings of batch_sampler and the old name evaluation_strategy', () => {
    for (const v of ['BatchSamplers.NO_DUPLICATES', 'NO_DUPLICATES', 'batchsamplers.no_duplicates', 'No_Duplicates']) {
      expect(parseTrainingArguments({ batch_sampler: v }).batchSampler).toBe('no_duplicates');
    }
    expect(parseTrainingArguments({ batch_sampler: 'BatchSamplers.BATCH_SAMPLER' }).batchSampler).toBe('batch_sampler');
    expect(parseTrainingArguments({ batch_sampler: 'BatchSamplers.GROUP_BY_LABEL' }).batchSampler).toBe('group_by_label');
    expect(parseTrainingArguments({ multi_dataset_batch_sampler: 'MultiDatasetBatchSamplers.ROUND_ROBIN' }).multiDatasetBatchSampler).toBe('round_robin');
    expect(parseTrainingArguments({}).multiDatasetBatchSampler).toBe('proportional');
    expect(parseTrainingArguments({ evaluation_strategy: 'epoch' }).evalStrategy).toBe('epoch');
    expect(() => parseTrainingArguments({ evaluation_strategy: 'epoch', eval_strategy: 'no' })).toThrow(/"eval_strategy" is given twice \(also as "evaluation_strategy"\)/);
  });

  it('takes numbers and booleans written as strings (command lines)', () => {
    const a = parseTrainingArguments({ learning_rate: '3e-5', num_train_epochs: '2', bf16: 'True', save_total_limit: 'None', resume_from_checkpoint: 'false' });
    expect(a).toMatchObject({ learningRate: 3e-5, numTrainEpochs: 2, bf16: true, saveTotalLimit: null });
    expect(a.resumeFromCheckpoint).toBe('false'); // a path may be called anything; only real booleans mean "latest"
    expect(parseTrainingArguments({ resume_from_checkpoint: true }).resumeFromCheckpoint).toBe(true);
  });

  it('accepts the optimizers embedforge implements; refuses adamw_hf as transformers 5 does, and the others by name', () => {
    for (const optim of ['adamw_torch', 'adamw_torch_fused', 'adamw_8bit', 'adamw_bnb_8bit', 'sgd', 'adagrad', 'rmsprop']) expect(parseTrainingArguments({ optim }).optim).toBe(optim);
    expect(() => parseTrainingArguments({ optim: 'adafactor' }, 'train.yaml')).toThrow('train.yaml: training argument "optim" is "adafactor"; embedforge implements adamw_torch, adamw_torch_fused, adamw_8bit, adamw_bnb_8bit, sgd, adagrad, rmsprop');
    expect(() => parseTrainingArguments({ optim: 'adamw_hf' })).toThrow('"adamw_hf is not a valid OptimizerNames"; use adamw_torch');
  });

  it('reads optim_args as transformers does for each optimizer, refusing keys it would ignore', () => {
    expect(optimizerSpecOf(parseTrainingArguments({ optim: 'sgd', optim_args: 'momentum = 0.9, nesterov=True', weight_decay: 0.1 }))).toEqual({
      name: 'sgd', weightDecay: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, momentum: 0.9, dampening: 0, nesterov: true,
    });
    // torch's defaults where transformers passes nothing: Adagrad eps 1e-10, RMSprop eps 1e-8 and alpha 0.99 (not adam_epsilon).
    expect(optimizerSpecOf(parseTrainingArguments({ optim: 'adagrad', adam_epsilon: 1e-6 }))).toMatchObject({ name: 'adagrad', eps: 1e-10, lrDecay: 0 });
    expect(optimizerSpecOf(parseTrainingArguments({ optim: 'rmsprop', adam_epsilon: 1e-6, optim_args: 'centered=1,momentum=0.5' })))
      .toMatchObject({ name: 'rmsprop', eps: 1e-8, alpha: 0.99, momentum: 0.5, centered: true });
    expect(optimizerSpecOf(parseTrainingArguments({ optim: 'adamw_bnb_8bit', adam_beta2: 0.98 }))).toEqual({ name: 'adamw_8bit', weightDecay: 0, beta1: 0.9, beta2: 0.98, eps: 1e-8 });
    expect(() => parseTrainingArguments({ optim: 'sgd', optim_args: 'alpha=0.9' }, 'c.yaml')).toThrow('c.yaml: training argument "optim_args": "alpha" is not read by optim "sgd" (it reads momentum, dampening, nesterov)');
    expect(() => parseTrainingArguments({ optim: 'adamw_torch', optim_args: 'beta1=0.8' })).toThrow('"beta1" is not read by optim "adamw_torch" (it reads no optim_args)');
    expect(() => parseTrainingArguments({ optim: 'sgd', optim_args: 'momentum' })).toThrow('"momentum" is not a key=value pair');
    expect(() => parseTrainingArguments({ optim: 'sgd', optim_args: 'momentum=fast' })).toThrow('momentum=fast is not a finite number');
    expect(() => parseTrainingArguments({ optim: 'adagrad', optim_args: 'weight_decay=0.1' })).toThrow('weight_decay in optim_args has no effect in the HF Trainer');
  });

  it('suggests the closest name for a typo, in the style of the typo', () => {
    expect(() => parseTrainingArguments({ per_device_train_bach_size: 8 }, 'cfg.yaml')).toThrow('cfg.yaml: unknown training argument "per_device_train_bach_size"; did you mean "per_device_train_batch_size"?');
    expect(() => parseTrainingArguments({ learningrate: 1 })).toThrow('did you mean "learning_rate"?');
    expect(() => parseTrainingArguments({ warmupRation: 0.1 })).toThrow('did you mean "warmupRatio"?');
  });

  it('says that a real transformers argument is unsupported rather than unknown', () => {
    expect(() => parseTrainingArguments({ push_to_hub: true })).toThrow('training argument "push_to_hub" is a sentence-transformers/transformers argument that embedforge does not support; remove it');
    expect(() => parseTrainingArguments({ torchCompile: true })).toThrow(/"torchCompile" is a sentence-transformers\/transformers argument/);
  });

  it('names the key, the value and the file for a wrong type', () => {
    expect(() => parseTrainingArguments({ learning_rate: 'fast' }, 'configs/run.yaml')).toThrow('configs/run.yaml: training argument "learning_rate" must be a number, got "fast"');
    expect(() => parseTrainingArguments({ perDeviceTrainBatchSize: 2.5 })).toThrow('training argument "perDeviceTrainBatchSize" must be an integer, got 2.5 (number)');
    expect(() => parseTrainingArguments({ per_device_train_batch_size: 0 })).toThrow('"per_device_train_batch_size" must be at least 1, got 0');
    expect(() => parseTrainingArguments({ bf16: 'yes' })).toThrow('training argument "bf16" must be true or false, got "yes"');
    expect(() => parseTrainingArguments({ eval_strategy: 'sometimes' })).toThrow('training argument "eval_strategy" must be one of "no", "steps", "epoch", got "sometimes"');
    expect(() => parseTrainingArguments({ lr_scheduler_kwargs: [1] })).toThrow('training argument "lr_scheduler_kwargs" must be an object (a mapping of names to values), got [1] (list)');
    expect(() => parseTrainingArguments({ batch_sampler: 'no_duplicates_hashed' })).toThrow(/"batch_sampler" must be one of "batch_sampler", "no_duplicates", "group_by_label", got "no_duplicates_hashed"/);
    expect(() => parseTrainingArguments({ multi_dataset_batch_sampler: 'random' })).toThrow(/"multi_dataset_batch_sampler" must be one of "round_robin", "proportional", got "random"/);
    expect(() => parseTrainingArguments({ data_seed: -1 })).toThrow(/"data_seed" must not be negative/);
    expect(() => parseTrainingArguments([] as unknown as Record<string, unknown>, 'x.json')).toThrow('x.json: training arguments must be an object');
  });

  it('explains inconsistent combinations with the names the user wrote', () => {
    expect(() => parseTrainingArguments({ load_best_model_at_end: true, eval_strategy: 'epoch' }))
      .toThrow('"load_best_model_at_end" requires the save and eval strategies to match (except with save strategy "best"), but the eval strategy is "epoch" and the save strategy "steps"');
    expect(() => parseTrainingArguments({ loadBestModelAtEnd: true, evalStrategy: 'steps', saveSteps: 300, evalSteps: 200 }))
      .toThrow('"loadBestModelAtEnd" requires the save steps to be a round multiple of the eval steps, but 300 is not a round multiple of 200');
    expect(() => parseTrainingArguments({ lr_scheduler_type: 'reduce_lr_on_plateau', eval_strategy: 'steps' }))
      .toThrow(/"lr_scheduler_type" is "reduce_lr_on_plateau" \(a metric-driven schedule, which embedforge does not implement\); valid: linear, cosine/);
  });

  it('parses its own output to the same arguments (so re-parsing parsed arguments is harmless)', () => {
    for (const input of [...PARITY_CASES, tutorial]) {
      let once: TrainingArguments;
      try {
        once = parseTrainingArguments(input);
      } catch {
        continue;
      }
      expect(parseTrainingArguments({ ...once })).toEqual(once);
    }
  });

  it('keeps the device override, which Python does not have', () => {
    expect(parseTrainingArguments({ device: 'cuda:1' }).device).toBe('cuda:1');
    expect(parseTrainingArguments({}).device).toBeNull();
  });
});
