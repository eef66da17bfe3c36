/**
 * The loss parity harness: each case runs once through sentence-transformers' own loss class
 * (scripts/reference/loss_reference.py, live from the venv) and once through the engine, on the same
 * tiny random BERT (test/engine/fixtures.ts' engine reference model, dropout 0), the same token ids and
 * labels. It compares the loss value and every parameter gradient and returns a one-line report per case.
 */
import * as fs from 'fs';
import * as path from 'path';

import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec, PoolingMode } from '../../lib/binding/AddonTypes';
import { engineReference, pack, relativeError } from '../engine/fixtures';
import { readSafetensors } from '../engine/safetensors';
import { runPython, tmpDir } from '../helpers/requirements';

/** sentence-transformers' side of a case: the loss class, its kwargs, and a modifier's inner loss. */
export interface StLoss {
  class: string;
  kwargs?: Record<string, unknown>;
  loss?: StLoss;
}

export interface LossParityCase {
  name: string;
  pooling: PoolingMode;
  normalize: boolean;
  st: StLoss;
  spec: LossSpec;
  /** texts[c][row] */
  texts: string[][];
  labels?: number[];
  /** Seeds LibTorch's generator before configureTraining and torch's before ST's loss is built: the loss's own
   *  parameters (SoftmaxLoss' classifier) are drawn from it on both sides. */
  lossSeed?: number;
  /** Values of the loss's own parameters for sentence-transformers' side, by their name in its loss module
   *  (the engine's side gets them through its spec). */
  lossParameters?: Record<string, number[] | number[][]>;
  /** What each random.sample call returns on sentence-transformers' side (the engine's spec fixes the same choice). */
  randomSamples?: number[][];
  /** Further parameters whose gradient is analytically 0 in this case, checked as noise like the key bias: e.g. the
   *  last LayerNorm's bias, which shifts every embedding alike, under a translation-invariant loss (euclidean or
   *  manhattan distances of unnormalized embeddings). */
  analyticallyZero?: string[];
  /** A sentence-transformers folder that the kwarg "@guide" stands for on sentence-transformers' side (GIST's
   *  guide model); the engine's side names it in its spec. */
  guide?: string;
}

export interface LossParityResult {
  name: string;
  lossErr: number;
  worstGradErr: number;
  worstGradName: string;
  /** The engine's and sentence-transformers' loss, and the engine's total gradient norm (for exactly-0 cases). */
  loss: number;
  stLoss: number;
  gradNorm: number;
  /** [population, k] of each random.sample call sentence-transformers made. */
  sampleCalls: number[][];
  report: string;
}

/** The key bias adds the same score to every key of a query, which softmax ignores: its gradient is
 *  analytically zero and both engines compute rounding noise for it. */
const analyticallyZeroGradient = (name: string) => name.endsWith('attention.self.key.bias');
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, x) => s + x * x, 0));

export async function runLossParity(cases: LossParityCase[], label = 'losses'): Promise<LossParityResult[]> {
  const ref = engineReference();
  const dir = tmpDir(`loss-parity-${label}`);
  const casesFile = path.join(dir, 'cases.json');
  fs.writeFileSync(casesFile, JSON.stringify({
    modelDir: path.join(ref.dir, 'model'), maxSeqLength: 48,
    cases: cases.map((c) => ({
      name: c.name, pooling: c.pooling, normalize: c.normalize, loss: c.st, texts: c.texts, labels: c.labels ?? null,
      lossSeed: c.lossSeed ?? null, lossParameters: c.lossParameters ?? null, randomSamples: c.randomSamples ?? null,
      guide: c.guide ?? null,
    })),
  }));
  runPython('loss_reference.py', ['--cases', casesFile, '--out', dir]);
  const result = JSON.parse(fs.readFileSync(path.join(dir, 'result.json'), 'utf8')) as {
    cases: { name: string; loss: number; ids: number[][]; sampleCalls: number[][] }[];
  };
  const out: LossParityResult[] = [];
  for (const [i, c] of cases.entries()) {
    const want = result.cases[i];
    const enc = await loadAddon().NativeEncoder.create({ configJson: ref.configJson, pooling: c.pooling, normalize: c.normalize, device: 'cpu' });
    await enc.loadWeights(ref.weightsPath);
    if (c.lossSeed !== undefined) loadAddon().manualSeed(c.lossSeed);
    await enc.configureTraining({ losses: [c.spec], optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false });
    const { loss, gradients } = await enc.lossAndGradients({
      texts: pack(want.ids), numColumns: c.texts.length, labels: c.labels ? Float32Array.from(c.labels) : undefined,
    });
    const expected = readSafetensors(path.join(dir, `grads_${c.name}.safetensors`));
    const total = norm(Object.values(gradients).flatMap((g) => Array.from(g)));
    let worst = 0;
    let worstName = '';
    // Every encoder parameter and every parameter the loss owns ("losses.0.<name>"), on both sides.
    const names = [...new Set([...enc.parameterNames(), ...Object.keys(gradients)])];
    const missingNames = [...names.filter((n) => !expected[n]), ...Object.keys(expected).filter((n) => !gradients[n])];
    if (missingNames.length) throw new Error(`${c.name}: gradients on one side only: ${missingNames.join(', ')}`);
    for (const name of names) {
      const w = expected[name].data as Float32Array;
      if (analyticallyZeroGradient(name) || c.analyticallyZero?.includes(name)) {
        // Noise below 1e-7 of the total gradient on both sides is all that can be asked of it.
        worst = Math.max(worst, 0);
        // A loss that is exactly 0 has no gradient to scale by: then both sides must be exactly 0.
        const noise = total === 0 ? norm(gradients[name]) === 0 && norm(w) === 0 : norm(gradients[name]) / total <= 1e-7 && norm(w) / total <= 1e-7;
        if (!noise) worstName = `${name} (not noise-level)`;
        continue;
      }
      const err = total === 0 && norm(w) === 0 ? 0 : relativeError(gradients[name], w);
      if (!(err <= worst)) { worst = err; worstName = name; }
    }
    const lossErr = Math.abs(loss - want.loss) / Math.max(Math.abs(want.loss), 1e-12);
    out.push({
      name: c.name, lossErr, worstGradErr: worst, worstGradName: worstName, loss, stLoss: want.loss, gradNorm: total, sampleCalls: want.sampleCalls,
      report: `${c.name}: loss ${loss.toPrecision(8)} vs ${want.loss.toPrecision(8)} (rel ${lossErr.toExponential(2)}), worst grad rel err ${worst.toExponential(2)} (${worstName})`,
    });
  }
  return out;
}
