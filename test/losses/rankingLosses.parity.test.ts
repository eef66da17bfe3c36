/**
 * The ranking losses and MatryoshkaLoss through the generic loss parity harness, on real legal
 * (anchor, positive) rows: loss value and every gradient against sentence-transformers (rel <= 1e-4).
 */
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase } from './lossParity';

describeIf(missing({ addon: true, python: true, sharedData: true }), 'ranking losses: parity with sentence-transformers', () => {
  test('MNRL with two hard-negative columns, MNSRL with dot product, MatryoshkaLoss over both', async () => {
    const rows = legalRows(12);
    const anchors = rows.slice(0, 4).map((r) => r.anchor);
    const positives = rows.slice(0, 4).map((r) => r.positive);
    const negatives1 = rows.slice(4, 8).map((r) => r.positive);
    const negatives2 = rows.slice(8, 12).map((r) => r.positive);
    const mnrl = { name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' } as const;
    const cases: LossParityCase[] = [
      { name: 'mnrl_two_negatives', pooling: 'mean', normalize: false, texts: [anchors, positives, negatives1, negatives2],
        st: { class: 'MultipleNegativesRankingLoss' }, spec: mnrl },
      { name: 'mnsrl_dot', pooling: 'mean', normalize: true, texts: [anchors, positives],
        st: { class: 'MultipleNegativesSymmetricRankingLoss', kwargs: { scale: 5, similarity_fct: '@util.dot_score' } },
        spec: { name: 'MultipleNegativesSymmetricRankingLoss', scale: 5, similarity: 'dot' } },
      { name: 'matryoshka_mnrl', pooling: 'mean', normalize: false, texts: [anchors, positives, negatives1],
        st: { class: 'MatryoshkaLoss', kwargs: { matryoshka_dims: [32, 8, 16], matryoshka_weights: [1, 0.5, 2] }, loss: { class: 'MultipleNegativesRankingLoss' } },
        spec: { name: 'MatryoshkaLoss', dims: [32, 8, 16], weights: [1, 0.5, 2], loss: mnrl } },
    ];
    const results = await runLossParity(cases, 'ranking');
    console.log(`ranking losses vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
  });
});
