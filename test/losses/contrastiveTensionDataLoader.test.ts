/**
 * The data step of ContrastiveTensionLoss (lib/losses/ContrastiveTensionDataLoader.ts) and the Contrastive
 * Tension losses' data checks. The pairs are compared with sentence-transformers' own
 * ContrastiveTensionDataLoader after random.seed(seed) (scripts/reference/ct_pairs_reference.py), and
 * PythonRandom's draws with Python's; model-free: determinism, the positive/negative pattern, the errors.
 */
import * as fs from 'fs';
import * as path from 'path';

import { PythonRandom } from '../../lib/data/PythonRandom';
import { ContrastiveTensionDataLoader } from '../../lib/losses/ContrastiveTensionDataLoader';
import { ContrastiveTensionLoss } from '../../lib/losses/ContrastiveTensionLoss';
import { ContrastiveTensionLossInBatchNegatives } from '../../lib/losses/ContrastiveTensionLossInBatchNegatives';
import { lossFromConfig } from '../../lib/losses/lossRegistry';
import { describeIf, missing, runPython, tmpDir } from '../helpers/requirements';
import { sampleTexts } from '../helpers/texts';

const sentences = (n: number) => Array.from({ length: n }, (_, i) => `sentence ${i}`);
const rows = (loader: ContrastiveTensionDataLoader) => loader.examples.map((e) => [e.texts[0], e.texts[1], e.label]);

describe('ContrastiveTensionDataLoader (model-free)', () => {
  test('the same seed gives the same pairs, another seed other pairs; the input is left as it was', () => {
    const input = sentences(100);
    const copy = [...input];
    const a = new ContrastiveTensionDataLoader(input, { batchSize: 16, seed: 7 });
    expect(rows(new ContrastiveTensionDataLoader(input, { batchSize: 16, seed: 7 }))).toEqual(rows(a));
    expect(rows(new ContrastiveTensionDataLoader(input, { batchSize: 16, seed: 8 }))).not.toEqual(rows(a));
    expect(input).toEqual(copy);
  });

  test.each([[8, 16], [4, 8], [1, 4], [3, 9]])('pos_neg_ratio %i, batch size %i: one positive per ratio rows, full batches only, each sentence used once', (ratio, batchSize) => {
    const input = sentences(101);
    const loader = new ContrastiveTensionDataLoader(input, { batchSize, posNegRatio: ratio, seed: 3 });
    const examples = loader.examples;
    expect(examples.length % batchSize).toBe(0);
    expect(loader.batches().every((b) => b.length === batchSize)).toBe(true);
    const used: string[] = [];
    examples.forEach((e, i) => {
      const positive = (i % batchSize) % ratio === 0;
      expect([i, e.label]).toEqual([i, positive ? 1 : 0]);
      if (positive) {
        expect(e.texts[1]).toBe(e.texts[0]);
        used.push(e.texts[0]);
      } else {
        expect(e.texts[1]).not.toBe(e.texts[0]);
        used.push(e.texts[0], e.texts[1]);
      }
    });
    expect(new Set(used).size).toBe(used.length);
    // The walk stops when fewer than two sentences are left or the next batch cannot be filled.
    const perBatch = batchSize / ratio + 2 * (batchSize - batchSize / ratio);
    expect(examples.length).toBeGreaterThan(0);
    expect(input.length - used.length).toBeLessThan(perBatch + 1);
    const dataset = loader.toDataset();
    expect([dataset.numRows, dataset.columnNames]).toEqual([examples.length, ['sentence_0', 'sentence_1', 'label']]);
  });

  test('bad options are refused as sentence-transformers refuses them', () => {
    expect(() => new ContrastiveTensionDataLoader(sentences(50), { batchSize: 10, posNegRatio: 8 }))
      .toThrow('ContrastiveTensionDataLoader was loaded with a pos_neg_ratio of 8 and a batch size of 10. The batch size must be divisible by the pos_neg_ratio');
    expect(() => new ContrastiveTensionDataLoader(sentences(10), { batchSize: 16 })).toThrow(/10 sentence\(s\) do not fill one batch of 16 pairs/);
    expect(() => new ContrastiveTensionDataLoader(['a', 3 as unknown as string], { batchSize: 1, posNegRatio: 1 })).toThrow(/sentence 1 is not a string: 3/);
  });
});

describe('Contrastive Tension losses: options and data checks (model-free)', () => {
  test('ContrastiveTensionLoss: (sentence_A, sentence_B) pairs, a 1/0 label or none', () => {
    const loss = lossFromConfig({ name: 'ContrastiveTensionLoss' });
    expect([loss.name, loss.toSpec(), loss.configDict()]).toEqual(['ContrastiveTensionLoss', { name: 'ContrastiveTensionLoss' }, {}]);
    expect(() => loss.checkData({ inputs: ['sentence_0', 'sentence_1'], label: null })).not.toThrow();
    expect(() => loss.checkData({ inputs: ['sentence_0', 'sentence_1'], label: 'label', labels: Float32Array.from([1, 0, 0]) })).not.toThrow();
    expect(() => loss.checkData({ inputs: ['text'], label: null }))
      .toThrow(/ContrastiveTensionLoss needs \(sentence_A, sentence_B\) pairs, exactly 2 input columns \(ContrastiveTensionDataLoader makes them from single sentences\) but the data has 1 input column\(s\): \[text\]/);
    expect(() => loss.checkData({ inputs: ['a', 'b'], label: 'label', labels: Float32Array.from([1, 0.5]), describeRow: (i) => `ct.jsonl line ${i + 1}` }))
      .toThrow('ContrastiveTensionLoss needs a 1/0 label column ("label"), but column \'label\' at ct.jsonl line 2 holds 0.5');
    expect(() => lossFromConfig({ name: 'ContrastiveTensionLoss', scale: 3 })).toThrow(/scale/);
  });

  test('ContrastiveTensionLossInBatchNegatives: scale and similarity as sentence-transformers, single sentences, no labels', () => {
    const byDefault = new ContrastiveTensionLossInBatchNegatives();
    expect([byDefault.toSpec(), byDefault.configDict()]).toEqual([
      { name: 'ContrastiveTensionLossInBatchNegatives', scale: 20, similarity: 'cosine' }, { scale: 20, similarity_fct: 'cos_sim' },
    ]);
    const dot = lossFromConfig({ name: 'ContrastiveTensionLossInBatchNegatives', scale: 1, similarity_fct: 'dot_score' });
    expect([dot.toSpec(), dot.configDict()]).toEqual([
      { name: 'ContrastiveTensionLossInBatchNegatives', scale: 1, similarity: 'dot' }, { scale: 1, similarity_fct: 'dot_score' },
    ]);
    expect(() => new ContrastiveTensionLossInBatchNegatives({ scale: 0 })).toThrow(/ContrastiveTensionLossInBatchNegatives: scale must be a positive number, got 0/);
    expect(() => dot.checkData({ inputs: ['text'], label: null })).not.toThrow();
    expect(() => dot.checkData({ inputs: ['anchor', 'anchor_again'], label: null })).not.toThrow();
    expect(() => dot.checkData({ inputs: ['a', 'b', 'c'], label: null }))
      .toThrow(/ContrastiveTensionLossInBatchNegatives needs single sentences, 1 input column .* but the data has 3 input column\(s\): \[a, b, c\]/);
    expect(() => dot.checkData({ inputs: ['text'], label: 'label', labels: Float32Array.from([1]) }))
      .toThrow(/ContrastiveTensionLossInBatchNegatives takes no labels, but the data has a 'label' column/);
  });
});

describeIf(missing({ python: true, sharedData: true }), 'ContrastiveTensionDataLoader: the pairs of sentence-transformers for the same seed', () => {
  test('PythonRandom draws as Python; the loader pairs as sentence-transformers after random.seed(seed)', () => {
    const texts = sampleTexts(120);
    const cases = [
      { sentences: texts, batchSize: 16, posNegRatio: 8, seed: 42 },
      { sentences: texts, batchSize: 8, posNegRatio: 4, seed: 0 },
      { sentences: texts.slice(0, 37), batchSize: 3, posNegRatio: 3, seed: 2 ** 40 + 7 },
      { sentences: texts, batchSize: 5, posNegRatio: 1, seed: 12345 },
    ];
    const dir = tmpDir('ct-pairs');
    fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify({ cases }));
    runPython('ct_pairs_reference.py', ['--cases', path.join(dir, 'cases.json'), '--out', path.join(dir, 'out.json')]);
    const want = JSON.parse(fs.readFileSync(path.join(dir, 'out.json'), 'utf8')).cases as {
      pairs: [string, string, number][]; draws: { bits: number[]; floats: number[]; shuffled: number[]; choices: number[] };
    }[];
    for (const [i, c] of cases.entries()) {
      const random = new PythonRandom(c.seed);
      const bits = Array.from({ length: 32 }, (_, k) => random.getrandbits(k + 1));
      const floats = Array.from({ length: 5 }, () => random.random());
      const shuffled = Array.from({ length: 50 }, (_, k) => k);
      random.shuffle(shuffled);
      const choices = Array.from({ length: 5 }, () => random.choice(Array.from({ length: 1000 }, (_, k) => k)));
      expect({ bits, floats, shuffled, choices }).toEqual(want[i].draws);
      const loader = new ContrastiveTensionDataLoader(c.sentences, c);
      expect(want[i].pairs.length).toBeGreaterThan(0);
      expect(rows(loader)).toEqual(want[i].pairs);
    }
  });
});
