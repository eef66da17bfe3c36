/**
 * The comparisons every architecture's parity suite makes against its reference script (scripts/reference/
 * <arch>_reference.py, which writes embeddings.safetensors, grads.safetensors and ids.json per case): mean-pooled
 * embeddings row by row, and MultipleNegativesRankingLoss's value and every parameter gradient at the first step.
 * Tolerances: row cosine >= 0.99999 and max abs diff < 1e-4; loss and each gradient rel <= 1e-4.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { NativeEncoder } from '../../lib/binding/AddonTypes';
import { maxAbsDiff, pack, relativeError } from './fixtures';
import { readSafetensors } from './safetensors';

/** A case folder a reference script wrote: model/ (config.json, model.safetensors), ids.json, *.safetensors. */
export const readCase = <T>(dir: string, name: string): T => JSON.parse(fs.readFileSync(path.join(dir, name, 'ids.json'), 'utf8')) as T;
export const caseConfig = (dir: string, name: string): string => fs.readFileSync(path.join(dir, name, 'model', 'config.json'), 'utf8');
export const caseWeights = (dir: string, name: string): string => path.join(dir, name, 'model', 'model.safetensors');

/** The case's model in the engine: mean pooling, no Normalize, on the CPU, its weights loaded. */
export async function caseEncoder(dir: string, name: string): Promise<NativeEncoder> {
  const enc = await loadAddon().NativeEncoder.create({ configJson: caseConfig(dir, name), pooling: 'mean', normalize: false, device: 'cpu' });
  await enc.loadWeights(caseWeights(dir, name));
  return enc;
}

/** BERT's and MPNet's attention key bias (RoBERTa shares BERT's names; ModernBERT has none by default): softmax ignores
 *  a score added to every key of a query, so its true gradient is 0. */
export const isKeyBias = (name: string): boolean => name.endsWith('attention.self.key.bias') || name.endsWith('attention.attn.k.bias');

const norm = (a: ArrayLike<number>): number => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

/** The smallest cosine between matching rows of two (N, hidden) row-major matrices. */
export function minRowCosine(got: Float32Array, want: Float32Array, hidden: number): number {
  let min = 1;
  for (let r = 0; r * hidden < want.length; r++) {
    const a = got.subarray(r * hidden, (r + 1) * hidden), b = want.subarray(r * hidden, (r + 1) * hidden);
    let dot = 0, na = 0, nb = 0;
    for (let i = 0; i < hidden; i++) { dot += a[i] * b[i]; na += a[i] * a[i]; nb += b[i] * b[i]; }
    min = Math.min(min, dot / Math.sqrt(na * nb));
  }
  return min;
}

/** Asserts the embeddings' tolerances; returns the figures as one line. */
export function expectEmbeddingsMatch(got: Float32Array, want: Float32Array, hidden: number): string {
  expect(got.length).toBe(want.length);
  const cos = minRowCosine(got, want, hidden), diff = maxAbsDiff(got, want);
  expect(cos).toBeGreaterThanOrEqual(0.99999);
  expect(diff).toBeLessThan(1e-4);
  return `min row cosine ${cos.toFixed(9)}, max abs diff ${diff.toExponential(2)}`;
}

/**
 * MNRL (scale 20, cosine) through the engine on the case's two columns against the reference's loss and gradients.
 * analyticallyZero names parameters whose true gradient is 0 (an attention key bias: softmax ignores a score added to
 * every key of a query); both sides must then give rounding noise (<= 1e-7 of the total gradient norm). Every other
 * parameter must take part (a nonzero reference gradient) and agree within rel 1e-4. Returns the figures as one line.
 */
export async function expectFirstStepGradientsMatch(enc: NativeEncoder, columns: number[][][], lossValue: number, gradsFile: string,
  analyticallyZero: (name: string) => boolean = () => false): Promise<string> {
  await enc.configureTraining({
    losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
    optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false,
  });
  const { loss, gradients } = await enc.lossAndGradients({ texts: pack(columns.flat()), numColumns: columns.length });
  const expected = readSafetensors(gradsFile);
  expect(Object.keys(gradients).sort()).toEqual(Object.keys(expected).sort());
  expect(enc.parameterNames().sort()).toEqual(Object.keys(expected).sort());
  const total = norm(Object.values(gradients).flatMap((g) => Array.from(g)));
  let worst = 0, worstName = '';
  for (const param of enc.parameterNames()) {
    const want = expected[param].data as Float32Array;
    if (analyticallyZero(param)) {
      expect([param, norm(gradients[param]) / total <= 1e-7, norm(want) / total <= 1e-7]).toEqual([param, true, true]);
      continue;
    }
    expect([param, norm(want) > 0]).toEqual([param, true]);
    const err = relativeError(gradients[param], want);
    if (!(err <= worst)) [worst, worstName] = [err, param];
    expect([param, err <= 1e-4]).toEqual([param, true]);
  }
  const lossErr = Math.abs(loss - lossValue) / Math.abs(lossValue);
  expect(lossErr).toBeLessThanOrEqual(1e-4);
  return `loss ${loss.toFixed(7)} vs ${lossValue.toFixed(7)} (rel ${lossErr.toExponential(2)}), worst grad rel err ${worst.toExponential(2)} `
    + `(${worstName}) over ${enc.parameterNames().length} parameters`;
}
