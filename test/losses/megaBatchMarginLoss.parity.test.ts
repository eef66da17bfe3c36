/**
 * MegaBatchMarginLoss against sentence-transformers' own class: loss and every gradient (rel <= 1e-4),
 * mini-batched (GradCache, its default, with mini-batches that do not divide the batch) and not, at
 * sentence-transformers' default margins (only the hardest-negative hinge is active on this tiny model,
 * whose cosines all lie near 0.9) and at margins where both hinges are active for some rows and not for
 * others. Then: both versions give the same loss and gradients in the engine; exactly two columns.
 */
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec } from '../../lib/binding/AddonTypes';
import { TextTokenizer } from '../../lib/data/TextTokenizer';
import { lossFromConfig } from '../../lib/losses/lossRegistry';
import { MegaBatchMarginLoss, type MegaBatchMarginOptions } from '../../lib/losses/MegaBatchMarginLoss';
import { engineReference, pack, relativeError } from '../engine/fixtures';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase } from './lossParity';

describeIf(missing({ addon: true, python: true, sharedData: true }), 'MegaBatchMarginLoss', () => {
  const rows = legalRows(8);
  const texts = [rows.map((r) => r.anchor), rows.map((r) => r.positive)];

  test('parity with sentence-transformers: mini-batched or not, default margins and margins that split the rows', async () => {
    const variants: [string, MegaBatchMarginOptions][] = [
      ['mbm_defaults_mbs3', { miniBatchSize: 3 }],
      ['mbm_split_margins_mbs5', { positiveMargin: 0.95, negativeMargin: 0.93, miniBatchSize: 5 }],
      ['mbm_split_margins_one_forward', { positiveMargin: 0.95, negativeMargin: 0.93, useMiniBatchedVersion: false }],
    ];
    const cases: LossParityCase[] = variants.map(([name, options]) => {
      const loss = new MegaBatchMarginLoss(options);
      return {
        name, pooling: 'mean', normalize: false, texts, spec: loss.toSpec(),
        st: { class: 'MegaBatchMarginLoss', kwargs: {
          positive_margin: loss.positiveMargin, negative_margin: loss.negativeMargin,
          use_mini_batched_version: loss.useMiniBatchedVersion, mini_batch_size: loss.miniBatchSize,
        } },
      };
    });
    const results = await runLossParity(cases, 'megabatch');
    console.log(`MegaBatchMarginLoss vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
  });

  test('the mini-batched and the one-forward version agree in the engine; the loss takes exactly (anchor, positive)', async () => {
    const ref = engineReference();
    const tokenizer = TextTokenizer.fromFolder(path.join(ref.dir, 'model'), { maxSeqLength: 48 });
    const ids = pack(texts.flat().map((t) => Array.from(tokenizer.encode(t))));
    const run = async (spec: LossSpec) => {
      const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(ref.weightsPath);
      await enc.configureTraining({ losses: [spec], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
      return enc.lossAndGradients({ texts: ids, numColumns: 2 });
    };
    const cached = await run(new MegaBatchMarginLoss({ positiveMargin: 0.95, negativeMargin: 0.93, miniBatchSize: 3 }).toSpec());
    const plain = await run(new MegaBatchMarginLoss({ positiveMargin: 0.95, negativeMargin: 0.93, useMiniBatchedVersion: false }).toSpec());
    expect(Math.abs(cached.loss - plain.loss) / plain.loss).toBeLessThan(1e-6);
    for (const name of Object.keys(plain.gradients).filter((n) => !n.endsWith('attention.self.key.bias'))) {
      expect([name, relativeError(cached.gradients[name], plain.gradients[name]) < 1e-4]).toEqual([name, true]);
    }

    const loss = lossFromConfig({ name: 'MegaBatchMarginLoss', positive_margin: 0.7, use_mini_batched_version: false });
    expect(loss.toSpec()).toEqual({ name: 'MegaBatchMarginLoss', positiveMargin: 0.7, negativeMargin: 0.3, useMiniBatchedVersion: false, miniBatchSize: 50 });
    expect(loss.configDict()).toEqual({ positive_margin: 0.7, negative_margin: 0.3, mini_batch_size: 50, mini_batch_num_tokens: null });
    expect(() => loss.checkData({ inputs: ['anchor', 'positive', 'negative'], label: null }))
      .toThrow(/MegaBatchMarginLoss needs exactly \(anchor, positive\) input columns .* but the data has 3 input column\(s\): \[anchor, positive, negative\]/);
    const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
    await enc.configureTraining({ losses: [loss.toSpec()], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
    const three = pack([...texts.flat(), ...texts[1]].map((t) => Array.from(tokenizer.encode(t))));
    await expect(enc.lossAndGradients({ texts: three, numColumns: 3 })).rejects.toThrow(/MegaBatchMarginLoss needs exactly \(anchor, positive\) columns .*, got 3 input column\(s\)/);
  });
});
