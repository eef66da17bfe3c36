import { createLrSchedule } from '../../lib/training/lrSchedules';
import { parseTrainingArguments } from '../../lib/training/TrainingArguments';
import {
  batchesInUpdateStep, endsUpdateStep, epochProgress, flowAtEpochEnd, flowAtStepEnd, flowSettings, planTraining,
  resolveIntervalSteps, resolveWarmupSteps, resumePosition,
} from '../../lib/training/trainingSteps';
import { describeIf, missing } from '../helpers/requirements';
import { reference } from './reference';

interface StepsCase {
  batches: number;
  args: Record<string, unknown>;
}

interface StepsAnswer {
  num_update_steps_per_epoch: number;
  max_steps: number;
  num_train_epochs: number;
  warmup_steps: number;
  logging_steps: number;
  eval_steps: number;
  save_steps: number;
  final_epoch: number;
  global_step: number;
  micro: [number, number, boolean][];
  lrs: number[];
  events: ['step' | 'epoch_end', number, number, boolean, boolean, boolean][];
}

/** Step-count grid plus runs that exercise warmup, ratios and the flow (log/eval/save) decisions. */
function cases(): StepsCase[] {
  const out: StepsCase[] = [];
  for (const batches of [1, 2, 3, 7, 10, 16]) {
    for (const accum of [1, 2, 3, 4, 8]) {
      for (const [epochs, maxSteps] of [[1, -1], [2, -1], [1.5, -1], [0.3, -1], [3, 5], [1, 13]] as [number, number][]) {
        out.push({ batches, args: { gradient_accumulation_steps: accum, num_train_epochs: epochs, max_steps: maxSteps, logging_steps: 2, save_strategy: 'no' } });
      }
    }
  }
  out.push(
    { batches: 10, args: { gradient_accumulation_steps: 3, num_train_epochs: 2, warmup_ratio: 0.1, eval_strategy: 'steps', eval_steps: 0.3, logging_steps: 2 } },
    { batches: 25, args: { num_train_epochs: 2, warmup_steps: 0.25, lr_scheduler_type: 'cosine', eval_strategy: 'epoch', save_strategy: 'epoch', logging_strategy: 'epoch' } },
    { batches: 25, args: { num_train_epochs: 1, warmup_steps: 7.9, logging_first_step: true, logging_steps: 0.1, save_steps: 0.25, save_total_limit: 2 } },
    { batches: 9, args: { num_train_epochs: 3, warmup_ratio: 0.5, warmup_steps: 2, eval_strategy: 'steps', logging_steps: 4, save_steps: 8, load_best_model_at_end: true, eval_steps: 4 } },
    { batches: 40, args: { max_steps: 33, gradient_accumulation_steps: 4, warmup_ratio: 1.0, lr_scheduler_type: 'constant_with_warmup' } },
    { batches: 17, args: { num_train_epochs: 2.5, gradient_accumulation_steps: 2, lr_scheduler_type: 'cosine_with_restarts', lr_scheduler_kwargs: { num_cycles: 2 }, eval_strategy: 'steps', eval_steps: 0.2, save_steps: 0.4, load_best_model_at_end: true } },
    { batches: 33, args: { num_train_epochs: 1, warmup_ratio: 0.1 } },
    // A run cut short mid-epoch still ends with the epoch-end flow (evaluate/save with "epoch" strategies).
    { batches: 10, args: { num_train_epochs: 1.5, eval_strategy: 'epoch', save_strategy: 'epoch', logging_strategy: 'epoch' } },
    { batches: 21, args: { num_train_epochs: 1, warmup_steps: 0.05, lr_scheduler_type: 'cosine' } },
    { batches: 12, args: { num_train_epochs: 1, learning_rate: 2e-5, lr_scheduler_type: 'polynomial', warmup_steps: 3, lr_scheduler_kwargs: { power: 2 } } },
  );
  return out;
}

/** Replays the Trainer's loop with the library's functions, producing the same trace the reference records. */
function simulate(c: StepsCase) {
  const args = parseTrainingArguments(c.args);
  const accum = args.gradientAccumulationSteps;
  const plan = planTraining({ batchesPerEpoch: c.batches, gradientAccumulationSteps: accum, numTrainEpochs: args.numTrainEpochs, maxSteps: args.maxSteps });
  const warmup = resolveWarmupSteps(args.warmupSteps, plan.maxSteps);
  const lr = createLrSchedule(args.lrSchedulerType, { learningRate: args.learningRate, warmupSteps: warmup, totalSteps: plan.maxSteps, kwargs: args.lrSchedulerKwargs });
  const flow = flowSettings(args, plan);
  const micro: [number, number, boolean][] = [];
  const lrs: number[] = [];
  const events: StepsAnswer['events'] = [];
  let globalStep = 0;
  let epochFloat = 0;
  let stop = false;
  for (let epoch = 0; epoch < plan.numTrainEpochs && !stop; epoch++) {
    let batch = -1;
    for (let u = 0; u < plan.updateStepsPerEpoch && !stop; u++) {
      const n = batchesInUpdateStep(u, plan, c.batches, accum);
      for (let i = 0; i < n; i++) {
        batch++;
        const ends = endsUpdateStep(batch, c.batches, accum);
        micro.push([epoch, batch, ends]);
        if (!ends) continue;
        lrs.push(lr(globalStep));
        globalStep++;
        epochFloat = epochProgress(epoch, batch, c.batches);
        const d = flowAtStepEnd(globalStep, flow);
        events.push(['step', globalStep, epochFloat, d.log, d.evaluate, d.save]);
        if (d.stop) {
          stop = true;
          break;
        }
      }
    }
    const e = flowAtEpochEnd(flow);
    events.push(['epoch_end', globalStep, epochFloat, e.log, e.evaluate, e.save]);
  }
  return { plan, warmup, flow, micro, lrs, events, globalStep, epochFloat };
}

describeIf(missing({ python: true }), 'training step bookkeeping vs the transformers Trainer', () => {
  const all = cases();
  const expected = reference<StepsAnswer>('steps', all);

  it('computes update steps per epoch, total steps, epochs and warmup as the Trainer does', () => {
    for (let i = 0; i < all.length; i++) {
      const sim = simulate(all[i]);
      const want = expected[i];
      const label = JSON.stringify(all[i]);
      expect({ label, upe: sim.plan.updateStepsPerEpoch, max: sim.plan.maxSteps, epochs: sim.plan.numTrainEpochs, warmup: sim.warmup })
        .toEqual({ label, upe: want.num_update_steps_per_epoch, max: want.max_steps, epochs: want.num_train_epochs, warmup: want.warmup_steps });
      expect({ label, logging: sim.flow.loggingSteps, evalSteps: sim.flow.evalSteps, save: sim.flow.saveSteps })
        .toEqual({ label, logging: want.logging_steps, evalSteps: want.eval_steps, save: want.save_steps });
    }
  });

  it('replays the same micro-batches, optimizer steps, epochs, learning rates and log/eval/save decisions', () => {
    let steps = 0;
    for (let i = 0; i < all.length; i++) {
      const sim = simulate(all[i]);
      const want = expected[i];
      const label = JSON.stringify(all[i]);
      expect({ label, micro: sim.micro }).toEqual({ label, micro: want.micro });
      expect({ label, events: sim.events }).toEqual({ label, events: want.events });
      expect({ label, globalStep: sim.globalStep, epoch: sim.epochFloat }).toEqual({ label, globalStep: want.global_step, epoch: want.final_epoch });
      expect(sim.lrs.length).toBe(want.lrs.length);
      sim.lrs.forEach((v, k) => {
        const w = want.lrs[k];
        if (!(w === 0 ? v === 0 : Math.abs(v - w) / Math.abs(w) <= 1e-12)) throw new Error(`${label} step ${k}: lr ${v} vs ${w}`);
      });
      steps += sim.lrs.length;
    }
    process.stderr.write(`training steps: ${all.length} runs, ${steps} optimizer steps replayed identically\n`);
  });

  it('resumes where the trace says: epoch and batches already consumed after each optimizer step', () => {
    for (let i = 0; i < all.length; i++) {
      const sim = simulate(all[i]);
      const accum = parseTrainingArguments(all[i].args).gradientAccumulationSteps;
      const trace = expected[i].micro;
      let step = 0;
      for (let m = 0; m < trace.length; m++) {
        if (!trace[m][2]) continue;
        step++;
        const [epoch, batch] = trace[m];
        const finishedEpoch = batch === all[i].batches - 1;
        const want = finishedEpoch ? { epoch: epoch + 1, batchesToSkip: 0 } : { epoch, batchesToSkip: batch + 1 };
        expect({ case: i, step, pos: resumePosition(step, sim.plan, accum) }).toEqual({ case: i, step, pos: want });
      }
    }
  });
});

describe('trainingSteps without the reference', () => {
  it('counts a partial accumulation at the end of an epoch as one more optimizer step', () => {
    const plan = planTraining({ batchesPerEpoch: 10, gradientAccumulationSteps: 4, numTrainEpochs: 1, maxSteps: -1 });
    expect(plan).toEqual({ updateStepsPerEpoch: 3, maxSteps: 3, numTrainEpochs: 1 });
    expect([0, 1, 2].map((u) => batchesInUpdateStep(u, plan, 10, 4))).toEqual([4, 4, 2]);
    expect(Array.from({ length: 10 }, (_, b) => endsUpdateStep(b, 10, 4))).toEqual([false, false, false, true, false, false, false, true, false, true]);
  });

  it('resolves warmup counts and ratios like get_warmup_steps', () => {
    expect(resolveWarmupSteps(0, 100)).toBe(0);
    expect(resolveWarmupSteps(0.1, 93)).toBe(10); // ceil(9.3)
    expect(resolveWarmupSteps(7.9, 95)).toBe(7); // counts are truncated
    expect(resolveWarmupSteps(1, 95)).toBe(1); // 1.0 is a count, not 100%
    expect(resolveIntervalSteps(0.25, 10)).toBe(3);
    expect(resolveIntervalSteps(4, 10)).toBe(4);
  });

  it('rejects impossible plans', () => {
    expect(() => planTraining({ batchesPerEpoch: 0, gradientAccumulationSteps: 1, numTrainEpochs: 1, maxSteps: -1 })).toThrow(/batchesPerEpoch must be a whole number >= 1, got 0/);
    expect(() => planTraining({ batchesPerEpoch: 5, gradientAccumulationSteps: 0, numTrainEpochs: 1, maxSteps: -1 })).toThrow(/gradientAccumulationSteps/);
    expect(() => planTraining({ batchesPerEpoch: 5, gradientAccumulationSteps: 1, numTrainEpochs: 0, maxSteps: -1 })).toThrow(/numTrainEpochs must be > 0/);
  });
});
