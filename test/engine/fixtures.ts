/** Shared by the engine tests: the Python reference (generated once into test/.cache), packing, error metrics. */
import * as fs from 'fs';
import * as path from 'path';

import type { PackedTexts } from '../../lib/binding/AddonTypes';
import { cacheDir, repoRoot, runPython } from '../helpers/requirements';

export interface LossCase {
  name: string;
  pooling: 'cls' | 'mean' | 'max' | 'lasttoken';
  normalize: boolean;
  loss: 'MultipleNegativesRankingLoss' | 'MultipleNegativesSymmetricRankingLoss';
  similarity: 'cosine' | 'dot';
  scale: number;
  columns: number;
  matryoshka?: { dims: number[]; weights: number[] };
  lossValue: number;
}

export interface Reference {
  dir: string;
  configJson: string;
  weightsPath: string;
  batchSize: number;
  /** Token ids of (anchor, positive, hard-negative) columns, batchSize texts each. */
  columns: number[][][];
  lossCases: LossCase[];
  adamw: {
    microBatches: number[][][][];
    losses: number[];
    learningRates: number[];
    gradNorms: number[];
    accumulation: number;
    weight_decay: number;
    beta1: number;
    beta2: number;
    eps: number;
    max_grad_norm: number;
  };
}

/** Generates the reference with the venv's sentence-transformers when missing or older than its script. */
export function engineReference(): Reference {
  const dir = path.join(cacheDir, 'engine-reference-tiny');
  const json = path.join(dir, 'reference.json');
  const script = path.join(repoRoot, 'scripts', 'reference', 'engine_reference.py');
  if (!fs.existsSync(json) || fs.statSync(json).mtimeMs < fs.statSync(script).mtimeMs) {
    runPython('engine_reference.py', ['--out', dir, '--shape', 'tiny']);
  }
  const ref = JSON.parse(fs.readFileSync(json, 'utf8'));
  return {
    ...ref,
    dir,
    configJson: fs.readFileSync(path.join(dir, 'model', 'config.json'), 'utf8'),
    weightsPath: path.join(dir, 'model', 'model.safetensors'),
  };
}

export function pack(texts: number[][]): PackedTexts {
  const cu = new Int32Array(texts.length + 1);
  texts.forEach((t, i) => { cu[i + 1] = cu[i] + t.length; });
  const ids = new Int32Array(cu[texts.length]);
  texts.forEach((t, i) => ids.set(t, cu[i]));
  return { inputIds: ids, cuSeqlens: cu };
}

/** ||a - b|| / ||b||, in float64. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < a.length; i++) {
    diff += (a[i] - b[i]) ** 2;
    norm += b[i] ** 2;
  }
  return Math.sqrt(diff) / Math.sqrt(norm);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** A tiny BERT config.json (no Python needed); overrides replace fields. */
export function tinyConfig(overrides: Record<string, unknown> = {}): string {
  return JSON.stringify({
    architectures: ['BertModel'], model_type: 'bert', vocab_size: 1000, hidden_size: 32, num_hidden_layers: 2,
    num_attention_heads: 4, intermediate_size: 37, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
    attention_probs_dropout_prob: 0.1, max_position_embeddings: 128, type_vocab_size: 2, initializer_range: 0.02,
    layer_norm_eps: 1e-12, pad_token_id: 0, position_embedding_type: 'absolute', ...overrides,
  });
}

/** Deterministic pseudo-random token ids: `count` texts of lengths cycling through [minLen, maxLen]. */
export function syntheticTexts(count: number, minLen: number, maxLen: number, vocab: number, seed = 1): number[][] {
  let s = seed;
  const next = () => { s = (s * 1103515245 + 12345) % 2147483648; return s; };
  const texts: number[][] = [];
  for (let i = 0; i < count; i++) {
    const len = minLen + (i * 7) % (maxLen - minLen + 1);
    const t = [101 % vocab];
    for (let j = 1; j < len - 1; j++) t.push(1 + (next() % (vocab - 1)));
    t.push(102 % vocab);
    texts.push(t);
  }
  return texts;
}
