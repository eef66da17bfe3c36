/**
 * DenoisingAutoEncoderLoss in the engine beyond the parity harness:
 * - in the real Trainer on DenoisingAutoEncoderDataset pairs (dropout on): the reconstruction loss falls, the
 *   decoder's own parameters train and live in the checkpoint's training state, not in the model folder;
 *   eval_loss (inference mode) has no dropout;
 * - the decoder's own parameters come from the model file when it has them (an MLM checkpoint's
 *   "cls.predictions.*", a decoder checkpoint's "bert.encoder.layer.N.crossattention.*"), as transformers
 *   loads the decoder from the model's folder: the same loss and gradients as when given by name.
 */
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import { DenoisingAutoEncoderDataset } from '../../lib/data/DenoisingAutoEncoderDataset';
import { syntheticRetrievalPairs } from '../../lib/demo/syntheticRetrievalData';
import { DenoisingAutoEncoderLoss } from '../../lib/losses/DenoisingAutoEncoderLoss';
import { Trainer } from '../../lib/training/Trainer';
import { engineReference, pack } from '../engine/fixtures';
import { readSafetensors, writeSafetensors } from '../engine/safetensors';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

describeIf(missing({ addon: true }), 'DenoisingAutoEncoderLoss in the engine', () => {
  test('trains in the Trainer; the decoder stays in the training state', async () => {
    const work = tmpDir('dae-train');
    const { model } = await tinySetup(work);
    const sentences = syntheticRetrievalPairs(40, 4).map((p) => p.positive);
    const data = new DenoisingAutoEncoderDataset(sentences, { seed: 3 }).toDataset();
    const outDir = path.join(work, 'out');
    const trainer = new Trainer({
      model, trainDataset: data, evalDataset: data.select([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), loss: new DenoisingAutoEncoderLoss(),
      args: { output_dir: outDir, max_steps: 10, per_device_train_batch_size: 8, learning_rate: 5e-3, save_strategy: 'steps', save_steps: 10, logging_steps: 1, seed: 1 },
    });
    await trainer.train();
    const losses = trainer.stepLosses;
    console.log(`DenoisingAutoEncoderLoss: step losses ${losses.map((l) => l.toFixed(3)).join(', ')}`);
    expect(losses).toHaveLength(10);
    expect(losses[9]).toBeLessThan(losses[0] - 0.5);
    const state = readSafetensors(path.join(outDir, 'checkpoint-10', 'training_state.safetensors'));
    const own = Object.keys(state).filter((n) => n.startsWith('losses.0.decoder.'));
    expect(own).toEqual(expect.arrayContaining(['losses.0.decoder.cls.predictions.bias', 'losses.0.decoder.bert.encoder.layer.0.crossattention.self.value.weight']));
    // BERT's init: the output bias starts at 0 and has moved.
    expect(Math.max(...Array.from(state['losses.0.decoder.cls.predictions.bias'].data as Float32Array).map(Math.abs))).toBeGreaterThan(1e-3);
    // eval_loss runs in inference mode, without dropout (the tiny model's is 0.1): the same value twice.
    const [e1, e2] = [await trainer.evaluate(), await trainer.evaluate()];
    expect(e1.eval_loss).toBeGreaterThan(0);
    expect(e2.eval_loss).toBe(e1.eval_loss);
    const saved = Object.keys(readSafetensors(path.join(outDir, 'checkpoint-10', 'model.safetensors')));
    expect(saved.filter((n) => n.includes('crossattention') || n.startsWith('cls.'))).toEqual([]);
  }, 120_000);

  test("the decoder's own parameters from the model file equal the same values given by name", async () => {
    const ref = engineReference();
    const weights = readSafetensors(ref.weightsPath);
    const h = 32;
    let x = 0.5;
    const values = (n: number, centre: number) => Float32Array.from({ length: n }, () => { x = (x * 9301 + 49297) % 233280; return centre + (x / 233280 - 0.5) * 0.4; });
    const extra: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (let l = 0; l < 2; l++) {
      for (const w of ['self.query', 'self.key', 'self.value', 'output.dense']) {
        extra[`bert.encoder.layer.${l}.crossattention.${w}.weight`] = { shape: [h, h], data: values(h * h, 0) };
        extra[`bert.encoder.layer.${l}.crossattention.${w}.bias`] = { shape: [h], data: values(h, 0) };
      }
      extra[`bert.encoder.layer.${l}.crossattention.output.LayerNorm.weight`] = { shape: [h], data: values(h, 1) };
      extra[`bert.encoder.layer.${l}.crossattention.output.LayerNorm.bias`] = { shape: [h], data: values(h, 0) };
    }
    extra['cls.predictions.transform.dense.weight'] = { shape: [h, h], data: values(h * h, 0) };
    extra['cls.predictions.transform.dense.bias'] = { shape: [h], data: values(h, 0) };
    extra['cls.predictions.transform.LayerNorm.weight'] = { shape: [h], data: values(h, 1) };
    extra['cls.predictions.transform.LayerNorm.bias'] = { shape: [h], data: values(h, 0) };
    extra['cls.predictions.bias'] = { shape: [30522], data: values(30522, 0) };
    const file = path.join(tmpDir('dae-mlm-head'), 'model.safetensors');
    const base = Object.fromEntries(Object.entries(weights).map(([n, t]) => [`bert.${n}`, { shape: t.shape, data: t.data as Float32Array }]));
    writeSafetensors(file, { ...base, ...extra });

    const byName = Object.fromEntries(Object.entries(extra).map(([n, t]) => [`decoder.${n}`, Array.from(t.data)]));
    const batch = { texts: pack([[101, 2023, 102], [101, 2178, 2742, 102], [101, 2023, 2003, 1037, 6251, 102], [101, 7592, 102]]), numColumns: 2 };
    const run = async (weightsFile: string, spec: DenoisingAutoEncoderLoss) => {
      const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(weightsFile);
      loadAddon().manualSeed(0);
      await enc.configureTraining({ losses: [spec.toSpec()], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
      return enc.lossAndGradients(batch);
    };
    const fromFile = await run(file, new DenoisingAutoEncoderLoss());
    const given = await run(ref.weightsPath, new DenoisingAutoEncoderLoss({ decoderParameters: byName }));
    const initialised = await run(ref.weightsPath, new DenoisingAutoEncoderLoss());
    expect(fromFile.loss).toBe(given.loss);
    const grad = 'losses.0.decoder.cls.predictions.transform.dense.weight';
    expect(Array.from(fromFile.gradients[grad])).toEqual(Array.from(given.gradients[grad]));
    expect(initialised.loss).not.toBe(given.loss);
  }, 60_000);
});
