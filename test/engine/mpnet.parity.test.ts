/**
 * MPNet (model_type "mpnet", the architecture of all-mpnet-base-v2) in the engine against transformers' MPNetModel +
 * sentence-transformers (scripts/reference/mpnet_reference.py): tiny random models at two shapes, every parameter
 * drawn far from its init and the relative-position bucket table at std 1, so that a wrong position row (positions
 * start at padding_idx + 1 = 2), bucket or weight name shows; texts up to 140 / 144 tokens, so that relative distances
 * reach every bucket, past max_distance 128. One case loads an MPNetForMaskedLM file, whose encoder tensors carry the
 * "mpnet." prefix beside lm_head.*. Checked: mean-pooled embeddings, the too-long text error, the loss and every
 * parameter gradient of MultipleNegativesRankingLoss at the first step (dropout 0), a save / load round trip that keeps
 * every tensor (lm_head.* and pooler.* too), and the TSDAE decoder's refusal. fp32 on the CPU; the figures are printed.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import { describeIf, missing, runPython, tmpDir } from '../helpers/requirements';
import { caseConfig, caseEncoder, caseWeights, expectEmbeddingsMatch, expectFirstStepGradientsMatch, isKeyBias, readCase } from './encoderParity';
import { pack, relativeError } from './fixtures';
import { readSafetensors } from './safetensors';

interface CaseData { ids: number[][]; longest: number; hidden: number; columns: number[][][]; lossValue: number }


describeIf(missing({ addon: true, python: true }), 'MPNet parity with transformers + sentence-transformers (fp32, CPU)', () => {
  let dir: string;
  let cases: string[];
  const caseData = (name: string) => readCase<CaseData>(dir, name);
  const configOf = (name: string) => caseConfig(dir, name);
  const weightsOf = (name: string) => caseWeights(dir, name);
  const encoder = (name: string) => caseEncoder(dir, name);

  beforeAll(() => {
    dir = tmpDir('mpnet-parity');
    cases = JSON.parse(runPython('mpnet_reference.py', ['--out', dir]).trim().split('\n').pop()!);
  });

  test('mean-pooled embeddings match at two shapes, with and without the "mpnet." prefix; one token too many is refused', async () => {
    const report: string[] = [];
    expect(cases).toEqual(['mpnet-small', 'mpnet-wider', 'mpnet-small-mlm']);
    for (const name of cases) {
      const { ids, longest, hidden } = caseData(name);
      const enc = await encoder(name);
      const want = readSafetensors(path.join(dir, name, 'embeddings.safetensors')).mean.data as Float32Array;
      report.push(`${name}: ${expectEmbeddingsMatch(await enc.encode(pack(ids)), want, hidden)} (${ids.length} texts up to ${longest} tokens)`);
      // The position table holds padding_idx + 1 = 2 rows before the first text position: one token more does not fit.
      await expect(enc.encode(pack([Array(longest + 1).fill(5)]))).rejects.toThrow(`text 0 has ${longest + 1} tokens`);
      await enc.dispose();
    }
    console.log(`MPNet embeddings vs transformers + sentence-transformers Pooling:\n  ${report.join('\n  ')}`);
  });

  test('MultipleNegativesRankingLoss: the loss and every parameter gradient at the first step match', async () => {
    const report: string[] = [];
    for (const name of cases) {
      const { columns, lossValue } = caseData(name);
      const enc = await encoder(name);
      const figures = await expectFirstStepGradientsMatch(enc, columns, lossValue, path.join(dir, name, 'grads.safetensors'), isKeyBias);
      const expected = readSafetensors(path.join(dir, name, 'grads.safetensors'));
      const bias = 'encoder.relative_attention_bias.weight';
      const { gradients } = await enc.lossAndGradients({ texts: pack(columns.flat()), numColumns: 2 });
      report.push(`${name}: ${figures}, ${bias} rel err ${relativeError(gradients[bias], expected[bias].data as Float32Array).toExponential(2)}`);
      await enc.dispose();
    }
    console.log(`MPNet MultipleNegativesRankingLoss vs sentence-transformers:\n  ${report.join('\n  ')}`);
  });

  test('save then load keeps every tensor, lm_head.* and pooler.* included', async () => {
    const out = tmpDir('mpnet-roundtrip');
    for (const name of ['mpnet-small', 'mpnet-small-mlm']) {
      const original = readSafetensors(weightsOf(name));
      const enc = await encoder(name);
      const first = path.join(out, `${name}-1.safetensors`);
      await enc.saveWeights(first);
      const saved = readSafetensors(first);
      // Every tensor of the file comes back under its name without the "mpnet." prefix, bit for bit; nothing else.
      const unprefixed = Object.fromEntries(Object.entries(original).map(([k, t]) => [k.replace(/^mpnet\./, ''), t]));
      expect(Object.keys(saved).sort()).toEqual(Object.keys(unprefixed).sort());
      expect(Object.keys(saved).some((k) => k.startsWith(name.endsWith('mlm') ? 'lm_head.' : 'pooler.'))).toBe(true);
      for (const [k, t] of Object.entries(unprefixed)) {
        expect([k, saved[k].shape]).toEqual([k, t.shape]);
        expect([k, Buffer.from((saved[k].data as Float32Array).buffer).equals(Buffer.from((t.data as Float32Array).buffer))]).toEqual([k, true]);
      }
      // The saved file loads into a fresh encoder, which writes the same bytes and embeds as the first.
      const again = await loadAddon().NativeEncoder.create({ configJson: configOf(name), pooling: 'mean', normalize: false, device: 'cpu' });
      await again.loadWeights(first);
      const second = path.join(out, `${name}-2.safetensors`);
      await again.saveWeights(second);
      expect(fs.readFileSync(second).equals(fs.readFileSync(first))).toBe(true);
      const texts = pack(caseData(name).ids);
      expect(Array.from(await again.encode(texts))).toEqual(Array.from(await enc.encode(texts)));
      await enc.dispose();
      await again.dispose();
    }
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('config.json: chosen by model_type or an MPNet architectures entry; unsupported options refused by name', async () => {
    const base = JSON.parse(configOf('mpnet-small')) as Record<string, unknown>;
    const create = (patch: Record<string, unknown>) => loadAddon().NativeEncoder.create({
      configJson: JSON.stringify({ ...base, ...patch }), pooling: 'mean', normalize: false, device: 'cpu' });
    // Without model_type, architectures[0] = "MPNetForMaskedLM" picks MPNet: the parameters are MPNet's.
    const byArchitecture = await create({ model_type: null, architectures: ['MPNetForMaskedLM'] });
    expect(byArchitecture.parameterNames()).toContain('encoder.relative_attention_bias.weight');
    await byArchitecture.dispose();
    await expect(create({ hidden_act: 'quick_gelu' })).rejects.toThrow('config.json: unsupported hidden_act "quick_gelu"');
    await expect(create({ relative_attention_num_buckets: 16 })).rejects.toThrow('config.json: relative_attention_num_buckets = 16 is not supported');
    await expect(create({ num_attention_heads: 5 })).rejects.toThrow('config.json: hidden_size 64 is not a multiple of num_attention_heads 5');
    await expect(create({ max_position_embeddings: 2 })).rejects.toThrow('config.json: max_position_embeddings = 2 must be >= 3');
    await expect(create({ hidden_dropout_prob: 1 })).rejects.toThrow('config.json: hidden_dropout_prob = 1 must be in [0, 1)');
  });

  test('initWeights draws transformers\' MPNet init: normal(0, initializer_range), zero biases, LayerNorm 1 / 0, padding row 1 zero, seeded', async () => {
    const out = tmpDir('mpnet-init');
    const config = { ...JSON.parse(configOf('mpnet-wider')), initializer_range: 0.05 };
    const draw = async (seed: number, file: string) => {
      const enc = await loadAddon().NativeEncoder.create({ configJson: JSON.stringify(config), pooling: 'mean', normalize: false, device: 'cpu' });
      await enc.initWeights(seed);
      await enc.saveWeights(path.join(out, file));
      await enc.dispose();
      return readSafetensors(path.join(out, file));
    };
    const w = await draw(3, 'a.safetensors');
    const hidden = config.hidden_size as number;
    for (const [name, t] of Object.entries(w)) {
      const data = t.data as Float32Array;
      if (name.includes('LayerNorm')) {
        expect([name, data.every((x) => x === (name.endsWith('.weight') ? 1 : 0))]).toEqual([name, true]);
      } else if (name.endsWith('.bias')) {
        expect([name, data.every((x) => x === 0)]).toEqual([name, true]);
      } else {
        let values = Array.from(data);
        if (name === 'embeddings.word_embeddings.weight' || name === 'embeddings.position_embeddings.weight') {
          // transformers' MPNetEmbeddings: padding_idx 1 in both tables, its row zeroed by the init.
          expect([name, values.slice(hidden, 2 * hidden).every((x) => x === 0)]).toEqual([name, true]);
          values = values.slice(0, hidden).concat(values.slice(2 * hidden));
        }
        const mean = values.reduce((s, x) => s + x, 0) / values.length;
        const std = Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / values.length);
        // Standard error of a std over n normal draws is std / sqrt(2n); the bucket table (32 x 6) is the smallest.
        const tolerance = 5 * 0.05 / Math.sqrt(2 * values.length);
        expect([name, Math.abs(std - 0.05) <= tolerance, Math.abs(mean) <= 5 * 0.05 / Math.sqrt(values.length)]).toEqual([name, true, true]);
      }
    }
    expect(Object.keys(w)).toContain('encoder.relative_attention_bias.weight');
    const again = await draw(3, 'b.safetensors');
    expect(fs.readFileSync(path.join(out, 'b.safetensors')).equals(fs.readFileSync(path.join(out, 'a.safetensors')))).toBe(true);
    const other = await draw(4, 'c.safetensors');
    expect(Array.from(other['encoder.layer.0.attention.attn.q.weight'].data as Float32Array))
      .not.toEqual(Array.from(again['encoder.layer.0.attention.attn.q.weight'].data as Float32Array));
    fs.rmSync(out, { recursive: true, force: true });
  });

  test('DenoisingAutoEncoderLoss, whose decoder is tied to BERT weights, refuses an MPNet encoder by name', async () => {
    const enc = await loadAddon().NativeEncoder.create({ configJson: configOf('mpnet-small'), pooling: 'cls', normalize: false, device: 'cpu' });
    await expect(enc.configureTraining({
      losses: [{ name: 'DenoisingAutoEncoderLoss', tieEncoderDecoder: true }],
      optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
    })).rejects.toThrow('model_type "mpnet" is not supported (only "bert")');
    await enc.dispose();
  });
});
