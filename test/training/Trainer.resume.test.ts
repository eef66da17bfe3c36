/**
 * Resuming: a run stopped after a checkpoint and resumed from it gives the same per-step losses as an
 * uninterrupted run (dropout on: the RNG state travels in the checkpoint), on CPU where the kernels are
 * deterministic. Also: a NaN loss stops training naming the step and leaves the last checkpoint intact.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const ARGS = {
  max_steps: 12, per_device_train_batch_size: 8, gradient_accumulation_steps: 2, learning_rate: 5e-4,
  warmup_ratio: 0.25, lr_scheduler_type: 'linear', save_strategy: 'steps', save_steps: 4, logging_steps: 1,
  batch_sampler: 'no_duplicates', seed: 11, weight_decay: 0.01,
};

describeIf(missing({ addon: true }), 'Trainer checkpoints and resume', () => {
  test('stop after checkpoint-8 and resume: steps 9-12 give the same losses as an uninterrupted run', async () => {
    const work = tmpDir('resume');
    const full = await tinySetup(work);
    const straight = new Trainer({ model: full.model, args: { ...ARGS, output_dir: path.join(work, 'straight') }, trainDataset: full.dataset, loss: new MultipleNegativesRankingLoss() });
    await straight.train();
    expect(straight.stepLosses).toHaveLength(12);

    const first = await tinySetup(work);
    const outDir = path.join(work, 'interrupted');
    const interrupted = new Trainer({
      model: first.model, args: { ...ARGS, output_dir: outDir }, trainDataset: first.dataset, loss: new MultipleNegativesRankingLoss(),
      callbacks: { onSave: (dir) => { if (dir.endsWith('checkpoint-8')) throw new Error('simulated crash'); } },
    });
    await expect(interrupted.train()).rejects.toThrow('simulated crash');
    expect(interrupted.stepLosses).toEqual(straight.stepLosses.slice(0, 8));

    // A fresh process would start from other random weights: the checkpoint must restore everything.
    const second = await tinySetup(work, { seed: 99 });
    const resumed = new Trainer({ model: second.model, args: { ...ARGS, output_dir: outDir }, trainDataset: second.dataset, loss: new MultipleNegativesRankingLoss() });
    await resumed.train({ resumeFromCheckpoint: path.join(outDir, 'checkpoint-8') });
    expect(resumed.stepLosses).toHaveLength(4);
    const expected = straight.stepLosses.slice(8);
    resumed.stepLosses.forEach((l, i) => expect(Math.abs(l - expected[i])).toBeLessThanOrEqual(1e-6 * Math.abs(expected[i])));
    console.log(`resume: steps 9-12 losses ${resumed.stepLosses.map((l) => l.toFixed(6)).join(', ')} (uninterrupted: ${expected.map((l) => l.toFixed(6)).join(', ')})`);

    const a = await straight.model.encode(['where is varnexdor based ?']);
    const b = await resumed.model.encode(['where is varnexdor based ?']);
    expect(Array.from(b)).toEqual(Array.from(a));
  });

  test('a NaN loss stops training, names the step, and keeps the last checkpoint loadable', async () => {
    const work = tmpDir('nan');
    const { model, dataset } = await tinySetup(work);
    // Finite weights (NaN ones are refused at load) whose sum overflows: word + position embeddings = Inf,
    // LayerNorm(Inf) = NaN, so every embedding is NaN from the next step on.
    const poisoned = path.join(work, 'poisoned');
    await model.save(poisoned);
    const file = path.join(poisoned, 'model.safetensors');
    const buf = fs.readFileSync(file);
    const headerLen = Number(buf.readBigUInt64LE(0));
    const header = JSON.parse(buf.toString('utf8', 8, 8 + headerLen)) as Record<string, { data_offsets: [number, number] }>;
    for (const name of ['embeddings.word_embeddings.weight', 'embeddings.position_embeddings.weight']) {
      const [begin, end] = header[name].data_offsets;
      for (let o = 8 + headerLen + begin; o < 8 + headerLen + end; o += 4) buf.writeFloatLE(3e38, o);
    }
    fs.writeFileSync(file, buf);

    const outDir = path.join(work, 'run');
    const trainer = new Trainer({
      model, args: { ...ARGS, max_steps: 6, save_steps: 2, output_dir: outDir }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss(),
      callbacks: { onSave: async () => { if (trainer.stepLosses.length === 2) await model.native.loadWeights(file); } },
    });
    const error = await trainer.train().then(() => null, (e: Error) => e);
    expect(error?.message).toMatch(/step 3\b/);
    expect(error?.message).toMatch(/nan|non-finite/i);
    expect(error?.message).toContain('checkpoint-2');
    const reloaded = await SentenceTransformer.load(path.join(outDir, 'checkpoint-2'), { device: 'cpu' });
    const emb = await reloaded.encode(['who runs varnexdor ?']);
    expect(emb.every(Number.isFinite)).toBe(true);
  });
});
