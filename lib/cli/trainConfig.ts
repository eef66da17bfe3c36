/**
 * The `embedforge train --config FILE` file, JSON or YAML:
 *
 *   model: BAAI/bge-base-en-v1.5   # a local folder, else a hub id; or {path, device, revision}
 *   train_data: {path: train.jsonl, columns: [anchor, positive], rename: {question: anchor}, test_size: 0.1}
 *     # or several named datasets, each with its own loss (multi-dataset training):
 *     # train_data: {pairs: {path: pairs.jsonl, loss: MultipleNegativesRankingLoss}, sts: {path: sts.csv, loss: CoSENTLoss}}
 *   eval_data: test.jsonl                               # optional: pairs or {queries, corpus, relevant_docs}
 *   eval_dataset: val.jsonl                             # optional: rows whose loss is logged as eval_loss (same shapes as train_data)
 *   loss: {name: MatryoshkaLoss, loss: MultipleNegativesRankingLoss, matryoshka_dims: [768, 512, 256, 128, 64]}
 *   evaluator: {matryoshka_dims: [768, 512, 256, 128, 64], score_functions: [cosine]}   # or {type: triplet, ...}, or a list: see buildEvaluator.ts
 *   args: {output_dir: out, num_train_epochs: 4, per_device_train_batch_size: 32, ...}
 *
 * Relative paths resolve against the config file's folder. Training arguments keep the tutorials'
 * names (snake_case); camelCase works too.
 */
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { z } from 'zod';
import { evaluatorConfigSchema } from './buildEvaluator';

const dataSpec = z.union([
  z.string(),
  z.object({
    path: z.string(),
    columns: z.array(z.string()).optional(),
    rename: z.record(z.string(), z.string()).optional(),
    test_size: z.number().positive().optional(),
    seed: z.number().int().optional(),
    id_column: z.string().optional(),
  }).strict(),
]);

const lossSpec = z.union([z.string(), z.object({ name: z.string() }).passthrough()]);

/** One of several named datasets: a data spec with its own loss. */
const namedDataSpec = z.union([
  z.string(),
  z.object({
    path: z.string(),
    columns: z.array(z.string()).optional(),
    rename: z.record(z.string(), z.string()).optional(),
    loss: lossSpec.optional(),
  }).strict(),
]);

/** One dataset, or a map of named datasets (a path-less object is a map). */
const datasets = z.union([dataSpec, z.record(z.string(), namedDataSpec)]);

const schema = z.object({
  model: z.union([z.string(), z.object({ path: z.string(), device: z.string().optional(), revision: z.string().optional() }).strict()]),
  train_data: datasets,
  eval_data: dataSpec.optional(),
  eval_dataset: datasets.optional(),
  loss: lossSpec.optional(),
  evaluator: evaluatorConfigSchema.optional(),
  args: z.record(z.string(), z.unknown()).optional(),
}).strict();

export type TrainConfig = z.infer<typeof schema>;
export type DataSpec = z.infer<typeof dataSpec>;
export type DatasetsSpec = z.infer<typeof datasets>;
export type NamedDataSpec = z.infer<typeof namedDataSpec>;

/** True for a map of named datasets (no `path` of its own). */
export function isDatasetMap(spec: DatasetsSpec): spec is Record<string, NamedDataSpec> {
  return typeof spec === 'object' && spec !== null && typeof (spec as { path?: unknown }).path !== 'string';
}

export interface NormalizedData {
  path: string;
  columns?: string[];
  rename?: Record<string, string>;
  testSize?: number;
  seed?: number;
  idColumn?: string;
}

export function normalizeData(spec: DataSpec, baseDir: string): NormalizedData {
  const s = typeof spec === 'string' ? { path: spec } : spec;
  return {
    path: path.resolve(baseDir, s.path), columns: 'columns' in s ? s.columns : undefined, rename: 'rename' in s ? s.rename : undefined,
    testSize: 'test_size' in s ? s.test_size : undefined, seed: 'seed' in s ? s.seed : undefined, idColumn: 'id_column' in s ? s.id_column : undefined,
  };
}

/** Parses and checks a config file; errors name the file and the key. */
export function readTrainConfig(file: string): { config: TrainConfig; baseDir: string } {
  if (!fs.existsSync(file)) throw new Error(`config file ${file} does not exist`);
  const text = fs.readFileSync(file, 'utf8');
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text);
  } catch (e) {
    throw new Error(`${file}: cannot parse: ${(e as Error).message}`);
  }
  return { config: validateTrainConfig(raw ?? {}, file), baseDir: path.dirname(path.resolve(file)) };
}

export function validateTrainConfig(raw: unknown, source: string): TrainConfig {
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new Error(`${source}: invalid config:\n  ${problems.join('\n  ')}`);
  }
  return parsed.data;
}

/** `key=value` overrides from the command line, the value read as YAML (numbers, booleans, lists). */
export function parseOverrides(pairs: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new Error(`--set ${p}: expected key=value, e.g. --set num_train_epochs=2`);
    out[p.slice(0, eq).replace(/-/g, '_')] = YAML.parse(p.slice(eq + 1));
  }
  return out;
}
