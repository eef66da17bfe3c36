/**
 * ContrastiveTensionLoss and ContrastiveTensionLossInBatchNegatives through the loss parity harness, on real
 * legal texts: loss value and every gradient, of the model (model2) and of the loss's own model1 copy
 * ("losses.0.model1.<name>") and logit_scale, against sentence-transformers' classes (rel <= 1e-4). The
 * pairs are given (as ContrastiveTensionDataLoader makes them), so no randomness is involved.
 */
import type { LossSpec } from '../../lib/binding/AddonTypes';
import { ContrastiveTensionLoss } from '../../lib/losses/ContrastiveTensionLoss';
import { ContrastiveTensionLossInBatchNegatives } from '../../lib/losses/ContrastiveTensionLossInBatchNegatives';
import { describeIf, missing } from '../helpers/requirements';
import { runLossParity, type LossParityCase } from './lossParity';
import { legalRows } from './lossTexts';

describeIf(missing({ addon: true, python: true, sharedData: true }), 'Contrastive Tension losses: parity with sentence-transformers', () => {
  test('model1 and model2 gradients, labels given or from token ids, in-batch negatives with a learnable scale', async () => {
    const rows = legalRows(8);
    const sentences = rows.map((r) => r.anchor);
    // Rows 0 and 3 identical (label 1), row 5 identical after lower-casing (the uncased tokenizer gives the same
    // ids: sentence-transformers labels it 1 when no labels are given), the rest different (0).
    const a = [sentences[0], sentences[1], sentences[2], sentences[3], rows[4].positive, sentences[5].toUpperCase()];
    const b = [sentences[0], sentences[6], rows[2].positive, sentences[3], sentences[7], sentences[5]];
    const pairLabels = [1, 0, 0, 1, 0, 1];
    const ct = new ContrastiveTensionLoss().toSpec();
    const cases: LossParityCase[] = [
      { name: 'ct_labels', pooling: 'mean', normalize: false, texts: [a, b], labels: pairLabels, st: { class: 'ContrastiveTensionLoss' }, spec: ct },
      { name: 'ct_token_identity', pooling: 'cls', normalize: true, texts: [a, b], st: { class: 'ContrastiveTensionLoss' }, spec: ct },
      { name: 'ct_token_identity_labelled', pooling: 'cls', normalize: true, texts: [a, b], labels: pairLabels, st: { class: 'ContrastiveTensionLoss' }, spec: ct },
      { name: 'ct_soft_labels_max', pooling: 'max', normalize: false, texts: [a, b], labels: [0.9, 0.1, 0, 1, 0.2, 1],
        st: { class: 'ContrastiveTensionLoss' }, spec: ct },
      { name: 'ctibn_default', pooling: 'mean', normalize: false, texts: [sentences],
        st: { class: 'ContrastiveTensionLossInBatchNegatives' }, spec: new ContrastiveTensionLossInBatchNegatives().toSpec() },
      { name: 'ctibn_dot_scale1', pooling: 'max', normalize: false, texts: [sentences.slice(0, 6)],
        st: { class: 'ContrastiveTensionLossInBatchNegatives', kwargs: { scale: 1, similarity_fct: '@util.dot_score' } },
        spec: new ContrastiveTensionLossInBatchNegatives({ scale: 1, similarity: 'dot' }).toSpec() },
      { name: 'ctibn_anchor_anchor', pooling: 'mean', normalize: true, texts: [sentences, sentences],
        st: { class: 'ContrastiveTensionLossInBatchNegatives', kwargs: { scale: 7.5 } },
        spec: new ContrastiveTensionLossInBatchNegatives({ scale: 7.5 }).toSpec() },
    ];
    const results = await runLossParity(cases, 'contrastive-tension');
    console.log(`Contrastive Tension losses vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
      // Both models get gradients (the harness compares every name on both sides; here: neither is all zero).
      expect([r.name, r.gradNorm > 0]).toEqual([r.name, true]);
    }
    // Without labels, both sides label the pairs by token ids: row 5 (upper-cased) counts as identical, as pairLabels say.
    const byName = Object.fromEntries(results.map((r) => [r.name, r]));
    expect(byName.ct_token_identity.loss).toBe(byName.ct_token_identity_labelled.loss);
    expect(byName.ct_token_identity.stLoss).toBe(byName.ct_token_identity_labelled.stLoss);
  });
});

describeIf(missing({ addon: true }), 'Contrastive Tension losses: the engine\'s own checks', () => {
  test('wrong column counts, a second column that does not repeat the first, and a modifier around them are refused', async () => {
    const { loadAddon } = await import('../../lib/binding/addon');
    const { engineReference, pack } = await import('../engine/fixtures');
    const ref = engineReference();
    const encoder = async (spec: LossSpec) => {
      const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(ref.weightsPath);
      await enc.configureTraining({ losses: [spec], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
      return enc;
    };
    const ids = [[101, 2000, 102], [101, 2001, 102], [101, 2000, 102], [101, 2002, 102]];
    const ct = await encoder(new ContrastiveTensionLoss().toSpec());
    await expect(ct.lossAndGradients({ texts: pack(ids), numColumns: 1 }))
      .rejects.toThrow(/ContrastiveTensionLoss needs \(sentence_A, sentence_B\) pairs: exactly 2 input columns, got 1 input column\(s\)/);
    const inBatch = await encoder(new ContrastiveTensionLossInBatchNegatives().toSpec());
    await expect(inBatch.lossAndGradients({ texts: pack(ids), numColumns: 2 }))
      .rejects.toThrow(/ContrastiveTensionLossInBatchNegatives embeds only the first column .* a second column must repeat it, but row 1 of the batch has two different texts/);
    await expect(inBatch.lossAndGradients({ texts: pack([...ids, ...ids.slice(0, 2)]), numColumns: 3 }))
      .rejects.toThrow(/ContrastiveTensionLossInBatchNegatives needs single sentences: 1 input column \(or \(anchor, anchor\) pairs\), got 3/);
    await expect(inBatch.lossAndGradients({ texts: pack(ids), numColumns: 1, labels: Float32Array.from([1, 0, 1, 0]) }))
      .rejects.toThrow(/ContrastiveTensionLossInBatchNegatives takes no labels/);
    const wrapped = await encoder({ name: 'MatryoshkaLoss', loss: new ContrastiveTensionLoss().toSpec(), dims: [32, 16], weights: [1, 1] });
    await expect(wrapped.lossAndGradients({ texts: pack(ids), numColumns: 2 }))
      .rejects.toThrow(/ContrastiveTensionLoss embeds sentence_A with its own model1/);
  });
});
