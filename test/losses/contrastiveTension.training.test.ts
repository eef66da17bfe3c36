/**
 * The Contrastive Tension losses in the real Trainer: model1 (the loss's copy of the model) starts as the
 * model and trains apart from it, logit_scale trains, both live in the checkpoint's training state (with
 * their AdamW steps) and not in the saved model folder, which holds the model (model2) only.
 */
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { syntheticRetrievalPairs } from '../../lib/demo/syntheticRetrievalData';
import { ContrastiveTensionDataLoader } from '../../lib/losses/ContrastiveTensionDataLoader';
import { ContrastiveTensionLoss } from '../../lib/losses/ContrastiveTensionLoss';
import { ContrastiveTensionLossInBatchNegatives } from '../../lib/losses/ContrastiveTensionLossInBatchNegatives';
import { Trainer } from '../../lib/training/Trainer';
import type { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readSafetensors } from '../engine/safetensors';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const ARGS = { max_steps: 3, per_device_train_batch_size: 8, learning_rate: 2e-3, save_strategy: 'steps', save_steps: 3, seed: 5, weight_decay: 0.01 };
const WORD = 'embeddings.word_embeddings.weight';
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

describeIf(missing({ addon: true }), 'Contrastive Tension losses in the Trainer', () => {
  test('model1 and logit_scale train and are kept in the training state, not in the model', async () => {
    const work = tmpDir('contrastive-tension');
    const sentences = syntheticRetrievalPairs(40, 3).flatMap((p) => [p.anchor, p.positive]);
    const runs = [
      { name: 'ct', loss: new ContrastiveTensionLoss(), data: new ContrastiveTensionDataLoader(sentences, { batchSize: 8, posNegRatio: 4, seed: 1 }).toDataset() },
      { name: 'ctibn', loss: new ContrastiveTensionLossInBatchNegatives(), data: Dataset.fromRecords(sentences.map((text) => ({ text })), 'sentences') },
    ];
    for (const run of runs) {
      const { model } = await tinySetup(path.join(work, run.name));
      const start = path.join(work, run.name, 'start.safetensors');
      await model.native.saveWeights(start);
      const outputDir = path.join(work, run.name, 'out');
      const trainer = new Trainer({ model, args: { ...ARGS, output_dir: outputDir }, trainDataset: run.data, loss: run.loss });
      await trainer.train();
      const checkpoint = path.join(outputDir, 'checkpoint-3');
      const state = readSafetensors(path.join(checkpoint, 'training_state.safetensors'));
      const saved = readSafetensors(path.join(checkpoint, 'model.safetensors'));
      const before = readSafetensors(start)[WORD].data as Float32Array;
      const model1 = state[`losses.0.model1.${WORD}`].data as Float32Array;
      const model2 = saved[WORD].data as Float32Array;
      console.log(`${run.name}: losses ${trainer.stepLosses.map((l) => l.toFixed(5)).join(', ')}; |model1 - start| ${maxDiff(model1, before).toExponential(2)}, |model2 - start| ${maxDiff(model2, before).toExponential(2)}, |model1 - model2| ${maxDiff(model1, model2).toExponential(2)}`);
      expect(trainer.stepLosses.every(Number.isFinite)).toBe(true);
      expect(maxDiff(model1, before)).toBeGreaterThan(1e-4);
      expect(maxDiff(model2, before)).toBeGreaterThan(1e-4);
      expect(maxDiff(model1, model2)).toBeGreaterThan(1e-4);
      expect(Number((state[`optimizer.step.losses.0.model1.${WORD}`].data as BigInt64Array)[0])).toBe(3);
      expect(Object.keys(saved).filter((n) => n.includes('model1') || n.includes('logit_scale'))).toEqual([]);
      if (run.name === 'ctibn') {
        const scale = (state['losses.0.logit_scale'].data as Float32Array)[0];
        expect(Math.abs(scale - Math.log(20))).toBeGreaterThan(1e-4);
      }
    }
  });

  test('a resumed run takes model1 and logit_scale from the checkpoint: the same step losses as an uninterrupted run', async () => {
    const work = tmpDir('contrastive-tension-resume');
    const data = () => Dataset.fromRecords(syntheticRetrievalPairs(40, 3).flatMap((p) => [p.anchor, p.positive]).map((text) => ({ text })), 'sentences');
    const args = (dir: string) => ({ ...ARGS, max_steps: 4, save_steps: 1, output_dir: dir });
    const straight = new Trainer({ model: (await tinySetup(work)).model, args: args(path.join(work, 'straight')), trainDataset: data(), loss: new ContrastiveTensionLossInBatchNegatives() });
    await straight.train();
    const outDir = path.join(work, 'interrupted');
    const interrupted = new Trainer({
      model: (await tinySetup(work)).model, args: args(outDir), trainDataset: data(), loss: new ContrastiveTensionLossInBatchNegatives(),
      callbacks: { onSave: (dir) => { if (dir.endsWith('checkpoint-2')) throw new Error('simulated crash'); } },
    });
    await expect(interrupted.train()).rejects.toThrow('simulated crash');
    // Other starting weights: model1 copied from them at configureTraining must be replaced by the checkpoint's.
    const resumed = new Trainer({ model: (await tinySetup(work, { seed: 99 })).model, args: args(outDir), trainDataset: data(), loss: new ContrastiveTensionLossInBatchNegatives() });
    await resumed.train({ resumeFromCheckpoint: path.join(outDir, 'checkpoint-2') });
    const expected = straight.stepLosses.slice(2);
    console.log(`resume: steps 3-4 ${resumed.stepLosses.map((l) => l.toFixed(6)).join(', ')} (uninterrupted ${expected.map((l) => l.toFixed(6)).join(', ')})`);
    expect(resumed.stepLosses).toHaveLength(2);
    resumed.stepLosses.forEach((l, i) => expect(Math.abs(l - expected[i])).toBeLessThanOrEqual(1e-6 * Math.abs(expected[i])));
  });

  test('the legacy fit takes a ContrastiveTensionDataLoader as sentence-transformers\' fit does: its pairs, labels and batch size', async () => {
    const work = tmpDir('contrastive-tension-fit');
    const sentences = syntheticRetrievalPairs(40, 3).flatMap((p) => [p.anchor, p.positive]);
    const loader = new ContrastiveTensionDataLoader(sentences, { batchSize: 8, posNegRatio: 4, seed: 1 });
    const model: SentenceTransformer = (await tinySetup(work)).model;
    const steps: number[] = [];
    await model.fit({
      trainObjectives: [[loader, new ContrastiveTensionLoss()]], epochs: 1, outputPath: path.join(work, 'out'), checkpointPath: path.join(work, 'checkpoints'),
      showProgressBar: false, onStep: (s) => steps.push(s.loss),
    });
    expect(steps).toHaveLength(loader.examples.length / 8);
    expect(steps.every(Number.isFinite)).toBe(true);
  });
});
