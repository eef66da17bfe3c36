/**
 * The pair losses through the loss parity harness, on real legal texts: (A, B) + 1/0 label
 * (ContrastiveLoss, OnlineContrastiveLoss), (A, B) + float score (CosineSimilarityLoss, CoSENTLoss,
 * AnglELoss, also AnglELoss' (anchor, positive, negative...) form), and MatryoshkaLoss over CoSENTLoss
 * and AnglELoss. Loss value and every gradient against sentence-transformers' own classes (rel <= 1e-4).
 * A pair labelled 1 is an anchor with its own positive passage; a pair labelled 0 is an anchor with
 * another row's passage. OnlineContrastiveLoss is also run on batches with no negative, no positive,
 * a single positive and a single negative, where sentence-transformers switches its hard-pair bounds.
 */
import type { LossSpec, PairwiseSimilarity, SiameseDistanceMetric } from '../../lib/binding/AddonTypes';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase, type LossParityResult } from './lossParity';

const ST_SIAMESE: Record<SiameseDistanceMetric, string> = {
  cosine_distance: '@losses.SiameseDistanceMetric.COSINE_DISTANCE',
  euclidean: '@losses.SiameseDistanceMetric.EUCLIDEAN',
  manhattan: '@losses.SiameseDistanceMetric.MANHATTAN',
};
const ST_PAIRWISE: Record<PairwiseSimilarity, string> = {
  cosine: '@util.pairwise_cos_sim', dot: '@util.pairwise_dot_score', euclidean: '@util.pairwise_euclidean_sim',
  manhattan: '@util.pairwise_manhattan_sim', angle: '@util.pairwise_angle_sim',
};

function expectParity(results: LossParityResult[]): void {
  for (const r of results) {
    expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    expect([r.name, r.stLoss !== 0, r.gradNorm > 0]).toEqual([r.name, true, true]);
  }
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'pair losses: parity with sentence-transformers', () => {
  const rows = legalRows(16);
  const anchors = rows.slice(0, 8).map((r) => r.anchor);
  /** Pair i is (anchor i, its own passage) when labels[i] is 1, else (anchor i, the passage of row i + 8). */
  const partners = (labels: number[]) => labels.map((y, i) => (y === 1 ? rows[i].positive : rows[i + 8].positive));

  test('ContrastiveLoss and OnlineContrastiveLoss: every SiameseDistanceMetric, margins, size_average; batches without negatives or positives', async () => {
    const mixed = [1, 0, 1, 1, 0, 0, 1, 0];
    // Euclidean and manhattan distances run on normalized embeddings (Normalize module): on unnormalized ones
    // they are blind to the last LayerNorm's bias, whose gradient is then analytically 0 and only rounding noise.
    const pair = (name: string, labels: number[], st: LossParityCase['st'], spec: LossSpec & { distanceMetric: SiameseDistanceMetric }): LossParityCase => ({
      name, pooling: 'mean', normalize: spec.distanceMetric !== 'cosine_distance', texts: [anchors, partners(labels)], labels, st, spec,
    });
    const contrastive = (name: string, metric: SiameseDistanceMetric, margin: number, sizeAverage: boolean, defaults = false) =>
      pair(name, mixed, { class: 'ContrastiveLoss', kwargs: defaults ? {} : { distance_metric: ST_SIAMESE[metric], margin, size_average: sizeAverage } },
        { name: 'ContrastiveLoss', distanceMetric: metric, margin, sizeAverage });
    const online = (name: string, labels: number[], metric: SiameseDistanceMetric, margin: number, defaults = false) =>
      pair(name, labels, { class: 'OnlineContrastiveLoss', kwargs: defaults ? {} : { distance_metric: ST_SIAMESE[metric], margin } },
        { name: 'OnlineContrastiveLoss', distanceMetric: metric, margin });
    const results = await runLossParity([
      contrastive('contrastive_default', 'cosine_distance', 0.5, true, true),
      contrastive('contrastive_euclidean_sum', 'euclidean', 0.4, false),
      contrastive('contrastive_manhattan', 'manhattan', 1.5, true),
      online('online_default', mixed, 'cosine_distance', 0.5, true),
      online('online_euclidean', mixed, 'euclidean', 0.4),
      online('online_manhattan', mixed, 'manhattan', 1.5),
      online('online_no_negative', [1, 1, 1, 1, 1, 1, 1, 1], 'cosine_distance', 0.5),
      online('online_no_positive', [0, 0, 0, 0, 0, 0, 0, 0], 'euclidean', 0.4),
      online('online_one_positive', [0, 0, 1, 0, 0, 0, 0, 0], 'euclidean', 0.4),
      online('online_one_negative', [1, 1, 1, 0, 1, 1, 1, 1], 'manhattan', 1.5),
    ], 'contrastive');
    console.log(`contrastive losses vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    expectParity(results);
  });

  test('CosineSimilarityLoss (MSELoss, L1Loss), CoSENTLoss (every pairwise similarity), AnglELoss (pairs and n-tuples), Matryoshka over CoSENT and AnglE', async () => {
    // Scores as an STS set has them: fractions, with ties (the CoSENT mask must skip tied pairs).
    const scores = [0.9, 0.1, 0.75, 0.6, 0.1, 0.35, 1, 0];
    const texts = [anchors, scores.map((s, i) => (s >= 0.5 ? rows[i].positive : rows[i + 8].positive))];
    const scored = (name: string, st: LossParityCase['st'], spec: LossSpec, normalize = false): LossParityCase => ({
      name, pooling: 'mean', normalize, texts, labels: scores, st, spec,
    });
    // Euclidean and manhattan scores on normalized embeddings, for the reason given for the contrastive losses.
    const cosent = (similarity: PairwiseSimilarity, scale: number): LossParityCase =>
      scored(`cosent_${similarity}`, { class: 'CoSENTLoss', kwargs: { similarity_fct: ST_PAIRWISE[similarity], scale } },
        { name: 'CoSENTLoss', scale, similarity }, similarity === 'euclidean' || similarity === 'manhattan');
    const angle: LossSpec = { name: 'AnglELoss', scale: 20 };
    const cosentDefault: LossSpec = { name: 'CoSENTLoss', scale: 20, similarity: 'cosine' };
    const negatives1 = rows.slice(8, 14).map((r) => r.positive);
    const negatives2 = rows.slice(10, 16).map((r) => r.positive);
    const results = await runLossParity([
      scored('cosine_similarity_mse', { class: 'CosineSimilarityLoss' }, { name: 'CosineSimilarityLoss', lossFct: 'MSELoss', cosScoreTransformation: 'Identity' }),
      scored('cosine_similarity_l1', { class: 'CosineSimilarityLoss', kwargs: { loss_fct: '@torch.nn.L1Loss()', cos_score_transformation: '@torch.nn.Identity()' } },
        { name: 'CosineSimilarityLoss', lossFct: 'L1Loss', cosScoreTransformation: 'Identity' }, true),
      scored('cosent_default', { class: 'CoSENTLoss' }, cosentDefault),
      cosent('dot', 0.5),
      cosent('euclidean', 5),
      cosent('manhattan', 1),
      cosent('angle', 10),
      scored('angle_default', { class: 'AnglELoss' }, angle),
      { name: 'angle_triplets', pooling: 'mean', normalize: false, texts: [anchors.slice(0, 6), rows.slice(0, 6).map((r) => r.positive), negatives1],
        st: { class: 'AnglELoss' }, spec: angle },
      { name: 'angle_two_negatives_scored', pooling: 'mean', normalize: false,
        texts: [anchors.slice(0, 6), rows.slice(0, 6).map((r) => r.positive), negatives1, negatives2], labels: [0.9, 0.8, 1, 0.7, 0.95, 0.6],
        st: { class: 'AnglELoss', kwargs: { scale: 7 } }, spec: { name: 'AnglELoss', scale: 7 } },
      scored('matryoshka_cosent', { class: 'MatryoshkaLoss', kwargs: { matryoshka_dims: [32, 16, 8], matryoshka_weights: [1, 0.5, 2] }, loss: { class: 'CoSENTLoss' } },
        { name: 'MatryoshkaLoss', dims: [32, 16, 8], weights: [1, 0.5, 2], loss: cosentDefault }),
      // 15 is odd: pairwise_angle_sim pads the truncated embedding with a zero column.
      scored('matryoshka_angle_odd_dim', { class: 'MatryoshkaLoss', kwargs: { matryoshka_dims: [32, 15] }, loss: { class: 'AnglELoss' } },
        { name: 'MatryoshkaLoss', dims: [32, 15], weights: [1, 1], loss: angle }),
    ], 'scored-pairs');
    console.log(`score losses vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    expectParity(results);
  });
});
