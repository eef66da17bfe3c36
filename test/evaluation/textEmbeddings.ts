/**
 * Fixtures for the pair/triplet/reranking/paraphrase evaluators' parity tests: real texts from the shared
 * data (STS benchmark pairs with their gold scores, legal questions and passages), and a model whose
 * encode looks each text up in a table of seeded random vectors, the same table the Python reference's
 * stand-in model is given.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SimilarityFunction } from '../../lib/binding/AddonTypes';
import type { EmbeddingModel, EncodeOptions } from '../../lib/evaluation/EmbeddingModel';
import { sharedData } from '../helpers/requirements';
import { gaussian, seededRandom } from './storedEmbeddings';

export class TextEmbeddingModel implements EmbeddingModel {
  readonly encodeCalls: { texts: string[]; options?: EncodeOptions }[] = [];
  private readonly rows: Map<string, number[]>;

  constructor(readonly table: EmbeddingTable, readonly similarityFnName: SimilarityFunction = 'cosine') {
    this.rows = new Map(table.texts.map((t, i) => [t, table.vectors[i]]));
  }

  get embeddingDim(): number {
    return this.table.vectors[0].length;
  }

  async encode(texts: string[], options: EncodeOptions = {}): Promise<Float32Array> {
    this.encodeCalls.push({ texts, options });
    const dim = options.truncateDim ?? this.embeddingDim;
    const out = new Float32Array(texts.length * dim);
    texts.forEach((t, i) => {
      const row = this.rows.get(t);
      if (!row) throw new Error(`TextEmbeddingModel: no vector for ${JSON.stringify(t.slice(0, 60))}`);
      out.set(row.slice(0, dim), i * dim);
    });
    return out;
  }
}

export interface EmbeddingTable {
  texts: string[];
  vectors: number[][];
}

/** Builds the text -> vector table; each text gets its vector once, from `make` (which may look at earlier ones). */
export class TableBuilder {
  readonly texts: string[] = [];
  readonly vectors: number[][] = [];
  private readonly index = new Map<string, number>();

  constructor(readonly dim: number, readonly rand: () => number) {}

  has(text: string): boolean {
    return this.index.has(text);
  }

  get(text: string): number[] {
    const i = this.index.get(text);
    if (i === undefined) throw new Error(`no vector yet for ${text}`);
    return this.vectors[i];
  }

  /** Sets the text's vector unless it has one; returns the text's vector. Entries are rounded to float32. */
  add(text: string, make: () => number[]): number[] {
    if (!this.index.has(text)) {
      this.index.set(text, this.texts.length);
      this.texts.push(text);
      this.vectors.push(make().map(Math.fround));
    }
    return this.get(text);
  }

  /** A random vector of norm about `scale`. */
  random(scale = 1): number[] {
    const s = scale / Math.sqrt(this.dim);
    return Array.from({ length: this.dim }, () => gaussian(this.rand) * s);
  }

  /** base * keep + noise of norm about `noise`. */
  near(base: number[], keep: number, noise: number): number[] {
    const r = this.random(noise);
    return base.map((v, d) => v * keep + r[d]);
  }

  /**
   * A vector with entries in {-1, 0, 1}: 4 non-zeros in the first half, 12 in the second, so every
   * cosine, dot, euclidean and manhattan score (full or truncated to half) is exact in float32 whatever
   * the summation order, and equal scores are reproducible ties.
   */
  dyadic(): number[] {
    if (this.dim % 2 !== 0 || this.dim / 2 < 12) throw new Error(`dyadic vectors need an even dim of at least 24, got ${this.dim}`);
    const v = new Array<number>(this.dim).fill(0);
    const half = this.dim / 2;
    const place = (from: number, to: number, count: number) => {
      for (let placed = 0; placed < count;) {
        const i = from + Math.floor(this.rand() * (to - from));
        if (v[i] === 0) {
          v[i] = this.rand() < 0.5 ? -1 : 1;
          placed++;
        }
      }
    };
    place(0, half, 4);
    place(half, this.dim, 12);
    return v;
  }

  table(): EmbeddingTable {
    return { texts: [...this.texts], vectors: this.vectors.map((v) => [...v]) };
  }
}

export function newTable(dim: number, seed: number): TableBuilder {
  return new TableBuilder(dim, seededRandom(seed));
}

export interface StsPair {
  sentence1: string;
  sentence2: string;
  score: number;
}

/** STS benchmark pairs (tab-separated: genre, file, year, id, score, sentence1, sentence2). */
export function stsPairs(split: 'dev' | 'test' | 'train', count: number, offset = 0): StsPair[] {
  const file = path.join(sharedData, 'stsbenchmark', `sts-${split}.csv`);
  const out: StsPair[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const f = line.split('\t');
    if (f.length !== 7) continue; // a few lines carry extra source fields
    out.push({ score: Number(f[4]), sentence1: f[5], sentence2: f[6] });
  }
  return out.slice(offset, offset + count);
}
