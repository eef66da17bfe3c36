/**
 * embedforge's side of one benchmark row, run in its own process so that its peak resident memory is its
 * own: `node dist/bench/benchSide.js '{"model": ..., "pairs": ..., "batch": 32, ...}'` prints one line,
 * RESULT {json} (a SideResult). Training goes through the real Trainer; the peak resident memory
 * (VmHWM) is read after training, before encoding.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/Dataset';
import { MultipleNegativesRankingLoss } from '../losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../models/SentenceTransformer';
import { Trainer } from '../training/Trainer';
import { SideOptions, SideResult, steadyRate, stepWaitShare } from './measure';

/** Peak resident memory of this process so far, in bytes (VmHWM of /proc/self/status; null elsewhere). */
export function peakResidentBytes(status = '/proc/self/status'): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(fs.readFileSync(status, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export async function runSide(o: SideOptions): Promise<SideResult> {
  const model = await SentenceTransformer.load(o.model, { device: o.device });
  const data = (await Dataset.load(o.pairs)).selectColumns(['anchor', 'positive']);
  // Engine time per step: from the call into the engine to its answer; the rest of a step's interval is
  // the time the next step waited (for its batch, the schedule, callbacks).
  const calls: [number, number][] = [];
  const native = model.native;
  const timed = async (r: Parameters<typeof native.trainStep>[0]): ReturnType<typeof native.trainStep> => {
    const start = performance.now();
    const out = await native.trainStep(r);
    calls.push([start, performance.now()]);
    return out;
  };
  // The encoder's methods are read-only: the Trainer sees it through a proxy that times trainStep.
  const proxy = new Proxy(native, {
    get: (target, key) => {
      if (key === 'trainStep') return timed;
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  Object.defineProperty(model, 'native', { value: proxy });
  const trainer = new Trainer({
    model, trainDataset: data, loss: new MultipleNegativesRankingLoss(),
    args: {
      output_dir: path.join(o.workDir, 'bench-run'), max_steps: o.steps, per_device_train_batch_size: o.batch, learning_rate: 2e-5,
      warmup_ratio: 0.1, save_strategy: 'no', logging_steps: 1_000_000, bf16: !!o.bf16, tf32: !!o.bf16,
    },
  });
  await trainer.train();
  const peak = peakResidentBytes();
  const w = Math.min(o.warmup, o.steps - 2);
  const texts = (data.column('positive') as string[]).slice(0, o.encodeTexts);
  await model.encode(texts.slice(0, Math.min(256, texts.length)), { batchSize: o.encodeBatch });
  const t0 = performance.now();
  await model.encode(texts, { batchSize: o.encodeBatch });
  const encodeTextsPerSecond = (texts.length * 1000) / (performance.now() - t0);
  const device = model.device;
  await model.dispose();
  return {
    device, trainPairsPerSecond: steadyRate(calls.map((c) => c[1]), w, o.batch), dataWaitShare: stepWaitShare(calls, w),
    peakResidentBytes: peak, encodeTextsPerSecond,
  };
}

if (require.main === module) {
  runSide(JSON.parse(process.argv[2]) as SideOptions).then(
    (r) => process.stdout.write(`RESULT ${JSON.stringify(r)}\n`),
    (e: Error) => {
      process.stderr.write(`benchSide: ${e.stack ?? e.message}\n`);
      process.exit(1);
    },
  );
}
