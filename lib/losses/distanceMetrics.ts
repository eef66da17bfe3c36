/**
 * The distance and similarity choices of the triplet, contrastive and CoSENT losses: how a config file
 * names them (sentence-transformers' names: BatchHardTripletLossDistanceFunction's functions, the
 * TripletDistanceMetric / SiameseDistanceMetric members, util.pairwise_* for CoSENT; case-insensitive)
 * and how each loss's config dict reports them.
 */
import type { BatchDistanceMetric, PairwiseSimilarity, SiameseDistanceMetric, TripletDistanceMetric } from '../binding/AddonTypes';
import type { LossOptions } from './LossOptions';

/** Config spellings are sentence-transformers' names, matched case-insensitively (LossOptions.choice). */
function spellings<T extends string>(names: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(names).map(([name, value]) => [name.toLowerCase(), value]));
}

/** BatchHardTripletLossDistanceFunction's static methods (eucledian_distance is its own alias). */
const BATCH = spellings<BatchDistanceMetric>({
  cosine_distance: 'cosine_distance', euclidean_distance: 'euclidean_distance', eucledian_distance: 'euclidean_distance',
});
const TRIPLET = spellings<TripletDistanceMetric>({ COSINE: 'cosine', EUCLIDEAN: 'euclidean', MANHATTAN: 'manhattan' });
const SIAMESE = spellings<SiameseDistanceMetric>({
  EUCLIDEAN: 'euclidean', MANHATTAN: 'manhattan', COSINE_DISTANCE: 'cosine_distance',
});
const PAIRWISE_FUNCTIONS: Record<PairwiseSimilarity, string> = {
  cosine: 'pairwise_cos_sim', dot: 'pairwise_dot_score', euclidean: 'pairwise_euclidean_sim',
  manhattan: 'pairwise_manhattan_sim', angle: 'pairwise_angle_sim',
};
const PAIRWISE: Record<string, PairwiseSimilarity> = {};
for (const [value, fn] of Object.entries(PAIRWISE_FUNCTIONS) as [PairwiseSimilarity, string][]) {
  PAIRWISE[fn] = value;
  PAIRWISE[value] = value; // the short names, as MultipleNegativesRankingLoss' similarity takes "cosine" / "dot"
}

export const readBatchDistanceMetric = (o: LossOptions, fallback: BatchDistanceMetric = 'euclidean_distance') =>
  o.choice('distance_metric', fallback, BATCH);
export const readTripletDistanceMetric = (o: LossOptions, fallback: TripletDistanceMetric = 'euclidean') =>
  o.choice('distance_metric', fallback, TRIPLET);
export const readSiameseDistanceMetric = (o: LossOptions, fallback: SiameseDistanceMetric = 'cosine_distance') =>
  o.choice('distance_metric', fallback, SIAMESE);
export const readPairwiseSimilarity = (o: LossOptions, fallback: PairwiseSimilarity = 'cosine') =>
  o.choice('similarity_fct', fallback, PAIRWISE);

/** As get_config_dict reports them: the function's __name__, or "Enum.MEMBER" for the enum-held lambdas. */
export const batchDistanceMetricName = (m: BatchDistanceMetric): string => m;
export const tripletDistanceMetricName = (m: TripletDistanceMetric): string => `TripletDistanceMetric.${m.toUpperCase()}`;
export const siameseDistanceMetricName = (m: SiameseDistanceMetric): string => `SiameseDistanceMetric.${m.toUpperCase()}`;
export const pairwiseSimilarityName = (s: PairwiseSimilarity): string => PAIRWISE_FUNCTIONS[s];

/** Checks a value given through the TypeScript API (config files go through the readers above). */
export function checkChoice<T extends string>(lossName: string, option: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) throw new Error(`${lossName}: ${option} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value;
}

export const BATCH_DISTANCE_METRICS: readonly BatchDistanceMetric[] = ['cosine_distance', 'euclidean_distance'];
export const TRIPLET_DISTANCE_METRICS: readonly TripletDistanceMetric[] = ['cosine', 'euclidean', 'manhattan'];
export const SIAMESE_DISTANCE_METRICS: readonly SiameseDistanceMetric[] = ['euclidean', 'manhattan', 'cosine_distance'];
export const PAIRWISE_SIMILARITIES: readonly PairwiseSimilarity[] = ['cosine', 'dot', 'euclidean', 'manhattan', 'angle'];

/** Options that are plain numbers must be finite. */
export function checkFinite(lossName: string, option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${lossName}: ${option} must be a finite number, got ${JSON.stringify(value)}`);
  return value;
}
