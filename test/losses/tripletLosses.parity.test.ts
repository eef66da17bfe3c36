/**
 * The batch triplet losses (single sentences + class labels) and TripletLoss through the loss parity
 * harness, on real legal texts: loss value and every gradient against sentence-transformers' own
 * classes (rel <= 1e-4). Class labels group the anchors into a few classes; further batches have a
 * class of one member, no two sentences of one class (no positive pair, hence no valid triplet) and
 * a single class (no negative). Margins are chosen from the tiny model's distances (mean pooling:
 * euclidean ~0.8-1.6, cosine distance ~0.03-0.12) so that some hinges are active and some are not,
 * besides sentence-transformers' default margin 5 where every hinge is active.
 * A case whose loss is exactly 0 in sentence-transformers (no triplet at all) is compared absolutely:
 * the engine's loss and every gradient must be exactly 0 too.
 */
import type { BatchDistanceMetric, LossSpec, TripletDistanceMetric } from '../../lib/binding/AddonTypes';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase, type LossParityResult } from './lossParity';

const ST_BATCH_DISTANCE: Record<BatchDistanceMetric | 'eucledian_distance', string> = {
  euclidean_distance: '@losses.BatchHardTripletLossDistanceFunction.euclidean_distance',
  eucledian_distance: '@losses.BatchHardTripletLossDistanceFunction.eucledian_distance',
  cosine_distance: '@losses.BatchHardTripletLossDistanceFunction.cosine_distance',
};
const ST_TRIPLET_DISTANCE: Record<TripletDistanceMetric, string> = {
  euclidean: '@losses.TripletDistanceMetric.EUCLIDEAN', cosine: '@losses.TripletDistanceMetric.COSINE', manhattan: '@losses.TripletDistanceMetric.MANHATTAN',
};

/** Three classes of 3, 3 and 2 sentences. */
const GROUPED = [0, 1, 2, 0, 1, 2, 0, 1];
/** Classes of 2, 2, 3 and 1 (class 7 has a single member: no positive for it). */
const WITH_SINGLETON = [4, 4, 9, 9, 2, 2, 2, 7];
/** Every sentence its own class: no positive pair, so no valid triplet. */
const ALL_DISTINCT = [0, 1, 2, 3, 4, 5, 6, 7];
/** One class: no negative for any anchor. */
const ONE_CLASS = [3, 3, 3, 3, 3, 3, 3, 3];

type BatchLossName = 'BatchAllTripletLoss' | 'BatchHardTripletLoss' | 'BatchSemiHardTripletLoss';

/**
 * The last LayerNorm's bias moves every embedding by the same vector, which euclidean and manhattan
 * distances of unnormalized embeddings do not see: its gradient is analytically 0 there, and both
 * engines compute rounding noise for it (checked to be noise-level, like the attention key bias).
 */
const LAST_LAYERNORM_BIAS = 'encoder.layer.1.output.LayerNorm.bias';
const translationInvariant = (metric: string, normalize: boolean) => (metric === 'cosine_distance' || metric === 'cosine' || normalize ? [] : [LAST_LAYERNORM_BIAS]);

function batchCase(
  name: string, loss: BatchLossName, metric: BatchDistanceMetric | 'eucledian_distance', margin: number | undefined,
  labels: number[], sentences: string[], normalize = false,
): LossParityCase {
  const distanceMetric: BatchDistanceMetric = metric === 'eucledian_distance' ? 'euclidean_distance' : metric;
  const kwargs: Record<string, unknown> = { distance_metric: ST_BATCH_DISTANCE[metric] };
  if (margin !== undefined) kwargs.margin = margin;
  return {
    name, pooling: 'mean', normalize, texts: [sentences], labels, analyticallyZero: translationInvariant(metric, normalize),
    st: { class: loss, kwargs }, spec: { name: loss, distanceMetric, margin: margin ?? 5 },
  };
}

/**
 * Loss and gradients within 1e-4 of sentence-transformers'. Cases named in `zeroLoss` must have a loss
 * and gradient of exactly 0 on both sides, those in `zeroGradient` a real loss but exactly 0 gradient
 * (compared absolutely); every other case a non-zero loss and gradient, so that it tests something.
 */
function expectParity(results: LossParityResult[], zeroLoss: string[] = [], zeroGradient: string[] = []): void {
  for (const r of results) {
    expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    if (zeroLoss.includes(r.name)) expect([r.name, r.loss, r.stLoss, r.gradNorm]).toEqual([r.name, 0, 0, 0]);
    else if (zeroGradient.includes(r.name)) expect([r.name, r.stLoss !== 0, r.gradNorm]).toEqual([r.name, true, 0]);
    else expect([r.name, r.stLoss !== 0, r.gradNorm > 0]).toEqual([r.name, true, true]);
  }
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'triplet losses: parity with sentence-transformers', () => {
  const rows = legalRows(16);
  const sentences = rows.slice(0, 8).map((r) => r.anchor);
  const others = rows.slice(8, 16).map((r) => r.anchor);

  test('BatchAll/BatchHard/BatchHardSoftMargin/BatchSemiHard TripletLoss: both distances, margins, labels with a singleton, no positive, no negative; Matryoshka over BatchSemiHard', async () => {
    const semiHard: LossSpec = { name: 'BatchSemiHardTripletLoss', distanceMetric: 'euclidean_distance', margin: 0.1 };
    const cases: LossParityCase[] = [
      batchCase('all_default', 'BatchAllTripletLoss', 'euclidean_distance', undefined, GROUPED, sentences),
      batchCase('all_eucledian_alias_margin', 'BatchAllTripletLoss', 'eucledian_distance', 0.2, GROUPED, others),
      batchCase('all_cosine_singleton', 'BatchAllTripletLoss', 'cosine_distance', 0.03, WITH_SINGLETON, sentences, true),
      batchCase('all_no_triplet', 'BatchAllTripletLoss', 'euclidean_distance', 1, ALL_DISTINCT, sentences),
      batchCase('hard_default', 'BatchHardTripletLoss', 'euclidean_distance', undefined, GROUPED, sentences),
      batchCase('hard_margin_mixed_normalized', 'BatchHardTripletLoss', 'euclidean_distance', 0.1, WITH_SINGLETON, others, true),
      batchCase('hard_cosine', 'BatchHardTripletLoss', 'cosine_distance', 0.02, GROUPED, sentences),
      batchCase('hard_no_positive', 'BatchHardTripletLoss', 'euclidean_distance', 5, ALL_DISTINCT, sentences),
      batchCase('hard_no_negative', 'BatchHardTripletLoss', 'euclidean_distance', 0.5, ONE_CLASS, sentences),
      { name: 'softmargin_default', pooling: 'mean', normalize: false, texts: [sentences], labels: GROUPED, analyticallyZero: [LAST_LAYERNORM_BIAS],
        st: { class: 'BatchHardSoftMarginTripletLoss' }, spec: { name: 'BatchHardSoftMarginTripletLoss', distanceMetric: 'euclidean_distance' } },
      { name: 'softmargin_cosine_singleton', pooling: 'mean', normalize: false, texts: [others], labels: WITH_SINGLETON,
        st: { class: 'BatchHardSoftMarginTripletLoss', kwargs: { distance_metric: ST_BATCH_DISTANCE.cosine_distance } },
        spec: { name: 'BatchHardSoftMarginTripletLoss', distanceMetric: 'cosine_distance' } },
      batchCase('semihard_default', 'BatchSemiHardTripletLoss', 'euclidean_distance', undefined, GROUPED, sentences),
      batchCase('semihard_margin_mixed', 'BatchSemiHardTripletLoss', 'euclidean_distance', 0.1, GROUPED, others),
      batchCase('semihard_cosine_singleton', 'BatchSemiHardTripletLoss', 'cosine_distance', 0.02, WITH_SINGLETON, sentences, true),
      batchCase('semihard_no_positive', 'BatchSemiHardTripletLoss', 'euclidean_distance', 5, ALL_DISTINCT, sentences),
      batchCase('semihard_no_negative', 'BatchSemiHardTripletLoss', 'euclidean_distance', 0.3, ONE_CLASS, others),
      // Not translation-invariant: MatryoshkaLoss renormalizes the truncated embeddings.
      { name: 'matryoshka_semihard', pooling: 'mean', normalize: false, texts: [sentences], labels: WITH_SINGLETON,
        st: { class: 'MatryoshkaLoss', kwargs: { matryoshka_dims: [32, 16, 8], matryoshka_weights: [1, 0.5, 0.25] },
          loss: { class: 'BatchSemiHardTripletLoss', kwargs: { margin: 0.1 } } },
        spec: { name: 'MatryoshkaLoss', dims: [32, 16, 8], weights: [1, 0.5, 0.25], loss: semiHard } },
    ];
    const results = await runLossParity(cases, 'batch-triplet');
    console.log(`batch triplet losses vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    expectParity(results, ['all_no_triplet', 'semihard_no_positive'], ['hard_no_negative']);
  });

  test('TripletLoss: euclidean (default margin 5), cosine and manhattan with margins that leave some triplets satisfied', async () => {
    const anchors = rows.slice(0, 6).map((r) => r.anchor);
    const positives = rows.slice(0, 6).map((r) => r.positive);
    const negatives = rows.slice(6, 12).map((r) => r.positive);
    const triplet = (name: string, metric: TripletDistanceMetric, margin: number | undefined, normalize = false): LossParityCase => ({
      name, pooling: 'mean', normalize, texts: [anchors, positives, negatives], analyticallyZero: translationInvariant(metric, normalize),
      st: { class: 'TripletLoss', kwargs: { distance_metric: ST_TRIPLET_DISTANCE[metric], ...(margin === undefined ? {} : { triplet_margin: margin }) } },
      spec: { name: 'TripletLoss', distanceMetric: metric, tripletMargin: margin ?? 5 },
    });
    const results = await runLossParity([
      triplet('triplet_default_normalized', 'euclidean', undefined, true),
      triplet('triplet_euclidean_mixed', 'euclidean', 0.1),
      triplet('triplet_cosine', 'cosine', 0.02),
      triplet('triplet_manhattan', 'manhattan', 0.5),
    ], 'triplet');
    console.log(`TripletLoss vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    expectParity(results);
  });
});
