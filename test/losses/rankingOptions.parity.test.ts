/**
 * MultipleNegativesRankingLoss' sentence-transformers 6 options (directions, partition_mode, hardness_mode,
 * hardness_strength), on the plain loss and on CachedMultipleNegativesRankingLoss (GradCache chunks that do not
 * divide the batch), with and without hard-negative columns: loss and every gradient against
 * sentence-transformers' own classes (rel <= 1e-4). The specs come from the TypeScript classes, so the
 * options travel the way training sends them. Also: the engine refuses a bad spec by itself, and
 * mini_batch_num_tokens packs the encoder's mini-batches by tokens (seen through dropout, whose masks
 * depend on how the texts are split into forwards).
 */
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec } from '../../lib/binding/AddonTypes';
import { CachedMultipleNegativesRankingLoss, MatryoshkaLoss, MultipleNegativesRankingLoss } from '../../lib/losses';
import type { CachedMultipleNegativesRankingLossOptions } from '../../lib/losses/CachedRankingLoss';
import type { MultipleNegativesRankingLossOptions } from '../../lib/losses/RankingLoss';
import { TextTokenizer } from '../../lib/data/TextTokenizer';
import { engineReference, pack } from '../engine/fixtures';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase } from './lossParity';

const ALL = ['query_to_doc', 'query_to_query', 'doc_to_query', 'doc_to_doc'] as const;

/** sentence-transformers' kwargs for the same options (snake_case, None as null). */
function stKwargs(o: CachedMultipleNegativesRankingLossOptions): Record<string, unknown> {
  const kw: Record<string, unknown> = {};
  if (o.scale !== undefined) kw.scale = o.scale;
  if (o.similarity === 'dot') kw.similarity_fct = '@util.dot_score';
  if (o.directions) kw.directions = o.directions;
  if (o.partitionMode) kw.partition_mode = o.partitionMode;
  if (o.hardnessMode !== undefined) kw.hardness_mode = o.hardnessMode;
  if (o.hardnessStrength !== undefined) kw.hardness_strength = o.hardnessStrength;
  if (o.miniBatchSize !== undefined) kw.mini_batch_size = o.miniBatchSize;
  if (o.miniBatchNumTokens !== undefined) kw.mini_batch_num_tokens = o.miniBatchNumTokens;
  return kw;
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'MultipleNegativesRankingLoss options: parity with sentence-transformers', () => {
  const rows = legalRows(15);
  const col = (from: number, n: number, key: 'anchor' | 'positive') => rows.slice(from, from + n).map((r) => r[key]);
  const pairs = [col(0, 5, 'anchor'), col(0, 5, 'positive')];
  const oneNegative = [...pairs, col(5, 5, 'positive')];
  const twoNegatives = [...oneNegative, col(10, 5, 'positive')];
  const data = { pairs, oneNegative, twoNegatives };

  const plain = (name: string, texts: keyof typeof data, o: MultipleNegativesRankingLossOptions, normalize = false): LossParityCase => ({
    name, pooling: 'mean', normalize, texts: data[texts],
    st: { class: 'MultipleNegativesRankingLoss', kwargs: stKwargs(o) }, spec: new MultipleNegativesRankingLoss(o).toSpec(),
  });
  const cached = (name: string, texts: keyof typeof data, o: CachedMultipleNegativesRankingLossOptions, normalize = false): LossParityCase => ({
    name, pooling: 'mean', normalize, texts: data[texts],
    st: { class: 'CachedMultipleNegativesRankingLoss', kwargs: stKwargs(o) }, spec: new CachedMultipleNegativesRankingLoss(o).toSpec(),
  });

  test('each direction set, both partitions, each hardness mode, plain and cached', async () => {
    const cases: LossParityCase[] = [
      // directions and partitions
      plain('q2q_joint_pairs', 'pairs', { directions: ['query_to_doc', 'query_to_query'] }),
      plain('d2q_joint_pairs', 'pairs', { directions: ['query_to_doc', 'doc_to_query'] }),
      plain('d2q_per_direction_negative', 'oneNegative', { directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction' }),
      plain('d2d_joint_negative', 'oneNegative', { directions: ['doc_to_doc', 'query_to_doc'] }),
      plain('gte_all_joint_two_negatives', 'twoNegatives', { directions: [...ALL] }),
      plain('gte_all_joint_pairs_dot', 'pairs', { directions: [...ALL], scale: 3, similarity: 'dot' }, true),
      plain('q2d_per_direction_alone', 'oneNegative', { partitionMode: 'per_direction' }),
      // hardness
      plain('hard_in_batch_negatives', 'oneNegative', { hardnessMode: 'in_batch_negatives', hardnessStrength: 9 }),
      plain('hard_in_batch_pairs', 'pairs', { hardnessMode: 'in_batch_negatives', hardnessStrength: 9 }),
      plain('hard_hard_negatives', 'twoNegatives', { hardnessMode: 'hard_negatives', hardnessStrength: 5 }),
      plain('hard_hard_negatives_pairs', 'pairs', { hardnessMode: 'hard_negatives', hardnessStrength: 5 }),
      plain('hard_all_negatives_gte', 'twoNegatives', { directions: [...ALL], hardnessMode: 'all_negatives', hardnessStrength: 3 }),
      plain('hard_all_symmetric_dot', 'oneNegative',
        { directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction', hardnessMode: 'all_negatives', hardnessStrength: 2, scale: 2, similarity: 'dot' }, true),
      plain('hard_mode_strength_0', 'oneNegative', { hardnessMode: 'in_batch_negatives', hardnessStrength: 0 }),
      // GradCache: chunks of 2 and 3 rows over 5, one row per chunk
      cached('cached_gte_all_mbs2', 'twoNegatives', { directions: [...ALL], miniBatchSize: 2 }),
      cached('cached_symmetric_per_direction_mbs3', 'oneNegative', { directions: ['query_to_doc', 'doc_to_query'], partitionMode: 'per_direction', miniBatchSize: 3 }),
      cached('cached_q2q_in_batch_mbs1', 'pairs', { directions: ['query_to_doc', 'query_to_query'], hardnessMode: 'in_batch_negatives', hardnessStrength: 9, miniBatchSize: 1 }),
      cached('cached_d2d_hard_negatives_mbs2', 'twoNegatives', { directions: ['query_to_doc', 'doc_to_doc'], hardnessMode: 'hard_negatives', hardnessStrength: 5, miniBatchSize: 2 }),
      cached('cached_all_negatives_dot_mbs3', 'oneNegative', { hardnessMode: 'all_negatives', hardnessStrength: 4, scale: 5, similarity: 'dot', miniBatchSize: 3 }, true),
      cached('cached_num_tokens_gte', 'oneNegative', { directions: [...ALL], miniBatchSize: 2, miniBatchNumTokens: 40 }),
    ];
    // A modifier hands the options through unchanged.
    const inner: MultipleNegativesRankingLossOptions = { directions: [...ALL], hardnessMode: 'all_negatives', hardnessStrength: 3 };
    cases.push({ name: 'matryoshka_gte_all_negatives', pooling: 'mean', normalize: false, texts: oneNegative,
      st: { class: 'MatryoshkaLoss', kwargs: { matryoshka_dims: [32, 16] }, loss: { class: 'MultipleNegativesRankingLoss', kwargs: stKwargs(inner) } },
      spec: new MatryoshkaLoss(new MultipleNegativesRankingLoss(inner), { matryoshkaDims: [32, 16] }).toSpec() });
    const results = await runLossParity(cases, 'ranking-options');
    console.log(`MultipleNegativesRankingLoss options vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
    // The options change the loss: each case differs from plain InfoNCE on the same data (hardness 0 excepted).
    const byName = Object.fromEntries(results.map((r) => [r.name, r.stLoss]));
    expect(byName.hard_mode_strength_0).toBeCloseTo(byName.q2d_per_direction_alone, 6);
    expect(byName.hard_in_batch_negatives).not.toBeCloseTo(byName.q2d_per_direction_alone, 3);
    expect(byName.hard_hard_negatives_pairs).toBeGreaterThan(0);
  });

  test('mini_batch_num_tokens: a budget of 1 token embeds one text per forward, a budget above the batch one forward per column', async () => {
    const ref = engineReference();
    const dropoutConfig = JSON.stringify({ ...JSON.parse(ref.configJson), hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 });
    const tokenizer = TextTokenizer.fromFolder(path.join(ref.dir, 'model'), { maxSeqLength: 48 });
    const texts = pack(oneNegative.flat().map((t) => Array.from(tokenizer.encode(t))));
    async function lossWith(o: CachedMultipleNegativesRankingLossOptions): Promise<number> {
      const enc = await loadAddon().NativeEncoder.create({ configJson: dropoutConfig, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(ref.weightsPath);
      await enc.configureTraining({ losses: [new CachedMultipleNegativesRankingLoss({ directions: [...ALL], ...o }).toSpec()],
        optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
      loadAddon().manualSeed(11);
      const { loss } = await enc.lossAndGradients({ texts, numColumns: 3 });
      enc.dispose();
      return loss;
    }
    const [oneText, oneTextByTokens, oneColumn, oneColumnByTokens] = [
      await lossWith({ miniBatchSize: 1 }), await lossWith({ miniBatchSize: 2, miniBatchNumTokens: 1 }),
      await lossWith({ miniBatchSize: 5 }), await lossWith({ miniBatchSize: 2, miniBatchNumTokens: 100000 }),
    ];
    // The same forwards draw the same dropout masks; only the loss chunks (miniBatchSize rows) round differently.
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    console.log(`mini_batch_num_tokens under dropout: ${oneTextByTokens} vs ${oneText} (one text per forward), ` +
      `${oneColumnByTokens} vs ${oneColumn} (one forward per column)`);
    expect(rel(oneTextByTokens, oneText)).toBeLessThan(1e-6);
    expect(rel(oneColumnByTokens, oneColumn)).toBeLessThan(1e-6);
    expect(rel(oneColumn, oneText)).toBeGreaterThan(1e-3); // other forwards, other dropout masks
  });

  test('the engine refuses bad interaction options by itself, naming the loss and the option', async () => {
    const ref = engineReference();
    const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
    const configure = (spec: Record<string, unknown>) => enc.configureTraining({
      losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', ...spec } as LossSpec],
      optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
    });
    await expect(configure({ directions: ['query_to_doc', 'doc_to_docs'] })).rejects.toThrow('MultipleNegativesRankingLoss: invalid direction "doc_to_docs"');
    await expect(configure({ directions: ['doc_to_query'] })).rejects.toThrow("MultipleNegativesRankingLoss: the 'query_to_doc' direction is required");
    await expect(configure({ directions: [] })).rejects.toThrow('MultipleNegativesRankingLoss: at least one direction');
    await expect(configure({ directions: ['query_to_doc', 'doc_to_doc'], partitionMode: 'per_direction' })).rejects.toThrow("partitionMode 'per_direction' needs every direction");
    await expect(configure({ partitionMode: 'softmax' })).rejects.toThrow("partitionMode must be 'joint' or 'per_direction'");
    await expect(configure({ hardnessMode: 'hardest' })).rejects.toThrow('hardnessMode must be null, in_batch_negatives');
    await expect(configure({ hardnessMode: 'hard_negatives', hardnessStrength: -1 })).rejects.toThrow('hardnessStrength must be non-negative');
    await expect(enc.configureTraining({
      losses: [{ name: 'CachedMultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 2, miniBatchNumTokens: 0 } as LossSpec],
      optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
    })).rejects.toThrow('CachedMultipleNegativesRankingLoss: miniBatchNumTokens must be positive');
    enc.dispose();
  });
});
