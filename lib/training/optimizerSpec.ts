/**
 * The engine's optimizer for the training arguments, as the HF Trainer (transformers 5.17,
 * trainer_optimizer.py) builds it: weight decay only in the decay group (not biases and LayerNorm weights);
 * AdamW and the 8-bit AdamW take adam_beta1/2 and adam_epsilon; SGD, Adagrad and RMSprop take torch's
 * defaults for everything but the learning rate, overridden by `optim_args` ("momentum=0.9,nesterov=true").
 * Where transformers would ignore an optim_args key, embedforge refuses it rather than lose it silently.
 */
import type { OptimizerKind, OptimizerSpec } from '../binding/AddonTypes';
import type { OptimizerName, TrainingArguments } from './TrainingArguments';

type Kind = 'number' | 'boolean';
/** The optim_args keys transformers reads for each optimizer (none for the AdamWs). */
const OPTIM_ARGS_KEYS: Record<OptimizerKind, Record<string, Kind>> = {
  adamw_torch: {}, adamw_torch_fused: {}, adamw_8bit: {},
  sgd: { momentum: 'number', dampening: 'number', nesterov: 'boolean' },
  adagrad: { lr_decay: 'number', eps: 'number' },
  rmsprop: { momentum: 'number', alpha: 'number', eps: 'number', centered: 'boolean' },
};

export function optimizerKind(optim: OptimizerName): OptimizerKind {
  return optim === 'adamw_bnb_8bit' ? 'adamw_8bit' : optim;
}

/** optim_args as transformers splits it (spaces dropped, "," between pairs, "=" in each), values typed per key. */
export function parseOptimArgs(optim: OptimizerName, text: string): Record<string, number | boolean> {
  const kind = optimizerKind(optim);
  const known = OPTIM_ARGS_KEYS[kind];
  const out: Record<string, number | boolean> = {};
  const compact = text.replace(/ /g, '');
  if (compact === '') return out;
  for (const pair of compact.split(',')) {
    const parts = pair.split('=');
    if (parts.length !== 2) throw new Error(`"${pair}" is not a key=value pair (optim_args is "key=value,key=value")`);
    const [key, value] = parts;
    if (key === 'weight_decay') {
      throw new Error('weight_decay in optim_args has no effect in the HF Trainer (its parameter groups set the decay); use the weight_decay argument');
    }
    const type = known[key];
    if (!type) {
      const keys = Object.keys(known);
      throw new Error(`"${key}" is not read by optim "${optim}"` + (keys.length ? ` (it reads ${keys.join(', ')})` : ' (it reads no optim_args)'));
    }
    if (type === 'boolean') out[key] = ['true', '1', 'yes'].includes(value.toLowerCase());
    else {
      const n = Number(value);
      if (value === '' || !Number.isFinite(n)) throw new Error(`${key}=${value} is not a finite number`);
      out[key] = n;
    }
  }
  return out;
}

/** The OptimizerSpec the engine builds for these arguments. */
export function optimizerSpecOf(args: TrainingArguments): OptimizerSpec {
  const name = optimizerKind(args.optim);
  const extra = args.optimArgs ? parseOptimArgs(args.optim, args.optimArgs) : {};
  const num = (key: string, fallback: number): number => (typeof extra[key] === 'number' ? (extra[key] as number) : fallback);
  const flag = (key: string): boolean => extra[key] === true;
  const base = { name, weightDecay: args.weightDecay, beta1: args.adamBeta1, beta2: args.adamBeta2, eps: args.adamEpsilon };
  switch (name) {
    case 'sgd':
      return { ...base, momentum: num('momentum', 0), dampening: num('dampening', 0), nesterov: flag('nesterov') };
    case 'adagrad':
      return { ...base, eps: num('eps', 1e-10), lrDecay: num('lr_decay', 0) };
    case 'rmsprop':
      return { ...base, eps: num('eps', 1e-8), alpha: num('alpha', 0.99), momentum: num('momentum', 0), centered: flag('centered') };
    default:
      return base;
  }
}
