/**
 * The GradCache losses (CachedMultipleNegativesRankingLoss, CachedMultipleNegativesSymmetricRankingLoss):
 * - loss and every gradient against sentence-transformers' own Cached* classes (rel <= 1e-4), with
 *   mini-batches that do not divide the batch, down to one text per forward, and under MatryoshkaLoss (which
 *   hands the loss embeddings of one forward: the same loss, without GradCache's memory saving);
 * - equal to the plain losses on the same batch (dropout 0), through lossAndGradients and through
 *   trainStep with gradient accumulation (the divisor reaches every mini-batch): same gradient norm,
 *   same weights after the step;
 * - with dropout, the second (autograd) forward replays each mini-batch's RNG state (the engine checks
 *   the replayed embeddings against the first pass and throws otherwise), and evaluationLoss (no
 *   autograd, no dropout) equals the plain loss's.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec, NativeEncoder } from '../../lib/binding/AddonTypes';
import { TextTokenizer } from '../../lib/data/TextTokenizer';
import { engineReference, pack, relativeError } from '../engine/fixtures';
import { readSafetensors } from '../engine/safetensors';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase } from './lossParity';

const OPTIMIZER = { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

describeIf(missing({ addon: true, python: true, sharedData: true }), 'cached (GradCache) losses', () => {
  const rows = legalRows(18);
  const column = (from: number, n: number, key: 'anchor' | 'positive') => rows.slice(from, from + n).map((r) => r[key]);

  test('parity with sentence-transformers: uneven mini-batches, hard negatives, dot product, one text per forward, under MatryoshkaLoss', async () => {
    const six = [column(0, 6, 'anchor'), column(0, 6, 'positive'), column(6, 6, 'positive')];
    const five = [column(12, 5, 'anchor'), column(12, 5, 'positive')];
    const cases: LossParityCase[] = [
      { name: 'cmnrl_negatives_mbs4', pooling: 'mean', normalize: false, texts: six,
        st: { class: 'CachedMultipleNegativesRankingLoss', kwargs: { mini_batch_size: 4 } },
        spec: { name: 'CachedMultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 4 } },
      { name: 'cmnrl_dot_mbs1', pooling: 'mean', normalize: true, texts: five,
        st: { class: 'CachedMultipleNegativesRankingLoss', kwargs: { scale: 5, similarity_fct: '@util.dot_score', mini_batch_size: 1 } },
        spec: { name: 'CachedMultipleNegativesRankingLoss', scale: 5, similarity: 'dot', miniBatchSize: 1 } },
      { name: 'cmnsrl_mbs2', pooling: 'mean', normalize: false, texts: five,
        st: { class: 'CachedMultipleNegativesSymmetricRankingLoss', kwargs: { mini_batch_size: 2 } },
        spec: { name: 'CachedMultipleNegativesSymmetricRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 2 } },
      { name: 'cmnsrl_negatives_dot_mbs3', pooling: 'max', normalize: true, texts: six,
        st: { class: 'CachedMultipleNegativesSymmetricRankingLoss', kwargs: { scale: 2, similarity_fct: '@util.dot_score', mini_batch_size: 3 } },
        spec: { name: 'CachedMultipleNegativesSymmetricRankingLoss', scale: 2, similarity: 'dot', miniBatchSize: 3 } },
      // A modifier hands the cached loss embeddings (one forward): the same loss, without GradCache's memory saving.
      { name: 'matryoshka_cmnrl_mbs4', pooling: 'mean', normalize: false, texts: six,
        st: { class: 'MatryoshkaLoss', kwargs: { matryoshka_dims: [32, 16] }, loss: { class: 'CachedMultipleNegativesRankingLoss', kwargs: { mini_batch_size: 4 } } },
        spec: { name: 'MatryoshkaLoss', dims: [32, 16], weights: [1, 1],
          loss: { name: 'CachedMultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 4 } } },
    ];
    const results = await runLossParity(cases, 'cached');
    console.log(`cached losses vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
  });

  describe('against the plain losses in the engine', () => {
    const ref = engineReference();
    const tokenizer = TextTokenizer.fromFolder(path.join(ref.dir, 'model'), { maxSeqLength: 48 });
    const ids = (texts: string[][]) => pack(texts.flat().map((t) => Array.from(tokenizer.encode(t))));
    const batchA = [column(0, 6, 'anchor'), column(0, 6, 'positive'), column(6, 6, 'positive')];
    const batchB = [column(12, 6, 'anchor'), column(12, 6, 'positive'), column(0, 6, 'positive')];

    async function encoder(spec: LossSpec, configJson = ref.configJson): Promise<NativeEncoder> {
      const enc = await loadAddon().NativeEncoder.create({ configJson, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(ref.weightsPath);
      await enc.configureTraining({ losses: [spec], optimizer: OPTIMIZER, precision: 'fp32', tf32: false });
      return enc;
    }

    const pairs: [LossSpec, LossSpec][] = [
      [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' },
        { name: 'CachedMultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 4 }],
      [{ name: 'MultipleNegativesSymmetricRankingLoss', scale: 20, similarity: 'cosine' },
        { name: 'CachedMultipleNegativesSymmetricRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 4 }],
    ];

    test.each(pairs.map(([plainSpec, cachedSpec]) => [cachedSpec.name, plainSpec, cachedSpec] as const))(
      '%s: the plain loss\'s value and gradients, and the same step with accumulation', async (_name, plainSpec, cachedSpec) => {
      const [plain, cached] = [await encoder(plainSpec), await encoder(cachedSpec)];
      const want = await plain.lossAndGradients({ texts: ids(batchA), numColumns: 3 });
      const got = await cached.lossAndGradients({ texts: ids(batchA), numColumns: 3 });
      expect(Math.abs(got.loss - want.loss) / want.loss).toBeLessThan(1e-6);
      // Rounding only: the mini-batches' forwards pad and sum differently from one forward of all texts.
      let worst = 0;
      let worstName = '';
      for (const n of Object.keys(want.gradients).filter((k) => !k.endsWith('attention.self.key.bias'))) {
        const err = relativeError(got.gradients[n], want.gradients[n]);
        if (err > worst) [worst, worstName] = [err, n];
      }
      expect([worstName, worst]).toEqual([worstName, expect.any(Number)]);
      expect(worst).toBeLessThan(1e-4);

      // Two micro-batches accumulated into one AdamW step (lossDivisor 2), gradients clipped.
      const norms: number[][] = [];
      for (const enc of [plain, cached]) {
        const step = { numColumns: 3, lossDivisor: 2, learningRate: 1e-3, maxGradNorm: 0.5 };
        const first = await enc.trainStep({ ...step, texts: ids(batchA), optimizerStep: false });
        const second = await enc.trainStep({ ...step, texts: ids(batchB), optimizerStep: true });
        norms.push([first.loss, second.loss, second.gradNorm]);
      }
      expect(Number.isNaN(norms[0][2])).toBe(false);
      for (let i = 0; i < 3; i++) expect(Math.abs(norms[1][i] - norms[0][i]) / Math.abs(norms[0][i])).toBeLessThan(1e-5);
      const dir = tmpDir('cached-step');
      await plain.saveWeights(path.join(dir, 'plain.safetensors'));
      await cached.saveWeights(path.join(dir, 'cached.safetensors'));
      const [p, c] = [readSafetensors(path.join(dir, 'plain.safetensors')), readSafetensors(path.join(dir, 'cached.safetensors'))];
      const before = readSafetensors(ref.weightsPath);
      let worstUpdate = 0;
      let worstUpdateName = '';
      // The key bias' gradient is analytically 0 (rounding noise), and AdamW moves it by about lr * sign(noise).
      for (const name of plain.parameterNames().filter((n) => !n.endsWith('attention.self.key.bias'))) {
        const moved = (t: Float32Array) => t.map((x, i) => x - (before[name].data as Float32Array)[i]);
        const wantMove = moved(p[name].data as Float32Array);
        if (wantMove.every((x) => x === 0)) continue;
        const err = relativeError(moved(c[name].data as Float32Array), wantMove);
        if (err > worstUpdate) [worstUpdate, worstUpdateName] = [err, name];
      }
      expect([worstUpdateName, worstUpdate]).toEqual([worstUpdateName, expect.any(Number)]);
      // AdamW's first step moves each weight by about lr * sign(gradient): tiny gradients amplify rounding.
      expect(worstUpdate).toBeLessThan(1e-3);
      fs.rmSync(dir, { recursive: true, force: true });
      console.log(`${cachedSpec.name} vs ${plainSpec.name}: loss rel ${(Math.abs(got.loss - want.loss) / want.loss).toExponential(2)}, ` +
        `worst grad rel ${worst.toExponential(2)} (${worstName}), step losses/grad norm ${norms[1].map((x) => x.toPrecision(8)).join(', ')} vs ` +
        `${norms[0].map((x) => x.toPrecision(8)).join(', ')}, worst weight update rel ${worstUpdate.toExponential(2)} (${worstUpdateName})`);
    });

    test('dropout: each mini-batch is replayed with its random state; evaluationLoss runs without autograd or dropout', async () => {
      const dropoutConfig = JSON.stringify({ ...JSON.parse(ref.configJson), hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 });
      const cached = await encoder({ name: 'CachedMultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 2 }, dropoutConfig);
      const plain = await encoder({ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }, dropoutConfig);
      const evalCached = await cached.evaluationLoss({ texts: ids(batchB), numColumns: 3 });
      const evalPlain = await plain.evaluationLoss({ texts: ids(batchB), numColumns: 3 });
      expect(Math.abs(evalCached - evalPlain) / evalPlain).toBeLessThan(1e-6);
      // The engine throws when a mini-batch's second forward differs from its first (a mask not replayed).
      loadAddon().manualSeed(3);
      const first = await cached.lossAndGradients({ texts: ids(batchB), numColumns: 3 });
      loadAddon().manualSeed(3);
      const again = await cached.lossAndGradients({ texts: ids(batchB), numColumns: 3 });
      expect(first.loss).not.toBeCloseTo(evalCached, 4); // dropout is on in training mode
      expect(again.loss).toBe(first.loss);
      const name = 'encoder.layer.0.attention.self.query.weight';
      expect(relativeError(again.gradients[name], first.gradients[name])).toBe(0);
      const step = await cached.trainStep({ texts: ids(batchA), numColumns: 3, lossDivisor: 1, learningRate: 1e-3, maxGradNorm: 1, optimizerStep: true });
      expect(Number.isFinite(step.loss) && Number.isFinite(step.gradNorm)).toBe(true);
    });
  });
});
