/**
 * SoftmaxLoss through the generic loss parity harness, on real STS-benchmark sentence pairs labelled by
 * their score band (3 classes): loss value and every gradient, the classifier head's included, against
 * sentence-transformers' SoftmaxLoss (rel <= 1e-4). The head is drawn on both sides from the same seed
 * (torch.nn.Linear's initialisation from LibTorch's generator), or given to both sides.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec } from '../../lib/binding/AddonTypes';
import { SoftmaxLoss } from '../../lib/losses/SoftmaxLoss';
import { engineReference, pack } from '../engine/fixtures';
import { describeIf, missing, sharedData } from '../helpers/requirements';
import { runLossParity, type LossParityCase } from './lossParity';

/** STS-benchmark train pairs, the score (0..5) cut into classes 0: < 2, 1: < 3.5, 2: the rest. */
function stsPairs(n: number): { a: string[]; b: string[]; labels: number[] } {
  const lines = fs.readFileSync(path.join(sharedData, 'stsbenchmark', 'sts-train.csv'), 'utf8').split('\n');
  const out = { a: [] as string[], b: [] as string[], labels: [] as number[] };
  for (const line of lines) {
    const f = line.replace(/\r$/, '').split('\t');
    if (f.length < 7) continue;
    const score = Number(f[4]);
    out.a.push(f[5]);
    out.b.push(f[6]);
    out.labels.push(score < 2 ? 0 : score < 3.5 ? 1 : 2);
    if (out.a.length === n) break;
  }
  return out;
}

/** A fixed head of (numLabels, features) for both sides: smooth pseudo-random values of nn.Linear's scale. */
function givenHead(numLabels: number, features: number): { weight: number[][]; bias: number[] } {
  const bound = 1 / Math.sqrt(features);
  const weight = Array.from({ length: numLabels }, (_, r) => Array.from({ length: features }, (_, c) => bound * Math.sin(1.7 * (r * features + c) + 0.3)));
  return { weight, bias: Array.from({ length: numLabels }, (_, r) => bound * Math.cos(2.3 * r + 0.1)) };
}

/** The loss's spec with the head given (the engine's side of lossParameters). */
const withHead = (loss: SoftmaxLoss, head: { weight: number[][]; bias: number[] }): LossSpec =>
  ({ ...loss.toSpec(), classifierWeight: head.weight.flat(), classifierBias: head.bias } as LossSpec);

describeIf(missing({ addon: true, python: true, sharedData: true }), 'SoftmaxLoss: parity with sentence-transformers', () => {
  test('seeded head (nn.Linear init) and given heads, with each concatenation', async () => {
    const pairs = stsPairs(6);
    const texts = [pairs.a, pairs.b];
    const dim = 32;
    const fourWay = givenHead(4, 4 * dim);
    const productOnly = givenHead(2, 2 * dim);
    const fourLabels = [0, 3, 1, 2, 3, 0];
    const cases: LossParityCase[] = [
      { name: 'softmax_seeded_head', pooling: 'mean', normalize: false, texts, labels: pairs.labels, lossSeed: 1234,
        st: { class: 'SoftmaxLoss', kwargs: { embedding_dimension: dim, num_labels: 3 } },
        spec: new SoftmaxLoss({ numLabels: 3 }).toSpec() },
      { name: 'softmax_all_vectors', pooling: 'cls', normalize: true, texts, labels: fourLabels,
        st: { class: 'SoftmaxLoss', kwargs: { embedding_dimension: dim, num_labels: 4, concatenation_sent_multiplication: true } },
        lossParameters: { 'classifier.weight': fourWay.weight, 'classifier.bias': fourWay.bias },
        spec: withHead(new SoftmaxLoss({ numLabels: 4, concatenationSentMultiplication: true }), fourWay) },
      { name: 'softmax_difference_product', pooling: 'max', normalize: false, texts, labels: pairs.labels.map((l) => l % 2),
        st: { class: 'SoftmaxLoss', kwargs: { embedding_dimension: dim, num_labels: 2, concatenation_sent_rep: false, concatenation_sent_multiplication: true } },
        lossParameters: { 'classifier.weight': productOnly.weight, 'classifier.bias': productOnly.bias },
        spec: withHead(new SoftmaxLoss({ numLabels: 2, concatenationSentRep: false, concatenationSentMultiplication: true }), productOnly) },
    ];
    const results = await runLossParity(cases, 'softmax');
    console.log(`SoftmaxLoss vs sentence-transformers:\n  ${results.map((r) => r.report).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
  });

  test('labels outside [0, num_labels) and wrong columns are refused, naming the loss', async () => {
    const loss = new SoftmaxLoss({ numLabels: 3 });
    expect(() => loss.checkData({ inputs: ['premise', 'hypothesis'], label: 'label', labels: Float32Array.from([0, 3]), describeRow: (i) => `nli.jsonl line ${i + 1}` }))
      .toThrow("SoftmaxLoss needs class labels in [0, 3) (num_labels = 3), but column 'label' at nli.jsonl line 2 holds 3");
    expect(() => loss.checkData({ inputs: ['premise', 'hypothesis'], label: 'label', labels: Float32Array.from([0, 1.5]) }))
      .toThrow(/SoftmaxLoss needs an integer class label column.*row 1 holds 1.5/);
    expect(() => loss.checkData({ inputs: ['sentence'], label: 'label', labels: Float32Array.from([0]) })).toThrow(/SoftmaxLoss needs \(sentence_A, sentence_B\) pairs/);
    expect(() => new SoftmaxLoss({ numLabels: 3, concatenationSentRep: false, concatenationSentDifference: false })).toThrow(/at least one of concatenation_sent_rep/);

    const ref = engineReference();
    const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
    await enc.loadWeights(ref.weightsPath);
    await enc.configureTraining({ losses: [loss.toSpec()], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
    const texts = pack([[101, 2000, 102], [101, 2001, 102], [101, 2002, 102], [101, 2003, 102]]);
    await expect(enc.lossAndGradients({ texts, numColumns: 2, labels: Float32Array.from([1, 3]) }))
      .rejects.toThrow('SoftmaxLoss needs integer class labels in [0, 3) (num_labels = 3), but row 1 of the batch has label 3');
    await expect(enc.lossAndGradients({ texts, numColumns: 2 })).rejects.toThrow(/SoftmaxLoss needs an integer class label per pair/);
  });
});
