/**
 * Memory stays flat: many encode calls and training steps in one process with a tiny model, and models
 * created and dropped again and again, with dispose() and without it (then the garbage collector frees
 * the native memory). RSS is measured after a warm-up (allocator pools, the tokenizer cache and LibTorch's
 * lazily built kernels are in place by then), after a full garbage collection each time.
 *
 * Counts: 1,000 encode calls, 200 training steps and 20 model lifecycles in normal runs;
 * EMBEDFORGE_FULL_TESTS=1 runs 10,000 / 2,000 / 100.
 */
import * as fs from 'fs';
import * as v8 from 'v8';
import * as vm from 'vm';
import { packTexts } from '../../lib/data/collate';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const FULL = process.env.EMBEDFORGE_FULL_TESTS === '1';
const ENCODE_CALLS = FULL ? 10_000 : 1_000;
const TRAIN_STEPS = FULL ? 2_000 : 200;
const LIFECYCLES = FULL ? 100 : 20;
/** RSS growth allowed after warm-up, whatever the count: a leak of 2 KB per call shows at 10,000 calls. */
const BOUND_MB = 16;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Full garbage collections, each followed by a turn of the event loop for the finalizers it queued (which free native objects). */
async function collect(rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function rssMb(): Promise<number> {
  await collect(3);
  return process.memoryUsage().rss / 2 ** 20;
}

describeIf(missing({ addon: true }), 'memory stays flat over many calls', () => {
  let work: string;
  let setup: Awaited<ReturnType<typeof tinySetup>>;
  beforeAll(async () => {
    work = tmpDir('leak');
    setup = await tinySetup(work);
  });
  afterAll(async () => {
    await setup?.model.dispose();
    fs.rmSync(work, { recursive: true, force: true });
  });

  const report = (what: string, n: number, before: number, after: number): void => {
    process.stderr.write(`leak check: ${n} ${what}: RSS ${before.toFixed(1)} -> ${after.toFixed(1)} MB after warm-up (${(after - before).toFixed(1)} MB, bound ${BOUND_MB} MB)\n`);
  };

  test(`${ENCODE_CALLS} encode calls`, async () => {
    const texts = setup.dataset.column('anchor') as string[];
    const call = (i: number) => setup.model.encode(texts.slice((i * 8) % (texts.length - 8), ((i * 8) % (texts.length - 8)) + 8));
    for (let i = 0; i < 200; i++) await call(i);
    const before = await rssMb();
    for (let i = 0; i < ENCODE_CALLS; i++) await call(i);
    const after = await rssMb();
    report('encode calls of 8 texts', ENCODE_CALLS, before, after);
    expect(after - before).toBeLessThan(BOUND_MB);
  });

  test(`${TRAIN_STEPS} training steps`, async () => {
    const train = async (steps: number): Promise<void> => {
      const trainer = new Trainer({
        model: setup.model, loss: new MultipleNegativesRankingLoss(), trainDataset: setup.dataset,
        args: {
          output_dir: `${work}/train`, max_steps: steps, per_device_train_batch_size: 8, learning_rate: 1e-4,
          save_strategy: 'no', logging_steps: steps, seed: 1,
        },
      });
      expect((await trainer.train()).globalStep).toBe(steps);
    };
    await train(50); // warm-up: optimizer state, autograd buffers, the tokenizer cache
    const before = await rssMb();
    await train(TRAIN_STEPS);
    const after = await rssMb();
    report('training steps (batch 8, MNRL, AdamW)', TRAIN_STEPS, before, after);
    expect(after - before).toBeLessThan(BOUND_MB);
  });

  for (const disposing of [true, false]) {
    test(`${LIFECYCLES} models created, trained a step and ${disposing ? 'disposed' : 'dropped (freed by the garbage collector)'}`, async () => {
      const texts = (setup.dataset.column('anchor') as string[]).slice(0, 16);
      // 30,000 x 32 word embeddings (3.7 MiB) and as much again twice in AdamW's moments: one model kept alive
      // by a leak would add some 11 MiB, so a few leaked models exceed the bound.
      const config = { ...setup.config, vocab_size: 30000 };
      const packed = packTexts(setup.model.tokenize(texts));
      const lifecycle = async (): Promise<void> => {
        const model = await SentenceTransformer.create({
          config, tokenizerDir: setup.tokenizerDir, pooling: 'mean', normalize: true, maxSeqLength: 64, seed: 0, device: 'cpu',
        });
        await model.encode(texts);
        await model.native.configureTraining({
          losses: [new MultipleNegativesRankingLoss().toSpec()], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
        });
        await model.native.trainStep({ texts: packed, numColumns: 2, lossDivisor: 1, optimizerStep: true, learningRate: 1e-4, maxGradNorm: 1 });
        if (disposing) await model.dispose();
        // Dropped: V8 does not see the native memory behind a model, so nothing prompts a collection; a
        // long-running program gets one eventually, here it is forced after each model.
        else await collect(1);
      };
      // Warm-up: each of libuv's worker threads (which run create, encode and trainStep) builds its own malloc arena.
      for (let i = 0; i < 15; i++) await lifecycle();
      const before = await rssMb();
      for (let i = 0; i < LIFECYCLES; i++) await lifecycle();
      const after = await rssMb();
      report(`model lifecycles ${disposing ? 'with' : 'without'} dispose`, LIFECYCLES, before, after);
      expect(after - before).toBeLessThan(BOUND_MB);
    });
  }
});
