import { createLrSchedule } from '../../lib/training/lrSchedules';
import { LR_SCHEDULER_NAMES } from '../../lib/training/TrainingArguments';
import { describeIf, missing } from '../helpers/requirements';
import { reference } from './reference';

interface ScheduleCase {
  type: string;
  lr: number;
  warmup: number;
  total: number;
  kwargs?: Record<string, unknown>;
  extra: number;
}

/** Every schedule over whole runs: with and without warmup, tiny and odd lengths, every kwarg. */
function cases(): ScheduleCase[] {
  const out: ScheduleCase[] = [];
  const shapes: [number, number][] = [[0, 1], [0, 37], [5, 50], [10, 11], [3, 3], [1, 200], [25, 100]];
  const kwargSets: Record<string, (Record<string, unknown> | undefined)[]> = {
    linear: [undefined],
    cosine: [undefined, { num_cycles: 1.5 }, { num_cycles: 0.25 }],
    cosine_with_restarts: [undefined, { num_cycles: 3 }, { num_cycles: 7 }],
    polynomial: [undefined, { power: 2.0 }, { lr_end: 1e-6, power: 0.5 }],
    constant: [undefined, { ignored_by_transformers: 1 }],
    constant_with_warmup: [undefined],
    inverse_sqrt: [undefined, { timescale: 17 }],
    cosine_with_min_lr: [{ min_lr: 1e-6 }, { min_lr_rate: 0.1, num_cycles: 1 }],
    cosine_warmup_with_min_lr: [{ min_lr_rate: 0.05 }, { min_lr: 2e-7, warmup_lr_rate: 0.2 }],
    warmup_stable_decay: [
      { num_decay_steps: 1 },
      { num_decay_steps: 10, warmup_type: 'cosine', decay_type: 'linear', min_lr_ratio: 0.1 },
      { num_decay_steps: 4, num_stable_steps: 3, warmup_type: '1-sqrt', decay_type: '1-sqrt' },
      { num_decay_steps: 6, decay_type: 'cosine', num_cycles: 1, min_lr_ratio: 0.2 },
    ],
  };
  for (const type of LR_SCHEDULER_NAMES) {
    for (const kwargs of kwargSets[type]) {
      for (const [warmup, total] of shapes) {
        if (type === 'polynomial' && total <= warmup) continue; // transformers divides by zero there
        if (type === 'warmup_stable_decay' && !('num_stable_steps' in kwargs!) && total - warmup - (kwargs!.num_decay_steps as number) < 0) continue;
        out.push({ type, lr: type === 'polynomial' ? 3e-5 : 5e-5, warmup, total, kwargs, extra: 3 });
      }
    }
  }
  out.push({ type: 'linear', lr: 1e-3, warmup: 7, total: 1000, extra: 5 });
  out.push({ type: 'cosine', lr: 2e-5, warmup: 100, total: 1000, extra: 5 });
  return out;
}

describeIf(missing({ python: true }), 'learning-rate schedules vs transformers.get_scheduler', () => {
  const all = cases();
  const expected = reference<number[]>('schedules', all);

  it('gives the learning rate of every optimizer step within 1e-12 relative, for every schedule type', () => {
    let worst = 0;
    let compared = 0;
    for (let c = 0; c < all.length; c++) {
      const k = all[c];
      const schedule = createLrSchedule(k.type, { learningRate: k.lr, warmupSteps: k.warmup, totalSteps: k.total, kwargs: k.kwargs });
      expect(expected[c].length).toBe(k.total + k.extra);
      for (let step = 0; step < expected[c].length; step++) {
        const want = expected[c][step];
        const got = schedule(step);
        const err = want === 0 ? Math.abs(got) / k.lr : Math.abs(got - want) / Math.abs(want);
        if (!(err <= 1e-12)) throw new Error(`${k.type} ${JSON.stringify(k)} step ${step}: ${got} vs transformers ${want}`);
        worst = Math.max(worst, err);
        compared++;
      }
    }
    const types = new Set(all.map((k) => k.type));
    expect([...types].sort()).toEqual([...LR_SCHEDULER_NAMES].sort());
    process.stderr.write(`lr schedules: ${compared} steps over ${all.length} runs, max relative error ${worst.toExponential(2)}\n`);
  });
});

describe('createLrSchedule errors', () => {
  const base = { learningRate: 1e-4, warmupSteps: 2, totalSteps: 10 };

  it('names the valid types for an unknown one', () => {
    expect(() => createLrSchedule('cosin', base)).toThrow(/unknown lr_scheduler_type "cosin"; valid: linear, cosine, cosine_with_restarts/);
    expect(() => createLrSchedule('reduce_lr_on_plateau', base)).toThrow(/valid: /);
  });

  it('rejects kwargs a schedule does not take, as transformers does', () => {
    expect(() => createLrSchedule('linear', { ...base, kwargs: { num_cycles: 2 } })).toThrow(/"num_cycles" is not a parameter of the "linear" schedule; it takes none/);
    expect(() => createLrSchedule('cosine', { ...base, kwargs: { power: 2 } })).toThrow(/it accepts num_cycles/);
    expect(() => createLrSchedule('cosine', { ...base, kwargs: { num_cycles: 'two' } })).toThrow(/"num_cycles" of the "cosine" schedule must be a number, got "two"/);
  });

  it('accepts camelCase kwargs', () => {
    const camel = createLrSchedule('cosine', { ...base, kwargs: { numCycles: 1 } });
    const snake = createLrSchedule('cosine', { ...base, kwargs: { num_cycles: 1 } });
    for (let s = 0; s < 12; s++) expect(camel(s)).toBe(snake(s));
  });

  it('checks the kwargs that schedules require', () => {
    expect(() => createLrSchedule('cosine_with_min_lr', base)).toThrow(/needs min_lr or min_lr_rate/);
    expect(() => createLrSchedule('cosine_with_min_lr', { ...base, kwargs: { min_lr: 1e-6, min_lr_rate: 0.1 } })).toThrow(/only one of min_lr or min_lr_rate/);
    expect(() => createLrSchedule('warmup_stable_decay', base)).toThrow(/needs num_decay_steps/);
    expect(() => createLrSchedule('warmup_stable_decay', { ...base, kwargs: { num_decay_steps: 2, decay_type: 'exp' } })).toThrow(/unknown decay_type "exp"/);
    expect(() => createLrSchedule('polynomial', { ...base, kwargs: { lr_end: 1e-3 } })).toThrow(/lr_end \(0.001\) must be smaller than the initial learning rate/);
    expect(() => createLrSchedule('polynomial', { ...base, warmupSteps: 10 })).toThrow(/more total steps \(10\) than warmup steps \(10\)/);
  });

  it('wants whole warmup and total step counts', () => {
    expect(() => createLrSchedule('linear', { ...base, warmupSteps: 0.1 })).toThrow(/warmupSteps must be a whole number >= 0, got 0.1/);
    expect(() => createLrSchedule('linear', { ...base, totalSteps: -1 })).toThrow(/totalSteps must be a whole number/);
  });

  it('warms up linearly then decays to zero for "linear" (hand-checked values)', () => {
    const s = createLrSchedule('linear', base);
    expect([0, 1, 2, 6, 10, 11].map(s)).toEqual([0, 5e-5, 1e-4, 1e-4 * 0.5, 0, 0]);
  });
});
