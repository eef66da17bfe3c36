/**
 * GISTEmbedLoss and CachedGISTEmbedLoss against sentence-transformers' own classes: loss and every
 * gradient (rel <= 1e-4), with a frozen guide model of its own width, weights and pooling
 * (scripts/reference/gist_guide_model.py) that shares the model's tokenizer. Each case's guide masks
 * some candidates and keeps others, with every guided similarity far from its threshold (both engines
 * draw the same masks), which the test checks with the guide's own embeddings. Then the guide checks:
 * a different vocabulary, a shorter max_seq_length, a vocab_size the engine sees differ, no guide.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec } from '../../lib/binding/AddonTypes';
import { Dataset } from '../../lib/data/Dataset';
import { TextTokenizer } from '../../lib/data/TextTokenizer';
import { CachedGISTEmbedLoss } from '../../lib/losses/CachedGISTEmbedLoss';
import { GISTEmbedLoss } from '../../lib/losses/GISTEmbedLoss';
import type { GistOptions } from '../../lib/losses/gistGuide';
import { lossFromConfig } from '../../lib/losses/lossRegistry';
import { readModelFolder } from '../../lib/models/ModelFolder';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { TrainingSources } from '../../lib/training/TrainingSources';
import { engineReference, pack } from '../engine/fixtures';
import { cacheDir, describeIf, missing, repoRoot, runPython, tmpDir } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { legalRows } from './lossTexts';
import { runLossParity, type LossParityCase } from './lossParity';

/** The guide folder, generated once (and again when its script changes). */
function guideModel(modelDir: string): string {
  const dir = path.join(cacheDir, 'gist-guide-tiny');
  const script = path.join(repoRoot, 'scripts', 'reference', 'gist_guide_model.py');
  const marker = path.join(dir, 'model.safetensors');
  if (!fs.existsSync(marker) || fs.statSync(marker).mtimeMs < fs.statSync(script).mtimeMs) {
    fs.rmSync(dir, { recursive: true, force: true });
    runPython('gist_guide_model.py', ['--tokenizer-from', modelDir, '--out', dir]);
  }
  return dir;
}

const cosineMatrix = (a: Float32Array[], b: Float32Array[]) => a.map((x) => b.map((y) => {
  let dot = 0, nx = 0, ny = 0;
  for (let k = 0; k < x.length; k++) { dot += x[k] * y[k]; nx += x[k] * x[k]; ny += y[k] * y[k]; }
  return dot / Math.sqrt(nx * ny);
}));

/** How many candidates the guide masks, of how many it could, and the closest any guided similarity comes
 *  to its threshold (sentence-transformers' rule, recomputed here from the guide's embeddings). */
function maskStats(guide: Float32Array[][], o: Required<Omit<GistOptions, 'guide' | 'temperature'>>) {
  const [a, p, ...negatives] = guide;
  const ap = cosineMatrix(a, p);
  const matrices: [number[][], boolean][] = [[ap, true]];
  if (o.contrastAnchors) matrices.push([cosineMatrix(a, a), false]);
  if (o.contrastPositives) matrices.push([cosineMatrix(p, p), false]);
  for (const n of negatives) matrices.push([cosineMatrix(a, n), false]);
  let masked = 0, total = 0, closest = Infinity;
  for (const [m, protectsPositive] of matrices) {
    m.forEach((row, i) => {
      const t = ap[i][i];
      const threshold = o.marginStrategy === 'absolute' ? t - o.margin : t - Math.abs(t) * o.margin;
      row.forEach((g, j) => {
        if (protectsPositive && i === j) return;
        total++;
        if (g > threshold) masked++;
        closest = Math.min(closest, Math.abs(g - threshold));
      });
    });
  }
  return { masked, total, closest };
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'GIST losses', () => {
  const ref = engineReference();
  const modelDir = path.join(ref.dir, 'model');
  const guideDir = guideModel(modelDir);
  const rows = legalRows(24);
  const column = (from: number, n: number, key: 'anchor' | 'positive') => rows.slice(from, from + n).map((r) => r[key]);

  test('parity with sentence-transformers: margins absolute and relative, contrast flags, hard negatives, GradCache mini-batches', async () => {
    const pairs = [column(0, 6, 'anchor'), column(0, 6, 'positive')];
    const triplets = [column(6, 5, 'anchor'), column(6, 5, 'positive'), column(11, 5, 'positive')];
    const quads = [column(0, 7, 'anchor'), column(0, 7, 'positive'), column(7, 7, 'positive'), column(14, 7, 'positive')];
    type Variant = { name: string; texts: string[][]; cached?: number; options: Omit<GistOptions, 'guide'> };
    const variants: Variant[] = [
      { name: 'gist_pairs_absolute', texts: pairs, options: { margin: 0.002 } },
      { name: 'gist_triplets_relative', texts: triplets, options: { marginStrategy: 'relative', margin: 0.004, temperature: 0.05 } },
      { name: 'gist_triplets_no_contrast', texts: triplets, options: { contrastAnchors: false, contrastPositives: false } },
      { name: 'cached_gist_quads_mbs3', texts: quads, cached: 3, options: { margin: 0.003 } },
      { name: 'cached_gist_pairs_relative_mbs4', texts: pairs, cached: 4, options: { marginStrategy: 'relative', margin: 0.002, contrastPositives: false } },
    ];
    const guideEncoder = await loadAddon().NativeEncoder.create({ configJson: readModelFolder(guideDir).configJson, pooling: 'mean', normalize: true, device: 'cpu' });
    await guideEncoder.loadWeights(readModelFolder(guideDir).weightsPath);
    const tokenizer = TextTokenizer.fromFolder(modelDir, { maxSeqLength: 48 });
    const cases: LossParityCase[] = [];
    const stats: string[] = [];
    for (const v of variants) {
      const loss = v.cached ? new CachedGISTEmbedLoss({ guide: guideDir, miniBatchSize: v.cached, ...v.options }) : new GISTEmbedLoss({ guide: guideDir, ...v.options });
      const o = loss.options;
      const kwargs: Record<string, unknown> = {
        guide: '@guide', temperature: o.temperature, margin_strategy: o.marginStrategy, margin: o.margin,
        contrast_anchors: o.contrastAnchors, contrast_positives: o.contrastPositives, ...(v.cached ? { mini_batch_size: v.cached } : {}),
      };
      cases.push({ name: v.name, pooling: 'mean', normalize: false, texts: v.texts, guide: guideDir, st: { class: loss.name, kwargs }, spec: loss.toSpec() });
      const guide: Float32Array[][] = [];
      for (const col of v.texts) {
        const emb = await guideEncoder.encode(pack(col.map((t) => Array.from(tokenizer.encode(t)))));
        guide.push(col.map((_, i) => emb.subarray(i * 24, (i + 1) * 24)));
      }
      const s = maskStats(guide, o);
      stats.push(`${v.name}: guide masks ${s.masked} of ${s.total} candidates, closest to a threshold by ${s.closest.toExponential(2)}`);
      expect([v.name, s.masked > 0, s.masked < s.total, s.closest > 2e-5]).toEqual([v.name, true, true, true]);
    }
    const results = await runLossParity(cases, 'gist');
    console.log(`GIST losses vs sentence-transformers:\n  ${results.map((r, i) => `${r.report}; ${stats[i]}`).join('\n  ')}`);
    for (const r of results) {
      expect([r.name, r.lossErr <= 1e-4, r.worstGradErr <= 1e-4, r.worstGradName.includes('not noise-level')]).toEqual([r.name, true, true, false]);
    }
  });

  test('a guide of another architecture (a tiny MPNet sharing the tokenizer) gives sentence-transformers\' loss and gradients', async () => {
    const mpnetGuide = tinyStModel('mpnet');
    const info = readModelFolder(mpnetGuide);
    const pairs = [column(0, 6, 'anchor'), column(0, 6, 'positive')];
    const loss = new GISTEmbedLoss({ guide: mpnetGuide, margin: 0.002 });
    const o = loss.options;
    const guideEncoder = await loadAddon().NativeEncoder.create({ configJson: info.configJson, pooling: info.pooling, normalize: info.normalize, device: 'cpu' });
    await guideEncoder.loadWeights(info.weightsPath);
    const tokenizer = TextTokenizer.fromFolder(modelDir, { maxSeqLength: 48 });
    const guide: Float32Array[][] = [];
    for (const col of pairs) {
      const emb = await guideEncoder.encode(pack(col.map((t) => Array.from(tokenizer.encode(t)))));
      guide.push(col.map((_, i) => emb.subarray(i * guideEncoder.embeddingDim, (i + 1) * guideEncoder.embeddingDim)));
    }
    await guideEncoder.dispose();
    const s = maskStats(guide, o);
    const [r] = await runLossParity([{
      name: 'gist_mpnet_guide', pooling: 'mean', normalize: false, texts: pairs, guide: mpnetGuide, spec: loss.toSpec(),
      st: { class: loss.name, kwargs: { guide: '@guide', temperature: o.temperature, margin_strategy: o.marginStrategy, margin: o.margin,
        contrast_anchors: o.contrastAnchors, contrast_positives: o.contrastPositives } },
    }], 'gist-mpnet');
    console.log(`GIST with an MPNet guide: ${r.report}; guide masks ${s.masked} of ${s.total} candidates, closest to a threshold by ${s.closest.toExponential(2)}`);
    expect([s.masked > 0, s.masked < s.total, s.closest > 2e-5]).toEqual([true, true, true]);
    expect([r.lossErr <= 1e-4, r.worstGradErr <= 1e-4]).toEqual([true, true]);
  });

  test('trainStep and evaluationLoss go through the guide too (dropout 0: the same loss in training and evaluation)', async () => {
    const tokenizer = TextTokenizer.fromFolder(modelDir, { maxSeqLength: 48 });
    const texts = pack([column(0, 6, 'anchor'), column(0, 6, 'positive'), column(6, 6, 'positive')].flat().map((t) => Array.from(tokenizer.encode(t))));
    for (const loss of [new GISTEmbedLoss({ guide: guideDir, margin: 0.002 }), new CachedGISTEmbedLoss({ guide: guideDir, margin: 0.002, miniBatchSize: 4 })]) {
      const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(ref.weightsPath);
      await enc.configureTraining({ losses: [loss.toSpec()], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
      const evaluation = await enc.evaluationLoss({ texts, numColumns: 3 });
      const { loss: value } = await enc.lossAndGradients({ texts, numColumns: 3 });
      expect([loss.name, Math.abs(evaluation - value) / value < 1e-6]).toEqual([loss.name, true]);
      const step = await enc.trainStep({ texts, numColumns: 3, lossDivisor: 2, learningRate: 1e-3, maxGradNorm: 1, optimizerStep: true });
      expect([loss.name, step.loss, Number.isFinite(step.gradNorm)]).toEqual([loss.name, value, true]);
      expect(await enc.evaluationLoss({ texts, numColumns: 3 })).toBeLessThan(evaluation);
    }
  });

  test('config files: guide is a folder, options in snake_case; the API: a SentenceTransformer loaded from one; the spec names its files', async () => {
    const loss = lossFromConfig({ name: 'CachedGISTEmbedLoss', guide: guideDir, margin_strategy: 'relative', margin: 0.1, mini_batch_size: 16, contrast_anchors: false });
    const info = readModelFolder(guideDir);
    expect(loss.toSpec()).toEqual({
      name: 'CachedGISTEmbedLoss', miniBatchSize: 16, temperature: 0.01, marginStrategy: 'relative', margin: 0.1, contrastAnchors: false,
      contrastPositives: true, guideConfigJson: info.configJson, guideWeightsPath: info.weightsPath, guidePooling: 'mean', guideNormalize: true,
    });
    expect(loss.configDict()).toMatchObject({ guide: guideDir, temperature: 0.01, mini_batch_size: 16, margin_strategy: 'relative' });
    expect(() => lossFromConfig({ name: 'GISTEmbedLoss' })).toThrow(/GISTEmbedLoss: a guide model is required/);
    // The API takes a SentenceTransformer loaded from a folder, read from that folder.
    const loaded = await SentenceTransformer.load(guideDir, { device: 'cpu' });
    expect(new CachedGISTEmbedLoss({ guide: loaded, marginStrategy: 'relative', margin: 0.1, miniBatchSize: 16, contrastAnchors: false }).toSpec())
      .toEqual(loss.toSpec());
    const created = await SentenceTransformer.create({
      config: JSON.parse(info.configJson), tokenizerDir: guideDir, pooling: 'mean', normalize: true, maxSeqLength: 64, seed: 1, device: 'cpu',
    });
    expect(() => new GISTEmbedLoss({ guide: created })).toThrow(/GISTEmbedLoss: the guide model must be a folder path or a SentenceTransformer loaded from a folder/);
    expect(() => lossFromConfig({ name: 'GISTEmbedLoss', guide: guideDir, margin_strategy: 'both' })).toThrow(/margin_strategy must be one of absolute, relative/);
    expect(() => lossFromConfig({ name: 'GISTEmbedLoss', guide: path.join(guideDir, 'nope') })).toThrow(/GISTEmbedLoss: guide model: model folder .* does not exist/);
    expect(() => new GISTEmbedLoss({ guide: guideDir }).checkData({ inputs: ['a', 'p', 'n1', 'n2'], label: null }))
      .toThrow(/GISTEmbedLoss needs \(anchor, positive\) or \(anchor, positive, negative\) input columns but the data has 4/);
  });

  test('the guide must share the model\'s tokenizer and keep texts as long', async () => {
    const model = { maxSeqLength: 48, tokenizer: TextTokenizer.fromFolder(modelDir, { maxSeqLength: 48 }) };
    new GISTEmbedLoss({ guide: guideDir }).checkModel(32, model);
    expect(() => new GISTEmbedLoss({ guide: guideDir }).checkModel(32, { ...model, maxSeqLength: 128 }))
      .toThrow(/guide model .* has max_seq_length 64, shorter than the model's 128/);
    const other = tmpDir('gist-other-vocab');
    for (const f of fs.readdirSync(guideDir, { withFileTypes: true })) {
      fs.cpSync(path.join(guideDir, f.name), path.join(other, f.name), { recursive: true });
    }
    const tok = JSON.parse(fs.readFileSync(path.join(other, 'tokenizer.json'), 'utf8'));
    [tok.model.vocab.the, tok.model.vocab.a] = [tok.model.vocab.a, tok.model.vocab.the];
    fs.writeFileSync(path.join(other, 'tokenizer.json'), JSON.stringify(tok));
    expect(() => new CachedGISTEmbedLoss({ guide: other }).checkModel(32, model))
      .toThrow(/CachedGISTEmbedLoss: the guide model .* has a different tokenizer vocabulary \(token "(the|a)" is id \d+ in the guide, \d+ in the model\)/);

    // The engine's own check: a guide whose vocab_size differs from the model's.
    const spec = new GISTEmbedLoss({ guide: guideDir }).toSpec() as Extract<LossSpec, { name: 'GISTEmbedLoss' }>;
    const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: 'mean', normalize: false, device: 'cpu' });
    const small = JSON.stringify({ ...JSON.parse(spec.guideConfigJson), vocab_size: 1000 });
    await expect(enc.configureTraining({ losses: [{ ...spec, guideConfigJson: small }], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false }))
      .rejects.toThrow(/GISTEmbedLoss: the guide model's vocabulary has 1000 tokens and the model's 30522/);
    fs.rmSync(other, { recursive: true, force: true });

    // The trainer hands the loss its model: here one whose max_seq_length (512, from config.json) outgrows the guide's.
    const trained = await SentenceTransformer.load(modelDir, { device: 'cpu' });
    const data = Dataset.fromRecords(rows.slice(0, 4).map((r) => ({ anchor: r.anchor, positive: r.positive })), 'legal rows');
    await expect(TrainingSources.prepare(data, new GISTEmbedLoss({ guide: guideDir }), trained))
      .rejects.toThrow(/legal rows: GISTEmbedLoss: the guide model .* has max_seq_length 64, shorter than the model's 512/);
  });
});
