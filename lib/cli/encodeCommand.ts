import * as fs from 'fs';
import * as path from 'path';

import { requireFiniteEmbeddings } from '../evaluation/finiteEmbeddings';
import { SentenceTransformer } from '../models/SentenceTransformer';
import { writeFileAtomic } from '../training/atomicWrite';
import { encodeNpy } from './npy';

export interface EncodeCommandOptions {
  /** A model folder or a hub id. */
  model: string;
  /** Hub revision of `model`. */
  revision?: string;
  input: string;
  output: string;
  column?: string;
  batchSize?: number;
  normalize?: boolean;
  truncateDim?: number;
  device?: string;
}

/**
 * Texts of the input: one per line of a text file, or the `column` (default "text", else the only
 * string field) of each JSON line. Errors name the line.
 */
export function readInputTexts(file: string, column?: string): string[] {
  if (!fs.existsSync(file)) throw new Error(`input ${file} does not exist`);
  const lines = fs.readFileSync(file, 'utf8').split(/\r?\n/);
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (lines.length === 0) throw new Error(`input ${file} is empty`);
  const jsonl = /\.(jsonl|ndjson)$/i.test(file) || (column !== undefined && lines[0].trimStart().startsWith('{'));
  if (!jsonl) {
    lines.forEach((l, i) => {
      if (l.trim() === '') throw new Error(`${file} line ${i + 1}: empty text`);
    });
    return lines;
  }
  return lines.map((line, i) => {
    let obj: unknown;
    try {
      obj = JSON.parse(line);
    } catch (e) {
      throw new Error(`${file} line ${i + 1}: malformed JSON: ${(e as Error).message}`);
    }
    if (obj === null || typeof obj !== 'object') throw new Error(`${file} line ${i + 1}: expected a JSON object`);
    const rec = obj as Record<string, unknown>;
    let key = column;
    if (key === undefined) {
      const strings = Object.keys(rec).filter((k) => typeof rec[k] === 'string');
      key = 'text' in rec ? 'text' : strings.length === 1 ? strings[0] : undefined;
      if (key === undefined) throw new Error(`${file} line ${i + 1}: several text fields (${strings.join(', ')}): choose one with --column`);
    }
    const v = rec[key];
    if (v === undefined) throw new Error(`${file} line ${i + 1}: no column '${key}' (columns: ${Object.keys(rec).join(', ')})`);
    if (typeof v !== 'string' || v.trim() === '') throw new Error(`${file} line ${i + 1}: column '${key}' must be a non-empty string, got ${JSON.stringify(v)}`);
    return v;
  });
}

/** Writes the file, or throws an error naming it and the cause (a missing or read-only folder, a full disk). */
async function writeOutput(file: string, data: string | Uint8Array): Promise<void> {
  try {
    await writeFileAtomic(file, data);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const dir = path.dirname(path.resolve(file));
    const cause = err.code === 'ENOENT' && !fs.existsSync(dir) ? `its folder ${dir} does not exist`
      : err.code === 'EACCES' || err.code === 'EPERM' ? `no permission to write in ${dir}`
      : err.code === 'EROFS' ? `${dir} is on a read-only filesystem`
      : err.code === 'ENOSPC' ? 'the disk is full'
      : err.code === 'ENOTDIR' ? `${dir} is not a folder`
      : err.code === 'EISDIR' ? `${path.resolve(file)} is a folder`
      : err.message;
    throw new Error(`--output ${file}: cannot write the embeddings: ${cause}`);
  }
}

/**
 * `embedforge encode`: embeddings of every input text to .npy (float32 matrix) or .jsonl ({"embedding": [...]} a line).
 * Resolves only once the file is complete in place; embeddings holding NaN or Inf are refused, not written.
 */
export async function encodeCommand(o: EncodeCommandOptions): Promise<{ rows: number; dim: number }> {
  if (!/\.(npy|jsonl)$/i.test(o.output)) throw new Error(`--output ${o.output}: use a .npy or .jsonl file name`);
  // A missing folder is found before the texts are embedded, not after.
  const outDir = path.dirname(path.resolve(o.output));
  if (!fs.existsSync(outDir)) throw new Error(`--output ${o.output}: cannot write the embeddings: its folder ${outDir} does not exist`);
  const texts = readInputTexts(o.input, o.column);
  const model = await SentenceTransformer.load(o.model, { device: o.device, revision: o.revision });
  let emb: Float32Array;
  try {
    emb = await model.encode(texts, { batchSize: o.batchSize, normalizeEmbeddings: o.normalize, truncateDim: o.truncateDim });
  } finally {
    await model.dispose(); // only the embeddings are needed from here on
  }
  const dim = emb.length / texts.length;
  requireFiniteEmbeddings(emb, dim, `model ${o.model}`, `lines of ${o.input}`);
  if (/\.npy$/i.test(o.output)) {
    await writeOutput(o.output, encodeNpy(emb, texts.length, dim));
  } else {
    const lines = texts.map((_, i) => JSON.stringify({ embedding: Array.from(emb.subarray(i * dim, (i + 1) * dim)) }));
    await writeOutput(o.output, lines.join('\n') + '\n');
  }
  return { rows: texts.length, dim };
}
