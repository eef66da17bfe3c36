import type { LossSpec, RankingDirection, RankingHardnessMode, SimilarityFunction } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import { rejectLabels, requireInputColumns } from './dataRequirements';
import type { LossOptions } from './LossOptions';

export interface RankingLossOptions {
  /** Multiplier of the similarity scores before the softmax (sentence-transformers' default 20). */
  scale?: number;
  /** 'cosine' (sentence-transformers' cos_sim, the default) or 'dot'. */
  similarity?: SimilarityFunction;
  /** Multi-process training is not offered: only false (the default) is accepted. */
  gatherAcrossDevices?: boolean;
}

/** MultipleNegativesRankingLoss' interaction options (sentence-transformers 6), also taken by its Cached twin. */
export interface RankingInteractionOptions {
  /** Similarity terms in the softmax: query_to_doc (required: it holds the positive), query_to_query, doc_to_query,
   *  doc_to_doc. Default ['query_to_doc'] (InfoNCE). */
  directions?: RankingDirection[];
  /** 'joint' (default): one softmax over every direction; 'per_direction': one each, averaged (not with
   *  query_to_query or doc_to_doc, whose rows never hold the positive). */
  partitionMode?: 'joint' | 'per_direction';
  /** null (default): none; else hardnessStrength * stop_grad(sim) is added to those negatives' logits. */
  hardnessMode?: RankingHardnessMode | null;
  /** Non-negative; ignored without hardnessMode. Default 0. */
  hardnessStrength?: number;
}

export type MultipleNegativesRankingLossOptions = RankingLossOptions & RankingInteractionOptions;

export type RankingInteraction = Required<RankingInteractionOptions>;

const DIRECTIONS: readonly RankingDirection[] = ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'];
const HARDNESS_MODES: readonly RankingHardnessMode[] = ['in_batch_negatives', 'hard_negatives', 'all_negatives'];

/** Reads and checks the options both ranking losses share. */
export function rankingOptions(lossName: string, options: RankingLossOptions): Required<Omit<RankingLossOptions, 'gatherAcrossDevices'>> {
  const scale = options.scale ?? 20;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`${lossName}: scale must be a positive number, got ${options.scale}`);
  if (options.gatherAcrossDevices !== undefined && options.gatherAcrossDevices !== false) {
    throw new Error(`${lossName}: gather_across_devices must be false: embedforge trains in one process, got ${JSON.stringify(options.gatherAcrossDevices)}`);
  }
  return { scale, similarity: options.similarity ?? 'cosine' };
}

/** The interaction options with sentence-transformers' defaults, refused as sentence-transformers refuses them. */
export function rankingInteraction(lossName: string, options: RankingInteractionOptions): RankingInteraction {
  const directions = options.directions ?? ['query_to_doc'];
  if (!Array.isArray(directions) || directions.length === 0) {
    throw new Error(`${lossName}: at least one direction must be specified (directions: ${DIRECTIONS.join(', ')})`);
  }
  const invalid = directions.filter((d) => !DIRECTIONS.includes(d));
  if (invalid.length) {
    throw new Error(`${lossName}: invalid direction(s) ${invalid.map((d) => JSON.stringify(d)).join(', ')}; valid: ${DIRECTIONS.join(', ')}`);
  }
  if (!directions.includes('query_to_doc')) {
    throw new Error(`${lossName}: directions must include 'query_to_doc' (it contains the positive pair), got [${directions.join(', ')}]`);
  }
  const partitionMode = options.partitionMode ?? 'joint';
  if (partitionMode !== 'joint' && partitionMode !== 'per_direction') {
    throw new Error(`${lossName}: partition_mode must be 'joint' or 'per_direction', got ${JSON.stringify(partitionMode)}`);
  }
  const sameType = directions.filter((d) => d === 'query_to_query' || d === 'doc_to_doc');
  if (partitionMode === 'per_direction' && sameType.length) {
    throw new Error(`${lossName}: partition_mode 'per_direction' requires every direction's candidates to include the positive pair; `
      + `${[...new Set(sameType)].join(' and ')} never do (the per-direction loss would be ill-defined). Use partition_mode 'joint'`);
  }
  const hardnessMode = options.hardnessMode ?? null;
  if (hardnessMode !== null && !HARDNESS_MODES.includes(hardnessMode)) {
    throw new Error(`${lossName}: hardness_mode must be null or one of ${HARDNESS_MODES.join(', ')}, got ${JSON.stringify(hardnessMode)}`);
  }
  const hardnessStrength = options.hardnessStrength ?? 0;
  if (!(hardnessStrength >= 0) || !Number.isFinite(hardnessStrength)) {
    throw new Error(`${lossName}: hardness_strength must be a non-negative number, got ${options.hardnessStrength}`);
  }
  if (hardnessMode !== null && hardnessStrength === 0) {
    // sentence-transformers warns too: the option was asked for but does nothing.
    process.stderr.write(`embedforge: ${lossName}: hardness_mode '${hardnessMode}' is set but hardness_strength is 0, so hardness `
      + 'weighting has no effect; set hardness_strength to a positive value to enable it\n');
  }
  return { directions: [...directions], partitionMode, hardnessMode, hardnessStrength };
}

export function rankingOptionsFromConfig(o: LossOptions): RankingLossOptions {
  return { scale: o.number('scale', 20), similarity: o.similarity(), gatherAcrossDevices: o.boolean('gather_across_devices', false) };
}

export function rankingInteractionFromConfig(o: LossOptions): RankingInteractionOptions {
  return {
    directions: o.textList('directions') as RankingDirection[] | undefined,
    partitionMode: o.text('partition_mode') as RankingInteractionOptions['partitionMode'],
    hardnessMode: o.text('hardness_mode') as RankingHardnessMode | undefined,
    hardnessStrength: o.number('hardness_strength', 0),
  };
}

/** sentence-transformers 6's get_config_dict entries of the interaction (MultipleNegativesRankingLoss and its subclasses). */
export function rankingInteractionConfig(i: RankingInteraction): Record<string, unknown> {
  return {
    gather_across_devices: false, directions: i.directions, partition_mode: i.partitionMode,
    hardness_mode: i.hardnessMode, hardness_strength: i.hardnessStrength,
  };
}

export function checkRankingData(lossName: string, data: LossData): void {
  requireInputColumns(lossName, data, { min: 2, describe: '(anchor, positive[, negative...]) input columns' });
  rejectLabels(lossName, data);
}

/** What MultipleNegativesSymmetricRankingLoss is in sentence-transformers 6: both directions, one softmax each. */
export const SYMMETRIC_INTERACTION: RankingInteraction = {
  directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction', hardnessMode: null, hardnessStrength: 0,
};

type RankingLossName = 'MultipleNegativesRankingLoss' | 'MultipleNegativesSymmetricRankingLoss';

/**
 * What MultipleNegativesRankingLoss and MultipleNegativesSymmetricRankingLoss share: (anchor, positive[,
 * negative...]) columns without labels, a scale, a similarity and the interaction (directions, partition,
 * hardness), fixed for the symmetric one; the engine tells them apart by name.
 */
export abstract class RankingLoss implements Loss {
  readonly scale: number;
  readonly similarity: SimilarityFunction;
  readonly interaction: RankingInteraction;

  protected constructor(readonly name: RankingLossName, options: RankingLossOptions, interaction: RankingInteractionOptions) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(name, options));
    this.interaction = rankingInteraction(name, interaction);
  }

  toSpec(): LossSpec {
    if (this.name === 'MultipleNegativesSymmetricRankingLoss') return { name: this.name, scale: this.scale, similarity: this.similarity };
    return { name: this.name, scale: this.scale, similarity: this.similarity, ...this.interaction };
  }

  checkData(data: LossData): void {
    checkRankingData(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score', ...rankingInteractionConfig(this.interaction) };
  }
}
