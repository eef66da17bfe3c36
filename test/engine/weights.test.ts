/**
 * Engine behaviour that needs no Python: weight and training-state I/O round trips, the errors for bad
 * files, configs and batches, non-finite losses, devices, dropout seeding, and that a train step runs
 * off the main thread.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec, NativeEncoder, TrainingSpec } from '../../lib/binding/AddonTypes';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { pack, syntheticTexts, tinyConfig } from './fixtures';
import { readSafetensors, writeSafetensors } from './safetensors';

const spec: TrainingSpec = {
  losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
  optimizer: { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
};

describeIf(missing({ addon: true }), 'native engine: weights, training state and errors', () => {
  let dir: string;
  const make = (config = tinyConfig()): Promise<NativeEncoder> =>
    loadAddon().NativeEncoder.create({ configJson: config, pooling: 'mean', normalize: true, device: 'cpu' });
  const batch = pack(syntheticTexts(8, 5, 20, 1000)); // 4 (anchor, positive) pairs, column-major
  const step = (enc: NativeEncoder, optimizerStep = true) =>
    enc.trainStep({ texts: batch, numColumns: 2, lossDivisor: 1, optimizerStep, learningRate: 1e-3, maxGradNorm: 1 });

  beforeAll(() => { dir = tmpDir('engine'); });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('save -> load -> save is bit-exact and encodes identically; extras and the "bert." prefix are handled', async () => {
    const a = await make();
    await a.initWeights(7);
    const first = path.join(dir, 'first.safetensors');
    await a.saveWeights(first);
    // Add a tensor the encoder does not train and prefix every name, as a BertForMaskedLM checkpoint does.
    const tensors = readSafetensors(first);
    const prefixed: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [n, t] of Object.entries(tensors)) prefixed[`bert.${n}`] = { shape: t.shape, data: t.data as Float32Array };
    prefixed['bert.pooler.dense.bias'] = { shape: [32], data: Float32Array.from({ length: 32 }, (_, i) => i / 7) };
    const withExtras = path.join(dir, 'prefixed.safetensors');
    writeSafetensors(withExtras, prefixed);

    const b = await make();
    await b.loadWeights(withExtras);
    const second = path.join(dir, 'second.safetensors');
    await b.saveWeights(second);
    const back = readSafetensors(second);
    expect(Object.keys(back).sort()).toEqual([...Object.keys(tensors), 'pooler.dense.bias'].sort());
    expect(back['pooler.dense.bias'].data).toEqual(prefixed['bert.pooler.dense.bias'].data);

    const c = await make();
    await c.loadWeights(second);
    const third = path.join(dir, 'third.safetensors');
    await c.saveWeights(third);
    expect(fs.readFileSync(third).equals(fs.readFileSync(second))).toBe(true);
    expect(await c.encode(batch)).toEqual(await a.encode(batch));
    // initWeights: LayerNorm 1/0, biases 0, padding row 0, weights with the configured spread.
    const w = tensors['embeddings.word_embeddings.weight'].data as Float32Array;
    expect(Array.from(w.subarray(0, 32)).every((x) => x === 0)).toBe(true);
    const rest = w.subarray(32);
    const std = Math.sqrt(rest.reduce((s, x) => s + x * x, 0) / rest.length);
    expect(Math.abs(std - 0.02)).toBeLessThan(0.001);
    expect(Array.from(tensors['embeddings.LayerNorm.weight'].data as Float32Array).every((x) => x === 1)).toBe(true);
    expect(Array.from(tensors['encoder.layer.1.output.dense.bias'].data as Float32Array).every((x) => x === 0)).toBe(true);
  });

  test('training state round trip: resuming from a saved state continues exactly', async () => {
    const weights = path.join(dir, 'resume-weights.safetensors');
    const state = path.join(dir, 'resume-state.safetensors');
    const config = tinyConfig({ hidden_dropout_prob: 0.1 }); // dropout draws from the saved RNG state
    const a = await make(config);
    await a.initWeights(3);
    await a.configureTraining(spec);
    loadAddon().manualSeed(11);
    await step(a);
    await step(a);
    await a.saveWeights(weights);
    await a.saveTrainingState(state);

    const b = await make(config);
    await b.loadWeights(weights);
    await b.configureTraining(spec);
    await b.loadTrainingState(state);
    const again = path.join(dir, 'resume-state-again.safetensors');
    await b.saveTrainingState(again);
    expect(fs.readFileSync(again).equals(fs.readFileSync(state))).toBe(true);

    const ra = await step(a); // a continues from the global RNG it left; b restored the same state
    await b.loadTrainingState(state);
    const rb = await step(b);
    expect(rb).toEqual(ra);
    const wa = path.join(dir, 'wa.safetensors'), wb = path.join(dir, 'wb.safetensors');
    await a.saveWeights(wa);
    await b.saveWeights(wb);
    expect(fs.readFileSync(wa).equals(fs.readFileSync(wb))).toBe(true);
    const s = readSafetensors(state);
    expect(s['optimizer.step.embeddings.word_embeddings.weight'].data).toEqual(BigInt64Array.from([2n]));
    expect(s['rng.cpu'].dtype).toBe('U8');
  });

  test('dropout follows manualSeed; eval encode is deterministic', async () => {
    const enc = await make(tinyConfig({ hidden_dropout_prob: 0.2, attention_probs_dropout_prob: 0.2 }));
    await enc.initWeights(1);
    await enc.configureTraining(spec);
    const addon = loadAddon();
    addon.manualSeed(5);
    const l1 = (await enc.lossAndGradients({ texts: batch, numColumns: 2 })).loss;
    addon.manualSeed(5);
    const l2 = (await enc.lossAndGradients({ texts: batch, numColumns: 2 })).loss;
    addon.manualSeed(6);
    const l3 = (await enc.lossAndGradients({ texts: batch, numColumns: 2 })).loss;
    expect(l2).toBe(l1);
    expect(l3).not.toBe(l1);
    expect(await enc.encode(batch)).toEqual(await enc.encode(batch));
  });

  test('a non-finite loss is rejected without touching weights or optimizer state', async () => {
    const enc = await make();
    await enc.initWeights(2);
    await enc.configureTraining(spec);
    await step(enc);
    const good = path.join(dir, 'nan-before.safetensors');
    await enc.saveWeights(good);
    const tensors = readSafetensors(good);
    const poisoned: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [n, t] of Object.entries(tensors)) poisoned[n] = { shape: t.shape, data: t.data as Float32Array };
    // Finite weights (NaN ones are refused at load) whose sum overflows: word + position = Inf, LayerNorm(Inf) = NaN.
    poisoned['embeddings.word_embeddings.weight'].data.fill(3e38);
    poisoned['embeddings.position_embeddings.weight'].data.fill(3e38);
    const nanFile = path.join(dir, 'nan.safetensors');
    writeSafetensors(nanFile, poisoned);
    await enc.loadWeights(nanFile);
    const stateBefore = path.join(dir, 'nan-state-before.safetensors');
    await enc.saveTrainingState(stateBefore);

    await expect(step(enc)).rejects.toThrow('non-finite loss (nan) at this step');
    const after = path.join(dir, 'nan-after.safetensors');
    await enc.saveWeights(after);
    const a = readSafetensors(after), p = readSafetensors(nanFile);
    for (const n of Object.keys(p)) expect(Buffer.from(a[n].data.buffer).equals(Buffer.from(p[n].data.buffer))).toBe(true);
    const stateAfter = path.join(dir, 'nan-state-after.safetensors');
    await enc.saveTrainingState(stateAfter);
    const sb = readSafetensors(stateBefore), sa = readSafetensors(stateAfter);
    for (const n of Object.keys(sb).filter((k) => k.startsWith('optimizer.'))) {
      expect(Buffer.from(sa[n].data.buffer).equals(Buffer.from(sb[n].data.buffer))).toBe(true);
    }
  });

  test('bad weight files: missing tensor, shape mismatch, truncated or corrupt header', async () => {
    const enc = await make();
    await enc.initWeights(4);
    const good = path.join(dir, 'good.safetensors');
    await enc.saveWeights(good);
    const tensors = readSafetensors(good);
    const plain: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [n, t] of Object.entries(tensors)) plain[n] = { shape: t.shape, data: t.data as Float32Array };

    const noKey = { ...plain };
    delete noKey['encoder.layer.1.attention.self.key.weight'];
    const missingFile = path.join(dir, 'missing.safetensors');
    writeSafetensors(missingFile, noKey);
    await expect(enc.loadWeights(missingFile)).rejects.toThrow(/missing tensor encoder\.layer\.1\.attention\.self\.key\.weight \(expected shape \[32, 32\]\)/);

    const wrong = { ...plain, 'encoder.layer.0.intermediate.dense.weight': { shape: [32, 37], data: new Float32Array(32 * 37) } };
    const wrongFile = path.join(dir, 'wrong.safetensors');
    writeSafetensors(wrongFile, wrong);
    await expect(enc.loadWeights(wrongFile)).rejects.toThrow(
      'tensor encoder.layer.0.intermediate.dense.weight has shape [32, 37] but the config wants [37, 32]');

    const bytes = fs.readFileSync(good);
    const truncated = path.join(dir, 'truncated.safetensors');
    fs.writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    await expect(enc.loadWeights(truncated)).rejects.toThrow(/corrupt safetensors file .*truncated\.safetensors, tensor '.*': data_offsets .* fall outside the data section/);

    const hugeHeader = Buffer.from(bytes);
    hugeHeader.writeBigUInt64LE(BigInt(bytes.length));
    const hugeFile = path.join(dir, 'huge-header.safetensors');
    fs.writeFileSync(hugeFile, hugeHeader);
    await expect(enc.loadWeights(hugeFile)).rejects.toThrow(/corrupt safetensors file .*huge-header\.safetensors: header length \d+ does not fit/);

    const badJson = Buffer.from(bytes);
    badJson.write('#', 9);
    const badJsonFile = path.join(dir, 'bad-json.safetensors');
    fs.writeFileSync(badJsonFile, badJson);
    await expect(enc.loadWeights(badJsonFile)).rejects.toThrow(/corrupt safetensors file .*bad-json\.safetensors: .*invalid JSON/);

    const tiny = path.join(dir, 'tiny.safetensors');
    fs.writeFileSync(tiny, Buffer.from([1, 2, 3]));
    await expect(enc.loadWeights(tiny)).rejects.toThrow(/too short/);
    await expect(enc.loadWeights(path.join(dir, 'absent.safetensors'))).rejects.toThrow(/cannot open safetensors file/);

    // None of the failed loads changed the weights.
    const after = path.join(dir, 'after-failures.safetensors');
    await enc.saveWeights(after);
    expect(fs.readFileSync(after).equals(bytes)).toBe(true);
  });

  test('bad configs, options and batches are rejected with the offending value named', async () => {
    await expect(make(tinyConfig({ model_type: 'gpt2', architectures: ['GPT2Model'] }))).rejects.toThrow(
      /^unsupported architecture gpt2: embedforge supports BERT-family models \(model_type "bert"\), RoBERTa models \(model_type "roberta"\), XLM-RoBERTa models \(model_type "xlm-roberta"\).* MPNet models \(model_type "mpnet"\)/);
    await expect(make(tinyConfig({ position_embedding_type: 'relative_key' }))).rejects.toThrow(/position_embedding_type "relative_key"/);
    await expect(make(tinyConfig({ hidden_act: 'quick_gelu' }))).rejects.toThrow(/unsupported hidden_act "quick_gelu"/);
    await expect(make(tinyConfig({ num_attention_heads: 5 }))).rejects.toThrow(/hidden_size 32 is not a multiple of num_attention_heads 5/);
    await expect(make('{"model_type": "bert",')).rejects.toThrow(/config\.json: invalid JSON/);
    const addon = loadAddon();
    await expect(addon.NativeEncoder.create({ configJson: tinyConfig(), pooling: 'weird' as never, normalize: false, device: 'cpu' }))
      .rejects.toThrow(/unsupported pooling mode "weird"/);
    if (!addon.deviceInfo().cudaAvailable) {
      await expect(addon.NativeEncoder.create({ configJson: tinyConfig(), pooling: 'mean', normalize: false, device: 'cuda' }))
        .rejects.toThrow('device "cuda" requested but CUDA is not available to LibTorch on this machine');
    }

    const enc = await make();
    await enc.initWeights(1);
    await expect(step(enc)).rejects.toThrow('configureTraining must be called before trainStep');
    await enc.configureTraining(spec);
    await expect(enc.encode({ inputIds: Int32Array.from([101, 5000, 102]), cuSeqlens: Int32Array.from([0, 3]) }))
      .rejects.toThrow('token id 5000 of text 0 (position 1) is outside the vocabulary [0, 1000)');
    await expect(enc.encode({ inputIds: Int32Array.from([1, 2]), cuSeqlens: Int32Array.from([0, 3]) }))
      .rejects.toThrow('cuSeqlens ends at 3 but inputIds holds 2 ids');
    await expect(enc.encode(pack([Array(129).fill(1)]))).rejects.toThrow(/text 0 has 129 tokens, more than the 128 the model's positions allow/);
    await expect(enc.trainStep({ texts: pack(syntheticTexts(9, 4, 8, 1000)), numColumns: 2, lossDivisor: 1, optimizerStep: false, learningRate: 0, maxGradNorm: 0 }))
      .rejects.toThrow('got 9 texts, not a multiple of numColumns = 2');
    await expect(enc.configureTraining({ ...spec, losses: [{ name: 'MatryoshkaLoss', loss: spec.losses[0], dims: [64], weights: [1] }] }))
      .rejects.toThrow('MatryoshkaLoss: dim 64 must be an integer in [1, 32]');
    await expect(enc.configureTraining({ ...spec, losses: [{ name: 'NoSuchLoss' } as unknown as LossSpec] }))
      .rejects.toThrow(/unknown loss "NoSuchLoss"; the engine has .*MultipleNegativesRankingLoss/);
  });

  test('trainStep runs off the main thread: a timer fires while it works', async () => {
    const enc = await make(tinyConfig({ hidden_size: 64, num_hidden_layers: 4, intermediate_size: 256 }));
    await enc.initWeights(1);
    await enc.configureTraining(spec);
    let done = false;
    let timerFiredWhileRunning = false;
    setTimeout(() => { timerFiredWhileRunning = !done; }, 1);
    const started = Date.now();
    await enc.trainStep({ texts: pack(syntheticTexts(32, 40, 80, 1000)), numColumns: 2, lossDivisor: 1, optimizerStep: true, learningRate: 1e-4, maxGradNorm: 1 });
    done = true;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThan(5); // long enough that a blocking call would have delayed the timer
    expect(timerFiredWhileRunning).toBe(true);
    console.log(`trainStep of 32 texts took ${elapsed} ms; a 1 ms timer fired while it ran`);
  });
});
