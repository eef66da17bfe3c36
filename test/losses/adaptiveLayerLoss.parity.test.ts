/**
 * AdaptiveLayerLoss and Matryoshka2dLoss through the generic loss parity harness, on real legal
 * (anchor, positive[, negative]) rows and a 2-layer BERT (hidden states 0 = embedding output, 1, 2):
 * loss value and every gradient against sentence-transformers (rel <= 1e-4). sentence-transformers
 * samples prior layers and dims with random.sample; the cases fix that choice on both sides (all
 * layers, or the reference's random.sample scripted and the engine's spec naming the same layer/dim).
 * Also: the engine's own random choice is one of the fixed choices and repeats for the same seed.
 * No case pools CLS: this random tiny model gives every text nearly the same [CLS] embedding, a flat
 * loss whose gradients cancel to noise (plain MNRL with CLS pooling is off by 7e-3 on it already).
 */
import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec } from '../../lib/binding/AddonTypes';
import { AdaptiveLayerLoss } from '../../lib/losses/AdaptiveLayerLoss';
import { Matryoshka2dLoss } from '../../lib/losses/Matryoshka2dLoss';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SoftmaxLoss } from '../../lib/losses/SoftmaxLoss';
import { lossFromConfig } from '../../lib/losses/lossRegistry';
import { engineReference, pack } from '../engine/fixtures';
import { describeIf, missing } from '../helpers/requirements';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase } from './lossParity';

type AnySpec = Record<string, unknown>;
const withHook = (spec: LossSpec, hook: AnySpec): LossSpec => ({ ...spec, ...hook } as LossSpec);

describeIf(missing({ addon: true, python: true, sharedData: true }), 'AdaptiveLayerLoss and Matryoshka2dLoss: parity with sentence-transformers', () => {
  const rows = legalRows(8);
  const anchors = rows.slice(0, 4).map((r) => r.anchor);
  const positives = rows.slice(0, 4).map((r) => r.positive);
  const negatives = rows.slice(4, 8).map((r) => r.positive);
  const mnrl = new MultipleNegativesRankingLoss();

  test('every prior layer, a scripted layer, each layer weighting, KL on and off, over MNRL and SoftmaxLoss', async () => {
    const bound = 1 / Math.sqrt(3 * 32);
    const head = Array.from({ length: 3 }, (_, r) => Array.from({ length: 96 }, (_, c) => bound * Math.sin(0.9 * (r * 96 + c) + 0.2)));
    const bias = [0.05, -0.02, 0.01];
    const softmax = new SoftmaxLoss({ numLabels: 3 });
    const cases: LossParityCase[] = [
      { name: 'al_all_layers_linear', pooling: 'mean', normalize: false, texts: [anchors, positives, negatives],
        st: { class: 'AdaptiveLayerLoss', kwargs: { n_layers_per_step: -1, layer_weighting: 'linear' }, loss: { class: 'MultipleNegativesRankingLoss' } },
        spec: new AdaptiveLayerLoss(mnrl, { nLayersPerStep: -1, layerWeighting: 'linear' }).toSpec() },
      { name: 'al_default_scripted_layer', pooling: 'max', normalize: true, texts: [anchors, positives], randomSamples: [[0]],
        st: { class: 'AdaptiveLayerLoss', loss: { class: 'MultipleNegativesRankingLoss' } },
        spec: withHook(new AdaptiveLayerLoss(mnrl).toSpec(), { sampledLayers: [0] }) },
      { name: 'al_weights_log', pooling: 'mean', normalize: true, texts: [anchors, positives],
        st: { class: 'AdaptiveLayerLoss', loss: { class: 'MultipleNegativesRankingLoss' },
          kwargs: { n_layers_per_step: 2, last_layer_weight: 0.7, prior_layers_weight: 1.3, kl_div_weight: 2, kl_temperature: 0.5, layer_weighting: 'log' } },
        spec: new AdaptiveLayerLoss(mnrl, { nLayersPerStep: 2, lastLayerWeight: 0.7, priorLayersWeight: 1.3, klDivWeight: 2, klTemperature: 0.5, layerWeighting: 'log' }).toSpec() },
      { name: 'al_kl_off_scripted', pooling: 'max', normalize: false, texts: [anchors, positives], randomSamples: [[1]],
        st: { class: 'AdaptiveLayerLoss', loss: { class: 'MultipleNegativesRankingLoss' }, kwargs: { kl_temperature: 0 } },
        spec: withHook(new AdaptiveLayerLoss(mnrl, { klTemperature: 0 }).toSpec(), { sampledLayers: [1] }) },
      { name: 'al_softmax_head', pooling: 'mean', normalize: false, texts: [anchors, positives], labels: [0, 2, 1, 2],
        st: { class: 'AdaptiveLayerLoss', loss: { class: 'SoftmaxLoss', kwargs: { embedding_dimension: 32, num_labels: 3 } }, kwargs: { n_layers_per_step: -1 } },
        lossParameters: { 'loss.classifier.weight': head, 'loss.classifier.bias': bias },
        spec: withHook(new AdaptiveLayerLoss(softmax, { nLayersPerStep: -1 }).toSpec(),
          { loss: { ...softmax.toSpec(), classifierWeight: head.flat(), classifierBias: bias } }) },
    ];
    const results = await runLossParity(cases, 'adaptive-layer');
    console.log(`AdaptiveLayerLoss vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
    // The scripted cases drew exactly once, from the 2 prior hidden states.
    expect(results[1].sampleCalls).toEqual([[2, 1]]);
    expect(results[3].sampleCalls).toEqual([[2, 1]]);
    expect(results[0].sampleCalls).toEqual([]);
  });

  test('Matryoshka2dLoss: scripted layer and dims (its defaults), and every layer and dim with weights', async () => {
    const dims = [32, 16, 8];
    const m2d = new Matryoshka2dLoss(mnrl, { matryoshkaDims: dims });
    const m2dSpec = m2d.toSpec() as AnySpec;
    // sentence-transformers draws: the last layer's dim (index 1 of [32, 16, 8]), the prior layer, that layer's dim.
    const scripted = { ...m2dSpec, sampledLayers: [0], loss: { ...(m2dSpec.loss as AnySpec), sampledDims: [16] } } as LossSpec;
    const cases: LossParityCase[] = [
      { name: 'm2d_scripted', pooling: 'max', normalize: true, texts: [anchors, positives, negatives], randomSamples: [[1], [0], [1]],
        st: { class: 'Matryoshka2dLoss', kwargs: { matryoshka_dims: dims }, loss: { class: 'MultipleNegativesRankingLoss' } },
        spec: scripted },
      { name: 'm2d_all', pooling: 'mean', normalize: false, texts: [anchors, positives],
        st: { class: 'Matryoshka2dLoss', loss: { class: 'MultipleNegativesRankingLoss' },
          kwargs: { matryoshka_dims: [8, 32, 16], matryoshka_weights: [2, 1, 0.5], n_layers_per_step: -1, n_dims_per_step: -1, layer_weighting: 'linear' } },
        spec: new Matryoshka2dLoss(mnrl, { matryoshkaDims: [8, 32, 16], matryoshkaWeights: [2, 1, 0.5], nLayersPerStep: -1, nDimsPerStep: -1, layerWeighting: 'linear' }).toSpec() },
    ];
    const results = await runLossParity(cases, 'matryoshka2d');
    console.log(`Matryoshka2dLoss vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
    expect(results[0].sampleCalls).toEqual([[3, 1], [2, 1], [3, 1]]);
  });

  test("the engine's own random layer choice is one of the prior layers and repeats for the same seed", async () => {
    const ref = engineReference();
    const addon = loadAddon();
    // Any ids of the vocabulary do: [CLS] + the first 12 characters mapped to ids + [SEP].
    const tokens = (texts: string[]) => texts.map((t) => [101, ...Array.from(t.slice(0, 12), (ch) => 1000 + (ch.charCodeAt(0) % 500)), 102]);
    const ids = [...tokens(anchors), ...tokens(positives)];
    const lossWith = async (spec: LossSpec, seed?: number) => {
      const enc = await addon.NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(ref.weightsPath);
      await enc.configureTraining({ losses: [spec], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
      if (seed !== undefined) addon.manualSeed(seed);
      return (await enc.lossAndGradients({ texts: pack(ids), numColumns: 2 })).loss;
    };
    const base = new AdaptiveLayerLoss(mnrl).toSpec();
    const fixed = [await lossWith(withHook(base, { sampledLayers: [0] })), await lossWith(withHook(base, { sampledLayers: [1] }))];
    expect(fixed[0]).not.toBeCloseTo(fixed[1], 6);
    const drawn: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) drawn.push(await lossWith(base, seed));
    for (const l of drawn) expect(fixed.some((f) => Math.abs(f - l) <= 1e-6 * Math.abs(f))).toBe(true);
    expect(new Set(drawn.map((l) => l.toFixed(6))).size).toBe(2); // seeds 1-6 draw both layers
    expect(await lossWith(base, 3)).toBe(drawn[2]);
  });

  test('config names and options as sentence-transformers spells them; what cannot be wrapped', () => {
    const al = lossFromConfig({ name: 'AdaptiveLayerLoss', loss: 'MultipleNegativesSymmetricRankingLoss', n_layers_per_step: -1, kl_temperature: 0.5, layer_weighting: 'log' });
    expect(al.configDict()).toEqual({
      loss: 'MultipleNegativesSymmetricRankingLoss', n_layers_per_step: -1, last_layer_weight: 1, prior_layers_weight: 1, kl_div_weight: 1, kl_temperature: 0.5, layer_weighting: 'log',
    });
    const m2d = lossFromConfig({ name: 'Matryoshka2dLoss', matryoshka_dims: [32, 16] });
    expect(m2d.toSpec()).toMatchObject({ name: 'AdaptiveLayerLoss', nLayersPerStep: 1, loss: { name: 'MatryoshkaLoss', nDimsPerStep: 1, loss: { name: 'MultipleNegativesRankingLoss' } } });
    expect(m2d.configDict()).toMatchObject({ loss: 'MultipleNegativesRankingLoss', n_layers_per_step: 1, n_dims_per_step: 1, matryoshka_dims: [32, 16] });
    expect(() => lossFromConfig({ name: 'AdaptiveLayerLoss', loss: { name: 'AdaptiveLayerLoss' } })).toThrow(/cannot wrap AdaptiveLayerLoss/);
    expect(() => lossFromConfig({ name: 'AdaptiveLayerLoss', layer_weighting: 'cubic' })).toThrow(/layer_weighting must be one of uniform, log, linear/);
  });
});
