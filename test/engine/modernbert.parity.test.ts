/**
 * ModernBERT (model_type "modernbert") in the engine against transformers' ModernBertModel / ModernBertForMaskedLM +
 * sentence-transformers (scripts/reference/modernbert_reference.py): tiny random models at two shapes, every parameter
 * drawn far from its init, sliding windows (local_attention 16 and 12) shorter than the texts (up to 60 tokens) and
 * global / local rope_theta far apart, so a wrong window, a swapped base or a wrong weight shows. One case reads the
 * older config keys (global_attn_every_n_layers, global_rope_theta, local_rope_theta), the other transformers 5's
 * layer_types / rope_parameters from an MLM file whose encoder tensors carry the "model." prefix, with every bias
 * on and the tanh GELU. fp32 on the CPU: mean-pooled embeddings, MultipleNegativesRankingLoss and every parameter
 * gradient, the save / load round trip, and the init's distributions. The measured figures are printed.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import { describeIf, missing, runPython, tmpDir } from '../helpers/requirements';
import { caseConfig, caseEncoder, caseWeights, expectEmbeddingsMatch, expectFirstStepGradientsMatch, minRowCosine, readCase } from './encoderParity';
import { maxAbsDiff, pack } from './fixtures';
import { readSafetensors } from './safetensors';

interface CaseData { ids: number[][]; hidden: number; columns: number[][][]; lossValue: number }

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

describeIf(missing({ addon: true, python: true, sharedData: true }), 'ModernBERT parity with transformers + sentence-transformers (fp32, CPU)', () => {
  let dir: string;
  let cases: string[];
  const caseData = (name: string) => readCase<CaseData>(dir, name);
  const configOf = (name: string) => caseConfig(dir, name);
  const weightsOf = (name: string) => caseWeights(dir, name);
  const encoder = (name: string) => caseEncoder(dir, name);

  beforeAll(() => {
    dir = tmpDir('modernbert-parity');
    cases = JSON.parse(runPython('modernbert_reference.py', ['--out', dir]).trim().split('\n').pop()!);
  });

  test('mean-pooled embeddings match at two shapes, old and new config keys, with and without the "model." prefix', async () => {
    expect(cases).toEqual(['legacy-64x3', 'mlm-96x4-biases']);
    const report: string[] = [];
    for (const name of cases) {
      const { ids, hidden } = caseData(name);
      expect(Math.max(...ids.map((t) => t.length))).toBeGreaterThan(2 * 16);  // texts longer than any window
      const enc = await encoder(name);
      expect(enc.embeddingDim).toBe(hidden);
      const want = readSafetensors(path.join(dir, name, 'embeddings.safetensors')).mean.data as Float32Array;
      report.push(`${name}: ${expectEmbeddingsMatch(await enc.encode(pack(ids)), want, hidden)}`);
      await enc.dispose();
    }
    console.log(`ModernBERT embeddings vs transformers + sentence-transformers Pooling:\n  ${report.join('\n  ')}`);
  });

  test('the window and the two rotary bases matter: the embeddings move when either is changed', async () => {
    // Guards the test itself: were the band or a base ignored by both sides, the parity above could not tell.
    const name = 'legacy-64x3';
    const { ids, hidden } = caseData(name);
    const want = readSafetensors(path.join(dir, name, 'embeddings.safetensors')).mean.data as Float32Array;
    const base = JSON.parse(configOf(name));
    const variants: Record<string, object> = {
      'local_attention 16 -> 200': { local_attention: 200 },
      'rope thetas swapped': { global_rope_theta: base.local_rope_theta, local_rope_theta: base.global_rope_theta },
      'every layer global': { global_attn_every_n_layers: 1 },
    };
    for (const [what, change] of Object.entries(variants)) {
      const enc = await loadAddon().NativeEncoder.create({ configJson: JSON.stringify({ ...base, ...change }), pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.loadWeights(weightsOf(name));
      const got = await enc.encode(pack(ids));
      expect([what, maxAbsDiff(got, want) > 1e-2]).toEqual([what, true]);
      await enc.dispose();
    }
    // transformers 5's keys win over the older ones when a file carries both (as save_pretrained writes them).
    const both = { ...base, layer_types: ['full_attention', 'sliding_attention', 'sliding_attention'], global_attn_every_n_layers: 1,
      rope_parameters: { full_attention: { rope_theta: base.global_rope_theta, rope_type: 'default' },
        sliding_attention: { rope_theta: base.local_rope_theta, rope_type: 'default' } }, global_rope_theta: 1, local_rope_theta: 2 };
    const enc = await loadAddon().NativeEncoder.create({ configJson: JSON.stringify(both), pooling: 'mean', normalize: false, device: 'cpu' });
    await enc.loadWeights(weightsOf(name));
    expect(minRowCosine(await enc.encode(pack(ids)), want, hidden)).toBeGreaterThanOrEqual(0.99999);
    await enc.dispose();
  });

  test('MultipleNegativesRankingLoss and every parameter gradient match at the first step', async () => {
    const report: string[] = [];
    for (const name of cases) {
      const { columns, lossValue } = caseData(name);
      const enc = await encoder(name);
      // attn.Wqkv.bias (mlm case): its key rows add the same score to every key of a query, which softmax ignores, so
      // that third of it has an analytically zero gradient; the query and value rows do not, and the whole is compared.
      report.push(`${name}: ${await expectFirstStepGradientsMatch(enc, columns, lossValue, path.join(dir, name, 'grads.safetensors'))}`);
      await enc.dispose();
    }
    console.log(`ModernBERT MNRL loss and gradients vs sentence-transformers:\n  ${report.join('\n  ')}`);
  });

  test('dropout (embedding_dropout, attention_dropout, mlp_dropout) acts in training only', async () => {
    const name = 'mlm-96x4-biases';
    const { ids, columns, lossValue } = caseData(name);
    const config = { ...JSON.parse(configOf(name)), embedding_dropout: 0.1, attention_dropout: 0.1, mlp_dropout: 0.1 };
    const enc = await loadAddon().NativeEncoder.create({ configJson: JSON.stringify(config), pooling: 'mean', normalize: false, device: 'cpu' });
    await enc.loadWeights(weightsOf(name));
    const want = readSafetensors(path.join(dir, name, 'embeddings.safetensors')).mean.data as Float32Array;
    expect(maxAbsDiff(await enc.encode(pack(ids)), want)).toBeLessThan(1e-4);  // eval: no dropout
    await enc.configureTraining({
      losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
      optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
    });
    const losses = [];
    for (let i = 0; i < 2; i++) losses.push((await enc.lossAndGradients({ texts: pack(columns.flat()), numColumns: 2 })).loss);
    losses.forEach((l) => expect(Number.isFinite(l) && Math.abs(l - lossValue) > 1e-6).toBe(true));
    expect(losses[0]).not.toBe(losses[1]);
    await enc.dispose();
  });

  test('save then load keeps every tensor (the MLM head\'s too) and the embeddings', async () => {
    const out = tmpDir('modernbert-roundtrip');
    for (const name of cases) {
      const enc = await encoder(name);
      const saved = path.join(out, `${name}.safetensors`);
      await enc.saveWeights(saved);
      const original = readSafetensors(weightsOf(name));
      const written = readSafetensors(saved);
      const strip = (k: string) => (k.startsWith('model.') ? k.slice('model.'.length) : k);
      expect(Object.keys(written).sort()).toEqual(Object.keys(original).map(strip).sort());
      for (const [key, t] of Object.entries(original)) {
        expect([key, written[strip(key)].shape]).toEqual([key, t.shape]);
        expect([key, maxAbsDiff(written[strip(key)].data as Float32Array, t.data as Float32Array)]).toEqual([key, 0]);
      }
      const { ids } = caseData(name);
      const again = await loadAddon().NativeEncoder.create({ configJson: configOf(name), pooling: 'mean', normalize: false, device: 'cpu' });
      await again.loadWeights(saved);
      expect(maxAbsDiff(await again.encode(pack(ids)), await enc.encode(pack(ids)))).toBe(0);
      await again.saveWeights(path.join(out, `${name}.again.safetensors`));
      const twice = readSafetensors(path.join(out, `${name}.again.safetensors`));
      expect(Object.keys(twice).sort()).toEqual(Object.keys(written).sort());
      await again.dispose();
      await enc.dispose();
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('options the engine does not implement are refused by name; texts up to max_position_embeddings tokens', async () => {
    const base = JSON.parse(configOf('legacy-64x3'));
    const refused: Array<[object, string]> = [
      [{ rope_parameters: { full_attention: { rope_type: 'yarn', rope_theta: 5000 } } }, 'rope_parameters.full_attention.rope_type "yarn" is not supported'],
      [{ rope_scaling: { rope_type: 'linear', factor: 2 } }, 'rope_scaling is not supported'],
      [{ hidden_activation: 'quick_gelu' }, 'unsupported hidden_activation "quick_gelu"'],
      [{ layer_types: ['full_attention', 'chunked_attention', 'full_attention'] }, 'layer_types[1] must be "full_attention" or "sliding_attention"'],
      [{ layer_types: ['full_attention'] }, 'layer_types lists 1 layers but num_hidden_layers = 3'],
      [{ head_dim: 8 }, 'head_dim 8 differs from hidden_size / num_attention_heads = 16'],
    ];
    for (const [change, message] of refused) {
      await expect(loadAddon().NativeEncoder.create({ configJson: JSON.stringify({ ...base, ...change }), pooling: 'mean', normalize: false, device: 'cpu' }))
        .rejects.toThrow(message);
    }
    const enc = await loadAddon().NativeEncoder.create({ configJson: JSON.stringify({ ...base, max_position_embeddings: 70 }), pooling: 'mean', normalize: false, device: 'cpu' });
    await enc.loadWeights(weightsOf('legacy-64x3'));
    expect((await enc.encode(pack([Array(70).fill(5)]))).length).toBe(base.hidden_size);
    await expect(enc.encode(pack([Array(71).fill(5)]))).rejects.toThrow('text 0 has 71 tokens');
    await enc.dispose();
  });

  test('initWeights draws transformers\' ModernBERT init: truncated normals with per-module std, norms 1 / biases 0, seeded', async () => {
    const name = 'mlm-96x4-biases';
    const cfg = JSON.parse(configOf(name));
    const out = tmpDir('modernbert-init');
    const drawn = async (seed: number) => {
      const enc = await loadAddon().NativeEncoder.create({ configJson: configOf(name), pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.initWeights(seed);
      const file = path.join(out, `init-${seed}.safetensors`);
      await enc.saveWeights(file);
      await enc.dispose();
      return readSafetensors(file);
    };
    const a = await drawn(3), b = await drawn(3), c = await drawn(4);
    const range = cfg.initializer_range, cutoff = cfg.initializer_cutoff_factor;
    const outStd = range / Math.sqrt(2 * cfg.num_hidden_layers);
    // The std of N(0, s) truncated at +-2s: s * sqrt(1 - 2 * 2 * phi(2) / (Phi(2) - Phi(-2))) = 0.8796 s.
    const truncatedStd = (s: number) => s * 0.87962566;
    for (const [key, t] of Object.entries(a)) {
      const v = t.data as Float32Array;
      expect([key, maxAbsDiff(v, b[key].data as Float32Array)]).toEqual([key, 0]);
      if (key.endsWith('.bias')) { expect([key, norm(v)]).toEqual([key, 0]); continue; }
      if (key.includes('norm')) { expect([key, v.every((x) => x === 1)]).toEqual([key, true]); continue; }
      const s = /(attn|mlp)\.Wo\.weight$/.test(key) ? outStd : range;
      const std = Math.sqrt(v.reduce((acc, x) => acc + x * x, 0) / v.length);
      expect([key, Math.abs(std / truncatedStd(s) - 1) < 0.1]).toEqual([key, true]);
      expect([key, v.every((x) => Math.abs(x) <= cutoff * s * (1 + 1e-6))]).toEqual([key, true]);
      expect([key, maxAbsDiff(v, c[key].data as Float32Array) > 0]).toEqual([key, true]);
    }
    fs.rmSync(out, { recursive: true, force: true });
  });
});
