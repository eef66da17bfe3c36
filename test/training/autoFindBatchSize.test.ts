/**
 * auto_find_batch_size (autoBatchSize.ts): an out-of-memory failure in a training step restarts the
 * training loop at int(0.9 * batch size), as transformers 5.17 / accelerate do, until a size fits; without
 * the argument the failure stops training. The failure is simulated (EMBEDFORGE_TEST_OOM_ABOVE_ROWS: a batch
 * of more rows fails exactly as the engine reports out-of-memory) so that nothing is really exhausted.
 */
import * as path from 'path';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { isOutOfMemory, reducedBatchSize } from '../../lib/training/autoBatchSize';
import { Trainer } from '../../lib/training/Trainer';
import { TrainerState } from '../../lib/training/TrainerState';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const ARGS = { max_steps: 3, per_device_train_batch_size: 16, learning_rate: 5e-4, logging_steps: 1, save_strategy: 'no', seed: 11 };

describe('auto_find_batch_size rules', () => {
  test('the next size is 0.9 times, rounded down, as accelerate\'s reduce_batch_size_fn', () => {
    const seq = [16];
    while (seq[seq.length - 1] > 0) seq.push(reducedBatchSize(seq[seq.length - 1]));
    expect(seq).toEqual([16, 14, 12, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  test('recognises the engine\'s and LibTorch\'s out-of-memory messages, also wrapped', () => {
    expect(isOutOfMemory(new Error('out of memory on cpu for a batch of 64 texts (max length 256): lower the batch size'))).toBe(true);
    expect(isOutOfMemory(new Error("DefaultCPUAllocator: can't allocate memory: you tried to allocate 1 bytes"))).toBe(true);
    const wrapped = new Error('training stopped at step 1 (epoch 1, a batch of 16 rows): boom');
    (wrapped as Error & { cause?: unknown }).cause = new Error('CUDA out of memory. Tried to allocate 2.00 GiB');
    expect(isOutOfMemory(wrapped)).toBe(true);
    expect(isOutOfMemory(new Error('non-finite loss (nan) at this step'))).toBe(false);
  });
});

describeIf(missing({ addon: true }), 'auto_find_batch_size in the Trainer (simulated out-of-memory)', () => {
  const saved = process.env.EMBEDFORGE_TEST_OOM_ABOVE_ROWS;
  afterEach(() => {
    if (saved === undefined) delete process.env.EMBEDFORGE_TEST_OOM_ABOVE_ROWS;
    else process.env.EMBEDFORGE_TEST_OOM_ABOVE_ROWS = saved;
  });

  test('batches over 10 rows fail: the loop restarts at 14, 12, then 10 and trains max_steps at 10', async () => {
    process.env.EMBEDFORGE_TEST_OOM_ABOVE_ROWS = '10';
    const work = tmpDir('auto-batch');
    const { model, dataset } = await tinySetup(work);
    const lines: string[] = [];
    const trainer = new Trainer({
      model, args: { ...ARGS, auto_find_batch_size: true, output_dir: path.join(work, 'out'), save_strategy: 'steps', save_steps: 3 }, trainDataset: dataset,
      loss: new MultipleNegativesRankingLoss(), log: (l) => lines.push(l),
    });
    const out = await trainer.train();
    expect(lines.filter((l) => l.startsWith('auto_find_batch_size'))).toEqual([
      'auto_find_batch_size: out of memory at batch size 16; the training loop starts again at batch size 14',
      'auto_find_batch_size: out of memory at batch size 14; the training loop starts again at batch size 12',
      'auto_find_batch_size: out of memory at batch size 12; the training loop starts again at batch size 10',
    ]);
    expect(trainer.trainBatchSize).toBe(10);
    expect(out.globalStep).toBe(3);
    expect(trainer.stepLosses).toHaveLength(3);
    // The checkpoint records the batch size that fitted (train_batch_size), where a resumed search starts.
    expect(TrainerState.load(path.join(work, 'out', 'checkpoint-3', 'trainer_state.json')).trainBatchSize).toBe(10);
  });

  test('without auto_find_batch_size the out-of-memory failure stops training', async () => {
    process.env.EMBEDFORGE_TEST_OOM_ABOVE_ROWS = '10';
    const work = tmpDir('auto-batch-off');
    const { model, dataset } = await tinySetup(work);
    const trainer = new Trainer({ model, args: { ...ARGS, output_dir: path.join(work, 'out') }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss() });
    await expect(trainer.train()).rejects.toThrow('training stopped at step 1 (epoch 1, a batch of 16 rows): out of memory on cpu for a batch of 32 texts');
  });

  test('when nothing fits, the search ends at zero with transformers\' message', async () => {
    process.env.EMBEDFORGE_TEST_OOM_ABOVE_ROWS = '0';
    const work = tmpDir('auto-batch-zero');
    const { model, dataset } = await tinySetup(work);
    const trainer = new Trainer({
      model, args: { ...ARGS, auto_find_batch_size: true, output_dir: path.join(work, 'out') }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss(), log: () => undefined,
    });
    await expect(trainer.train()).rejects.toThrow('auto_find_batch_size: no executable batch size found, reached zero (the last try, batch size 1, failed');
  });
});
