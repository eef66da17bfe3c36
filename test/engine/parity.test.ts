/**
 * The engine against PyTorch + sentence-transformers 6.0.1 on the same tiny random BERT and the same
 * real token ids (scripts/reference/engine_reference.py): eval embeddings for every pooling mode,
 * loss values and every parameter gradient for each loss, and three AdamW steps with gradient
 * accumulation and clipping. fp32 on the CPU; the measured errors are printed.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec, NativeEncoder, PoolingMode, TrainingSpec } from '../../lib/binding/AddonTypes';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { engineReference, maxAbsDiff, pack, type LossCase, Reference, relativeError } from './fixtures';
import { readSafetensors } from './safetensors';

/** The key bias adds the same score to every key of a query, which softmax ignores: its gradient is
 *  analytically zero and what both engines compute for it is rounding noise (~1e-11). */
const analyticallyZeroGradient = (name: string) => name.endsWith('attention.self.key.bias');
/** The engine's spec for a reference case: the ranking loss, inside MatryoshkaLoss when the case has dims. */
function specOf(c: LossCase): LossSpec {
  const inner: LossSpec = { name: c.loss, scale: c.scale, similarity: c.similarity };
  return c.matryoshka ? { name: 'MatryoshkaLoss', loss: inner, dims: c.matryoshka.dims, weights: c.matryoshka.weights } : inner;
}
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

describeIf(missing({ addon: true, python: true, sharedData: true }), 'engine parity with sentence-transformers (fp32, CPU)', () => {
  let ref: Reference;
  const addon = () => loadAddon();

  beforeAll(() => {
    ref = engineReference();
  });

  async function encoder(pooling: PoolingMode, normalize: boolean): Promise<NativeEncoder> {
    const enc = await addon().NativeEncoder.create({ configJson: ref.configJson, pooling, normalize, device: 'cpu' });
    await enc.loadWeights(ref.weightsPath);
    return enc;
  }

  test('eval embeddings match for every pooling mode, with and without Normalize', async () => {
    const expected = readSafetensors(path.join(ref.dir, 'embeddings.safetensors'));
    const texts = pack(ref.columns.flat());
    const dim = 32;
    const report: string[] = [];
    for (const key of Object.keys(expected).sort()) {
      const [pooling, norm] = key.split('_');
      const enc = await encoder(pooling as PoolingMode, norm === 'normalize');
      const got = await enc.encode(texts);
      const want = expected[key].data as Float32Array;
      expect(got.length).toBe(want.length);
      let minCos = 1;
      for (let r = 0; r < got.length / dim; r++) {
        const a = got.subarray(r * dim, (r + 1) * dim);
        const b = want.subarray(r * dim, (r + 1) * dim);
        let dot = 0, na = 0, nb = 0;
        for (let i = 0; i < dim; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
        minCos = Math.min(minCos, dot / Math.sqrt(na * nb));
      }
      report.push(`${key}: min row cosine ${minCos.toFixed(9)}, max abs diff ${maxAbsDiff(got, want).toExponential(2)}`);
      expect(minCos).toBeGreaterThanOrEqual(0.99999);
    }
    console.log(`embeddings vs sentence-transformers:\n  ${report.join('\n  ')}`);
  });

  test('loss values and every parameter gradient match for each loss', async () => {
    const report: string[] = [];
    for (const c of ref.lossCases) {
      const enc = await encoder(c.pooling, c.normalize);
      await enc.configureTraining({
        losses: [specOf(c)],
        optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
      });
      const { loss, gradients } = await enc.lossAndGradients({ texts: pack(ref.columns.slice(0, c.columns).flat()), numColumns: c.columns });
      const expected = readSafetensors(path.join(ref.dir, `grads_${c.name}.safetensors`));
      expect(Object.keys(gradients).sort()).toEqual(Object.keys(expected).sort());
      const lossErr = Math.abs(loss - c.lossValue) / Math.abs(c.lossValue);
      let worst = 0, worstName = '';
      const total = norm(Object.values(gradients).flatMap((g) => Array.from(g)));
      for (const name of enc.parameterNames()) {
        if (analyticallyZeroGradient(name)) {
          expect([name, norm(gradients[name]) / total <= 1e-7]).toEqual([name, true]);
          expect([name, norm(expected[name].data as Float32Array) / total <= 1e-7]).toEqual([name, true]);
          continue;
        }
        const err = relativeError(gradients[name], expected[name].data as Float32Array);
        if (!(err <= worst)) { worst = err; worstName = name; }
        expect([name, err <= 1e-4]).toEqual([name, true]);
      }
      report.push(`${c.name}: loss ${loss.toFixed(7)} vs ${c.lossValue.toFixed(7)} (rel ${lossErr.toExponential(2)}), worst grad rel err ${worst.toExponential(2)} (${worstName})`);
      expect(lossErr).toBeLessThanOrEqual(1e-4);
    }
    console.log(`losses and gradients vs sentence-transformers:\n  ${report.join('\n  ')}`);
  });

  test('three AdamW steps with accumulation 2 and clipping match torch.optim.AdamW under HF Trainer semantics', async () => {
    const a = ref.adamw;
    const enc = await encoder('mean', true);
    const spec: TrainingSpec = {
      losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
      optimizer: { weightDecay: a.weight_decay, beta1: a.beta1, beta2: a.beta2, eps: a.eps }, precision: 'fp32', tf32: false,
    };
    await enc.configureTraining(spec);
    const gradNorms: number[] = [];
    for (let m = 0; m < a.microBatches.length; m++) {
      const step = Math.floor(m / a.accumulation);
      const boundary = (m + 1) % a.accumulation === 0;
      const r = await enc.trainStep({
        texts: pack(a.microBatches[m].flat()), numColumns: 2, lossDivisor: a.accumulation, optimizerStep: boundary,
        learningRate: a.learningRates[step], maxGradNorm: a.max_grad_norm,
      });
      expect(Math.abs(r.loss - a.losses[m]) / a.losses[m]).toBeLessThanOrEqual(1e-4);
      if (boundary) gradNorms.push(r.gradNorm); else expect(r.gradNorm).toBeNaN();
    }
    gradNorms.forEach((g, i) => expect(Math.abs(g - a.gradNorms[i]) / a.gradNorms[i]).toBeLessThanOrEqual(1e-4));

    const dir = tmpDir('adamw');
    await enc.saveWeights(path.join(dir, 'after.safetensors'));
    await enc.saveTrainingState(path.join(dir, 'state.safetensors'));
    const got = readSafetensors(path.join(dir, 'after.safetensors'));
    const want = readSafetensors(path.join(ref.dir, 'adamw_params.safetensors'));
    const before = readSafetensors(ref.weightsPath);
    let worstParam = 0, worstUpdate = 0;
    const lrSum = a.learningRates.reduce((s, x) => s + x, 0);
    for (const name of enc.parameterNames()) {
      const g = got[name].data as Float32Array, w = want[name].data as Float32Array, b = before[name].data as Float32Array;
      if (analyticallyZeroGradient(name)) {
        // Adam turns a noise gradient g << eps into an update of about lr * g / eps: tiny in both, not comparable.
        expect([name, maxAbsDiff(g, w) <= 0.1 * lrSum]).toEqual([name, true]);
        continue;
      }
      // The update itself (after - before), so a wrong step cannot hide behind the size of the weights.
      const du = g.map((x, i) => x - b[i]), dw = w.map((x, i) => x - b[i]);
      worstUpdate = Math.max(worstUpdate, relativeError(du, dw));
      // A parameter that starts at zero (biases) is its update: its relative error is the update's, which is
      // bounded above; Adam's m/sqrt(v) passes the gradients' rounding (~1e-5 rel here) straight through.
      if (norm(b) === 0) continue;
      const err = relativeError(g, w);
      worstParam = Math.max(worstParam, err);
      expect([name, err <= 1e-5]).toEqual([name, true]);
    }
    expect(worstUpdate).toBeLessThanOrEqual(1e-3);

    const state = readSafetensors(path.join(dir, 'state.safetensors'));
    const wantState = readSafetensors(path.join(ref.dir, 'adamw_state.safetensors'));
    let worstMoment = 0;
    for (const [name, t] of Object.entries(wantState)) {
      expect(state[name]).toBeDefined();
      if (t.dtype === 'I64') expect(state[name].data).toEqual(t.data);
      else if (!analyticallyZeroGradient(name)) worstMoment = Math.max(worstMoment, relativeError(state[name].data as Float32Array, t.data as Float32Array));
    }
    expect(worstMoment).toBeLessThanOrEqual(1e-4);
    fs.rmSync(dir, { recursive: true, force: true });
    console.log(`AdamW (3 steps, accumulation 2, clip 1.0, lr ${a.learningRates.join(', ')}): worst parameter rel err ` +
      `${worstParam.toExponential(2)}, worst update rel err ${worstUpdate.toExponential(2)}, worst moment rel err ` +
      `${worstMoment.toExponential(2)}; grad norms ${gradNorms.map((g) => g.toFixed(6)).join(', ')} vs ${a.gradNorms.map((g) => g.toFixed(6)).join(', ')}`);
  });
});
