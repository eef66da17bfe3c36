/**
 * Nothing blocks Node's event loop during a training run: from the start to the end of trainer.train()
 * (tokenization of the 5,822-row legal training set on worker threads, configureTraining waiting for the
 * encoder's lock off the JS thread, the steps, a checkpoint), perf_hooks.monitorEventLoopDelay's largest
 * delay stays under 50 ms. The model's creation before it (the weights allocated by NativeEncoder.create
 * on a worker; tokenizer.json parsed on the main thread) is measured and reported, not bounded. Loading the
 * addon itself (dlopen of LibTorch, once per process) happens before either.
 *
 * On a loaded machine a delay can come from the scheduler rather than from our code (the main thread ready
 * to run, waiting for a CPU), so a failed measurement is repeated once with the same bound. When both
 * attempts exceed it, the test reads the main thread's run-queue wait from /proc (Linux schedstat) at every
 * tick of a 5 ms interval and requires that no delay minus that wait (the time the main thread itself was
 * busy or idle-blocked) reaches the bound: code that blocks the loop fails either way.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { monitorEventLoopDelay } from 'perf_hooks';
import { loadAddon } from '../../lib/binding/addon';
import { Dataset } from '../../lib/data/Dataset';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, sharedData, tmpDir } from '../helpers/requirements';
import { legalRows } from '../helpers/texts';
import { tinyConfig } from '../helpers/tinyModel';

const BOUND_MS = 50;

interface Probe {
  /** The largest delay while the model was created (reported only). */
  createMaxMs: number;
  /** The largest delay: monitorEventLoopDelay's max, or the interval's worst lateness if larger. */
  maxMs: number;
  p99Ms: number;
  meanMs: number;
  /** The largest gap between two ticks of a 5 ms interval, minus 5 ms (a second, independent view). */
  intervalMaxMs: number;
  /** The same gaps less the main thread's wait for a CPU in each (NaN without /proc schedstat). */
  ownMaxMs: number;
  /** Run-queue wait within the gap that gave intervalMaxMs. */
  waitAtMaxMs: number;
  steps: number;
  seconds: number;
}

/** The main thread's time waiting on the run queue so far, in ms (Linux), or null. */
function runQueueWaitMs(): number | null {
  try {
    return Number(fs.readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return null;
  }
}

async function probeTrainingRun(rows: { anchor: string; positive: string }[], work: string): Promise<Probe> {
  const creation = monitorEventLoopDelay({ resolution: 1 });
  creation.enable();
  const model = await SentenceTransformer.create({
    config: { ...tinyConfig(30522), hidden_size: 64, intermediate_size: 128, max_position_embeddings: 512 },
    tokenizerDir: path.join(sharedData, 'models', 'all-MiniLM-L6-v2'),
    pooling: 'mean', normalize: true, maxSeqLength: 96, seed: 0, device: 'cpu',
  });
  creation.disable();
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let last = performance.now();
  let lastWait = runQueueWaitMs();
  let intervalMax = 0;
  let ownMax = 0;
  let waitAtMax = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    const wait = runQueueWaitMs();
    const late = now - last - 5;
    const waited = wait !== null && lastWait !== null ? wait - lastWait : NaN;
    if (late > intervalMax) {
      intervalMax = late;
      waitAtMax = waited;
    }
    ownMax = Math.max(ownMax, late - waited);
    last = now;
    lastWait = wait;
  }, 5);
  try {
    const trainer = new Trainer({
      model, loss: new MultipleNegativesRankingLoss(),
      trainDataset: Dataset.fromRecords(rows, 'legal train'),
      args: {
        output_dir: path.join(work, 'out'), max_steps: 6, per_device_train_batch_size: 16, learning_rate: 1e-3,
        batch_sampler: 'no_duplicates', save_strategy: 'steps', save_steps: 6, logging_steps: 2, seed: 42,
      },
    });
    histogram.enable();
    // The histogram's timer records from its first period on: let it start before train() runs.
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = performance.now();
    last = started;
    lastWait = runQueueWaitMs();
    intervalMax = 0;
    ownMax = 0;
    const out = await trainer.train();
    const seconds = (performance.now() - started) / 1000;
    return {
      createMaxMs: creation.max / 1e6, maxMs: Math.max(histogram.max / 1e6, intervalMax), p99Ms: histogram.percentile(99) / 1e6, meanMs: histogram.mean / 1e6,
      intervalMaxMs: intervalMax, ownMaxMs: ownMax, waitAtMaxMs: waitAtMax, steps: out.globalStep, seconds,
    };
  } finally {
    histogram.disable();
    clearInterval(ticker);
    await model.dispose();
  }
}

describeIf(missing({ addon: true, sharedData: true }), 'event loop during a training run on the legal data', () => {
  test(`the largest event-loop delay from the start to the end of train() stays under ${BOUND_MS} ms`, async () => {
    loadAddon(); // LibTorch's libraries load once per process, before the probe
    const rows = legalRows('train').map((r) => ({ anchor: r.anchor, positive: r.positive }));
    expect(rows.length).toBe(5822);
    const work = tmpDir('eventloop');
    const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, load average ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`;
    try {
      const attempts: Probe[] = [];
      for (let attempt = 0; attempt < 2; attempt++) {
        fs.rmSync(path.join(work, 'out'), { recursive: true, force: true });
        const p = await probeTrainingRun(rows, work);
        attempts.push(p);
        process.stderr.write(`event loop, attempt ${attempt + 1} (${machine}): model creation: delay max ${p.createMaxMs.toFixed(1)} ms; `
          + `train() on ${rows.length} rows, ${p.steps} steps in ${p.seconds.toFixed(1)} s: delay max ${p.maxMs.toFixed(1)} ms, p99 ${p.p99Ms.toFixed(1)} ms, mean ${p.meanMs.toFixed(2)} ms; 5 ms interval's worst lateness ${p.intervalMaxMs.toFixed(1)} ms `
          + `(${p.waitAtMaxMs.toFixed(1)} ms of it waiting for a CPU), worst lateness less CPU waits ${p.ownMaxMs.toFixed(1)} ms\n`);
        expect(p.steps).toBe(6);
        if (p.maxMs < BOUND_MS) break;
      }
      if (attempts.every((p) => p.maxMs >= BOUND_MS) && attempts.every((p) => Number.isFinite(p.ownMaxMs))) {
        // The machine is busy: the delays must all be waits for a CPU, not our code holding the loop.
        for (const p of attempts) expect(p.ownMaxMs).toBeLessThan(BOUND_MS);
      } else {
        expect(Math.min(...attempts.map((p) => p.maxMs))).toBeLessThan(BOUND_MS);
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
