/**
 * SoftmaxLoss' classifier head in the real Trainer: it trains (its values change between checkpoints
 * and its AdamW moments are kept), it is saved in each checkpoint's training state and not in the
 * model folder (as in sentence-transformers), and a run resumed from a checkpoint continues with the
 * trained head: the same losses and the same final head as an uninterrupted run.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { syntheticRetrievalPairs } from '../../lib/demo/syntheticRetrievalData';
import { SoftmaxLoss } from '../../lib/losses/SoftmaxLoss';
import { Trainer } from '../../lib/training/Trainer';
import { readSafetensors } from '../engine/safetensors';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const ARGS = {
  max_steps: 6, per_device_train_batch_size: 8, learning_rate: 2e-3, save_strategy: 'steps', save_steps: 2, logging_steps: 1,
  seed: 5, weight_decay: 0.01, warmup_ratio: 0, lr_scheduler_type: 'linear',
};
const HEAD = ['losses.0.classifier.weight', 'losses.0.classifier.bias'];

/** (sentence1, sentence2, label) rows from the synthetic pairs: the label is the pair's index mod 3. */
function pairsWithClasses(): Dataset {
  const pairs = syntheticRetrievalPairs(30, 3);
  return Dataset.fromRecords(pairs.map((p, i) => ({ sentence1: p.anchor, sentence2: p.positive, label: i % 3 })), 'labelled pairs');
}

const head = (dir: string) => {
  const state = readSafetensors(path.join(dir, 'training_state.safetensors'));
  return HEAD.map((n) => {
    if (!state[n]) throw new Error(`${dir}: no ${n} in the training state`);
    return Array.from(state[n].data as Float32Array);
  });
};
const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((t, i) => t.map((x, j) => Math.abs(x - b[i][j]))));

describeIf(missing({ addon: true }), 'SoftmaxLoss head in the Trainer', () => {
  test('the head trains, lives in the checkpoints\' training state, and resumes', async () => {
    const work = tmpDir('softmax-head');
    const straightDir = path.join(work, 'straight');
    const full = await tinySetup(work);
    const straight = new Trainer({ model: full.model, args: { ...ARGS, output_dir: straightDir }, trainDataset: pairsWithClasses(), loss: new SoftmaxLoss({ numLabels: 3 }) });
    await straight.train();
    expect(straight.stepLosses).toHaveLength(6);

    const [h2, h4, h6] = [2, 4, 6].map((s) => head(path.join(straightDir, `checkpoint-${s}`)));
    expect(h2[0]).toHaveLength(3 * 3 * 32);
    expect(maxDiff(h2, h4)).toBeGreaterThan(1e-4);
    expect(maxDiff(h4, h6)).toBeGreaterThan(1e-4);
    const state = readSafetensors(path.join(straightDir, 'checkpoint-6', 'training_state.safetensors'));
    expect(Number((state['optimizer.step.losses.0.classifier.weight'].data as BigInt64Array)[0])).toBe(6);
    const modelTensors = Object.keys(readSafetensors(path.join(straightDir, 'checkpoint-6', 'model.safetensors')));
    expect(modelTensors.filter((n) => n.includes('classifier'))).toEqual([]);

    const first = await tinySetup(work);
    const outDir = path.join(work, 'interrupted');
    const interrupted = new Trainer({
      model: first.model, args: { ...ARGS, output_dir: outDir }, trainDataset: pairsWithClasses(), loss: new SoftmaxLoss({ numLabels: 3 }),
      callbacks: { onSave: (dir) => { if (dir.endsWith('checkpoint-4')) throw new Error('simulated crash'); } },
    });
    await expect(interrupted.train()).rejects.toThrow('simulated crash');

    // Other encoder weights, and the head drawn afresh as at step 0: only the checkpoint can give back the trained ones.
    const second = await tinySetup(work, { seed: 99 });
    const resumed = new Trainer({
      model: second.model, args: { ...ARGS, output_dir: outDir }, trainDataset: pairsWithClasses(), loss: new SoftmaxLoss({ numLabels: 3 }),
    });
    await resumed.train({ resumeFromCheckpoint: path.join(outDir, 'checkpoint-4') });
    const expected = straight.stepLosses.slice(4);
    console.log(`SoftmaxLoss resume: steps 5-6 losses ${resumed.stepLosses.map((l) => l.toFixed(6)).join(', ')} (uninterrupted: ${expected.map((l) => l.toFixed(6)).join(', ')})`);
    expect(resumed.stepLosses).toHaveLength(2);
    resumed.stepLosses.forEach((l, i) => expect(Math.abs(l - expected[i])).toBeLessThanOrEqual(1e-6 * Math.abs(expected[i])));
    expect(maxDiff(head(path.join(outDir, 'checkpoint-6')), h6)).toBeLessThanOrEqual(1e-6);
    expect(fs.existsSync(path.join(outDir, 'checkpoint-6', 'model.safetensors'))).toBe(true);
  });
});
