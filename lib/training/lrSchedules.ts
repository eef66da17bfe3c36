/**
 * Learning-rate schedules with the semantics of transformers 5.17's `get_scheduler` (optimization.py).
 * `createLrSchedule(...)(step)` is the learning rate in effect while optimizer step number `step` (0-based)
 * runs: the Trainer steps the LambdaLR once after every optimizer step, so step k uses
 * `learningRate * factor(k)`. The arithmetic follows the Python expressions operation by operation so the
 * doubles agree to the last bit or so (tested within 1e-12 relative).
 */
import { LR_SCHEDULER_NAMES, LrSchedulerName } from './TrainingArguments';

export interface LrScheduleOptions {
  /** The peak learning rate (the optimizer's initial lr). */
  learningRate: number;
  /** Warmup optimizer steps, already resolved to a whole number (see trainingSteps.resolveWarmupSteps). */
  warmupSteps: number;
  /** Total optimizer steps of the run. */
  totalSteps: number;
  /** transformers' lr_scheduler_kwargs (snake_case or camelCase names). */
  kwargs?: Record<string, unknown> | null;
}

/** The learning rate for 0-based optimizer step `step`. */
export type LrSchedule = (step: number) => number;

type Factor = (step: number) => number;

/** Linear warmup shared by most schedules: step / max(1, warmup). */
const warmupFactor = (step: number, warmup: number): number => step / Math.max(1, warmup);

/** The scheduler-specific kwargs each schedule accepts (others raise, as Python's TypeError would). */
const ACCEPTED_KWARGS: Record<LrSchedulerName, readonly string[]> = {
  constant: [],
  constant_with_warmup: [],
  linear: [],
  cosine: ['num_cycles'],
  cosine_with_restarts: ['num_cycles'],
  polynomial: ['lr_end', 'power'],
  inverse_sqrt: ['timescale'],
  cosine_with_min_lr: ['num_cycles', 'min_lr', 'min_lr_rate'],
  cosine_warmup_with_min_lr: ['num_cycles', 'min_lr', 'min_lr_rate', 'warmup_lr_rate'],
  warmup_stable_decay: ['num_decay_steps', 'num_stable_steps', 'warmup_type', 'decay_type', 'min_lr_ratio', 'num_cycles'],
};

function readKwargs(type: LrSchedulerName, raw: Record<string, unknown> | null | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  // get_scheduler never passes kwargs to these two, so transformers ignores whatever was given.
  if (type === 'constant' || type === 'constant_with_warmup' || !raw) return out;
  for (const [key, value] of Object.entries(raw)) {
    const snake = key.replace(/[A-Z]/g, (m) => `_${m.toLowerCase()}`);
    if (!ACCEPTED_KWARGS[type].includes(snake)) {
      const accepted = ACCEPTED_KWARGS[type];
      throw new Error(`lr_scheduler_kwargs: "${key}" is not a parameter of the "${type}" schedule; ${accepted.length ? `it accepts ${accepted.join(', ')}` : 'it takes none'}`);
    }
    out[snake] = value;
  }
  return out;
}

function numberKwarg(kw: Record<string, unknown>, name: string, type: string): number | undefined {
  const v = kw[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new Error(`lr_scheduler_kwargs: "${name}" of the "${type}" schedule must be a number, got ${JSON.stringify(v)}`);
  }
  return v;
}

function shapeKwarg(kw: Record<string, unknown>, name: string, fallback: string): string {
  const v = kw[name] ?? fallback;
  if (v !== 'linear' && v !== 'cosine' && v !== '1-sqrt') {
    throw new Error(`lr_scheduler_kwargs: unknown ${name} ${JSON.stringify(v)}, expected 'linear', 'cosine' or '1-sqrt'`);
  }
  return v;
}

/** min_lr_rate from exactly one of min_lr (absolute) and min_lr_rate (ratio of the peak). */
function minLrRate(kw: Record<string, unknown>, type: string, learningRate: number): number {
  const minLr = numberKwarg(kw, 'min_lr', type);
  const rate = numberKwarg(kw, 'min_lr_rate', type);
  if (minLr !== undefined && rate !== undefined) throw new Error(`lr_scheduler_kwargs: only one of min_lr or min_lr_rate should be set for "${type}"`);
  if (minLr !== undefined) return minLr / learningRate;
  if (rate === undefined) throw new Error(`the "${type}" schedule needs min_lr or min_lr_rate in lr_scheduler_kwargs`);
  return rate;
}

function factorFor(type: LrSchedulerName, o: LrScheduleOptions, kw: Record<string, unknown>): Factor {
  const w = o.warmupSteps;
  const total = o.totalSteps;
  switch (type) {
    case 'constant':
      return () => 1;
    case 'constant_with_warmup':
      return (s) => (s < w ? s / Math.max(1.0, w) : 1.0);
    case 'linear':
      return (s) => (s < w ? warmupFactor(s, w) : Math.max(0.0, (total - s) / Math.max(1, total - w)));
    case 'cosine': {
      const cycles = numberKwarg(kw, 'num_cycles', type) ?? 0.5;
      return (s) => {
        if (s < w) return warmupFactor(s, w);
        const progress = (s - w) / Math.max(1, total - w);
        return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress)));
      };
    }
    case 'cosine_with_restarts': {
      const cycles = numberKwarg(kw, 'num_cycles', type) ?? 1;
      return (s) => {
        if (s < w) return warmupFactor(s, w);
        const progress = (s - w) / Math.max(1, total - w);
        if (progress >= 1.0) return 0.0;
        return Math.max(0.0, 0.5 * (1.0 + Math.cos(Math.PI * ((cycles * progress) % 1.0))));
      };
    }
    case 'polynomial': {
      const lrEnd = numberKwarg(kw, 'lr_end', type) ?? 1e-7;
      const power = numberKwarg(kw, 'power', type) ?? 1.0;
      const lrInit = o.learningRate;
      if (!(lrInit > lrEnd)) throw new Error(`lr_end (${lrEnd}) must be smaller than the initial learning rate (${lrInit})`);
      // transformers divides by (total - warmup) here and would fail with ZeroDivisionError at step `total`.
      if (total <= w) throw new Error(`the "polynomial" schedule needs more total steps (${total}) than warmup steps (${w})`);
      return (s) => {
        if (s < w) return warmupFactor(s, w);
        if (s > total) return lrEnd / lrInit;
        const lrRange = lrInit - lrEnd;
        const pctRemaining = 1 - (s - w) / (total - w);
        const decay = lrRange * pctRemaining ** power + lrEnd;
        return decay / lrInit;
      };
    }
    case 'inverse_sqrt': {
      const timescale = numberKwarg(kw, 'timescale', type) ?? (w || 10_000);
      return (s) => {
        if (s < w) return warmupFactor(s, w);
        const shift = timescale - w;
        return 1.0 / Math.sqrt((s + shift) / timescale);
      };
    }
    case 'cosine_with_min_lr': {
      const cycles = numberKwarg(kw, 'num_cycles', type) ?? 0.5;
      const rate = minLrRate(kw, type, o.learningRate);
      return (s) => {
        if (s < w) return warmupFactor(s, w);
        const progress = (s - w) / Math.max(1, total - w);
        let factor = 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress));
        factor = factor * (1 - rate) + rate;
        return Math.max(0, factor);
      };
    }
    case 'cosine_warmup_with_min_lr': {
      const cycles = numberKwarg(kw, 'num_cycles', type) ?? 0.5;
      const rate = minLrRate(kw, type, o.learningRate);
      const warmupRate = numberKwarg(kw, 'warmup_lr_rate', type);
      return (s) => {
        // This variant warms up to 1/w at step 0 (not 0) and starts the decay one step earlier.
        if (s < w) {
          if (warmupRate === undefined) return (s + 1.0) / Math.max(1.0, w);
          return warmupRate + ((1.0 - warmupRate) * s) / Math.max(1, w - 1);
        }
        const progress = (s - w + 1.0) / Math.max(1.0, total - w);
        let factor = 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress));
        factor = factor * (1 - rate) + rate;
        return Math.max(0, factor);
      };
    }
    case 'warmup_stable_decay': {
      const decaySteps = numberKwarg(kw, 'num_decay_steps', type);
      if (decaySteps === undefined) throw new Error('the "warmup_stable_decay" schedule needs num_decay_steps in lr_scheduler_kwargs');
      const stableSteps = numberKwarg(kw, 'num_stable_steps', type) ?? total - w - decaySteps;
      const warmupType = shapeKwarg(kw, 'warmup_type', 'linear');
      const decayType = shapeKwarg(kw, 'decay_type', 'cosine');
      const minRatio = numberKwarg(kw, 'min_lr_ratio', type) ?? 0;
      const cycles = numberKwarg(kw, 'num_cycles', type) ?? 0.5;
      return (s) => {
        if (s < w) {
          const progress = s / Math.max(1, w);
          let factor = warmupType === 'linear' ? progress
            : warmupType === 'cosine' ? 0.5 * (1.0 - Math.cos(Math.PI * progress))
              : 1.0 - Math.sqrt(1.0 - progress);
          factor = factor * (1.0 - minRatio) + minRatio;
          return Math.max(0.0, factor);
        }
        if (s < w + stableSteps) return 1.0;
        if (s < w + stableSteps + decaySteps) {
          const progress = (s - w - stableSteps) / Math.max(1, decaySteps);
          let factor = decayType === 'linear' ? 1.0 - progress
            : decayType === 'cosine' ? 0.5 * (1.0 + Math.cos(Math.PI * cycles * 2.0 * progress))
              : 1.0 - Math.sqrt(progress);
          factor = factor * (1.0 - minRatio) + minRatio;
          return Math.max(0.0, factor);
        }
        return minRatio;
      };
    }
  }
}

/**
 * The schedule `type` (an lr_scheduler_type of transformers) as a function of the 0-based optimizer step.
 * Throws for unknown types (listing the valid ones) and for invalid scheduler kwargs.
 */
export function createLrSchedule(type: string, options: LrScheduleOptions): LrSchedule {
  if (!(LR_SCHEDULER_NAMES as readonly string[]).includes(type)) {
    throw new Error(`unknown lr_scheduler_type ${JSON.stringify(type)}; valid: ${LR_SCHEDULER_NAMES.join(', ')}`);
  }
  const { learningRate, warmupSteps, totalSteps } = options;
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0) throw new Error(`warmupSteps must be a whole number >= 0, got ${warmupSteps}`);
  if (!Number.isInteger(totalSteps) || totalSteps < 0) throw new Error(`totalSteps must be a whole number >= 0, got ${totalSteps}`);
  if (!Number.isFinite(learningRate) || learningRate < 0) throw new Error(`learningRate must be a number >= 0, got ${learningRate}`);
  const name = type as LrSchedulerName;
  const factor = factorFor(name, options, readKwargs(name, options.kwargs));
  return (step: number) => learningRate * factor(step);
}
