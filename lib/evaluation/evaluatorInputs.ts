/**
 * What the sentence-transformers-style evaluators share when taking their inputs: option checks whose
 * errors name the option and the offending value, and encoding with the evaluator's truncate_dim.
 */
import type { EmbeddingModel } from './EmbeddingModel';
import { modelName, requireFiniteEmbeddings } from './finiteEmbeddings';

export function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`${what} must be a positive integer, got ${JSON.stringify(v)}`);
  return v;
}

export function optionalTruncateDim(v: unknown): number | undefined {
  return v === undefined || v === null ? undefined : positiveInt(v, 'truncateDim');
}

/** A list of strings; `what` names it ("anchors", "samples[3].negative") in errors. */
export function textList(values: unknown, what: string): string[] {
  if (!Array.isArray(values)) throw new Error(`${what} must be a list of strings, got ${values === null ? 'null' : typeof values}`);
  values.forEach((v, i) => {
    if (typeof v !== 'string') throw new Error(`${what}[${i}] must be a string, got ${JSON.stringify(v)}`);
  });
  return values as string[];
}

/** Lists that must be parallel: all of the first one's length, and not empty. */
export function checkParallel(lists: Record<string, readonly unknown[]>): number {
  const entries = Object.entries(lists);
  const [firstName, first] = entries[0];
  for (const [name, list] of entries.slice(1)) {
    if (list.length !== first.length) {
      throw new Error(`${firstName} and ${name} must have the same length: ${firstName} has ${first.length}, ${name} has ${list.length}`);
    }
  }
  if (first.length === 0) throw new Error(`${entries.map(([n]) => n).join(', ')} are empty: nothing to evaluate`);
  return first.length;
}

export interface EmbedSettings {
  batchSize: number;
  truncateDim: number | undefined;
  showProgressBar: boolean;
}

/** The width embeddings have after truncation; an error when truncateDim exceeds the model's width. */
export function embeddingWidth(model: EmbeddingModel, truncateDim: number | undefined): number {
  if (truncateDim !== undefined && truncateDim > model.embeddingDim) {
    throw new Error(`truncateDim ${truncateDim} exceeds the model's embedding dimension ${model.embeddingDim}`);
  }
  return truncateDim ?? model.embeddingDim;
}

/** model.encode with the evaluator's settings, checking the shape of what comes back. */
export async function embed(model: EmbeddingModel, texts: string[], s: EmbedSettings, what: string): Promise<Float32Array> {
  const dim = embeddingWidth(model, s.truncateDim);
  if (texts.length === 0) return new Float32Array(0);
  const emb = await model.encode(texts, { batchSize: s.batchSize, truncateDim: s.truncateDim, showProgressBar: s.showProgressBar });
  if (emb.length !== texts.length * dim) {
    throw new Error(`the model returned ${emb.length} values for ${texts.length} ${what}, expected ${texts.length} x ${dim}`);
  }
  requireFiniteEmbeddings(emb, dim, modelName(model), what);
  return emb;
}

/**
 * Embeds the distinct texts once and lays the rows out for each list in turn (BinaryClassificationEvaluator
 * embeds the set of its sentences; the others gain the same saving, with identical results).
 */
export async function embedLists(model: EmbeddingModel, lists: string[][], s: EmbedSettings, what: string): Promise<Float32Array[]> {
  const dim = embeddingWidth(model, s.truncateDim);
  const index = new Map<string, number>();
  for (const list of lists) for (const t of list) if (!index.has(t)) index.set(t, index.size);
  const unique = await embed(model, [...index.keys()], s, what);
  return lists.map((list) => {
    const out = new Float32Array(list.length * dim);
    list.forEach((t, i) => {
      const r = index.get(t)!;
      out.set(unique.subarray(r * dim, (r + 1) * dim), i * dim);
    });
    return out;
  });
}

/** Python's max(): the first value, replaced by each later one that compares greater (NaN never does, nor is it replaced). */
export function pythonMax(values: readonly number[]): number {
  let best = values[0];
  for (const v of values.slice(1)) if (v > best) best = v;
  return best;
}
