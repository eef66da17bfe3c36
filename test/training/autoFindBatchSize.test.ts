/**
 * auto_find_batch_size (autoBatchSize.ts): an out-of-memory failure in a training step restarts the
 * training loop at int(0.9 * batch size), as transformers 5.17 / accelerate do, until a size fits; without
 * the argument the failure stops training. In the Trainer the failure is simulated (EMBEDFORGE_TEST_OOM_ABOVE_ROWS:
 * a batch of more rows fails exactly as the engine reports out-of-memory) so that nothing is really exhausted;
 * a real CPU allocation failure, provoked in a child process whose address space is capped (ulimit -v), is
 * checked to be recognised.
 */
import { execFileSync } from 'child_process';
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

/** A train step far larger than a 6 GB address space allows, in a child process capped with ulimit -v: its error message. */
const REAL_OOM_CHILD = `
const addon = require(process.argv[1]);
(async () => {
  const config = JSON.stringify({ architectures: ['BertModel'], model_type: 'bert', vocab_size: 1000, hidden_size: 384, num_hidden_layers: 2,
    num_attention_heads: 12, intermediate_size: 1536, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
    max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0 });
  const enc = await addon.NativeEncoder.create({ configJson: config, pooling: 'mean', normalize: true, device: 'cpu' });
  await enc.initWeights(1);
  await enc.configureTraining({ losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
    optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
  const texts = 512, len = 512;
  const cuSeqlens = Int32Array.from({ length: texts + 1 }, (_, i) => i * len);
  const inputIds = Int32Array.from({ length: texts * len }, (_, j) => 1 + (j % 900));
  try {
    await enc.trainStep({ texts: { inputIds, cuSeqlens }, numColumns: 2, lossDivisor: 1, optimizerStep: true, learningRate: 1e-4, maxGradNorm: 1 });
    console.log('NO FAILURE');
  } catch (e) { console.log(e.message); }
})();`;

describeIf(missing({ addon: true }), 'a real CPU allocation failure (address space capped at 6 GB in a child process)', () => {
  test('fails the step with LibTorch\'s allocator message, which auto_find_batch_size recognises', () => {
    const addonPath = path.resolve(__dirname, '..', '..', 'build', 'Release', 'embedforge.node');
    const out = execFileSync('bash', ['-c', 'ulimit -v 6000000 && exec "$0" -e "$1" "$2"', process.execPath, REAL_OOM_CHILD, addonPath],
      { encoding: 'utf8', timeout: 120_000 }).trim();
    console.log(`real CPU allocation failure: ${out}`);
    expect(out).toContain("DefaultCPUAllocator: can't allocate memory");
    expect(isOutOfMemory(new Error(out))).toBe(true);
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
