/**
 * Reads the sentence-transformers model folder layout: modules.json naming a Transformer, a Pooling and
 * optionally a Normalize module, plus their configs. Both the classic layout (sentence-transformers 2-5:
 * `sentence_transformers.models.*`, pooling_mode_*_token flags, max_seq_length in
 * sentence_bert_config.json) and the 6.x layout (`sentence_transformers.base.modules.*`,
 * `pooling_mode`, max length in tokenizer_config.json) are understood. A plain Hugging Face folder
 * without modules.json gets mean pooling, as sentence-transformers gives it.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PoolingMode, SimilarityFunction } from '../binding/AddonTypes';

export interface ModelFolderInfo {
  dir: string;
  configJson: string;
  config: Record<string, unknown>;
  weightsPath: string;
  /** Path of the Transformer module's files (the folder itself in practice). */
  transformerDir: string;
  maxSeqLength: number;
  doLowerCase: boolean;
  pooling: PoolingMode;
  normalize: boolean;
  similarityFunction: SimilarityFunction;
  /** config_sentence_transformers.json as found, to carry prompts and versions through a save. */
  sentenceTransformersConfig: Record<string, unknown>;
}

function readJson(file: string, what: string): Record<string, unknown> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${what}: cannot read ${file}`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${what}: ${file} is not valid JSON (${(e as Error).message})`);
  }
}

function optionalJson(file: string, what: string): Record<string, unknown> | null {
  return fs.existsSync(file) ? readJson(file, what) : null;
}

interface ModuleEntry { idx?: number; name?: string; path?: string; type?: string }

function moduleKind(type: string): 'transformer' | 'pooling' | 'normalize' | 'other' {
  const last = type.split('.').pop() ?? '';
  if (last === 'Transformer') return 'transformer';
  if (last === 'Pooling') return 'pooling';
  if (last === 'Normalize') return 'normalize';
  return 'other';
}

export function poolingFromConfig(cfg: Record<string, unknown>, file: string): PoolingMode {
  if (typeof cfg.pooling_mode === 'string') {
    const mode = cfg.pooling_mode;
    if (mode === 'cls' || mode === 'mean' || mode === 'max' || mode === 'lasttoken') return mode;
    throw new Error(`${file}: pooling_mode "${mode}" is not supported (cls, mean, max, lasttoken)`);
  }
  const flags: [string, PoolingMode | null][] = [
    ['pooling_mode_cls_token', 'cls'], ['pooling_mode_mean_tokens', 'mean'], ['pooling_mode_max_tokens', 'max'],
    ['pooling_mode_lasttoken', 'lasttoken'], ['pooling_mode_mean_sqrt_len_tokens', null], ['pooling_mode_weightedmean_tokens', null],
  ];
  const on = flags.filter(([k]) => cfg[k] === true);
  if (on.length !== 1 || on[0][1] === null) {
    throw new Error(`${file}: embedforge supports exactly one of cls, mean, max or lasttoken pooling; the config enables ${on.map(([k]) => k).join(', ') || 'none'}`);
  }
  return on[0][1];
}

export function readModelFolder(dir: string): ModelFolderInfo {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`model folder ${dir} does not exist`);
  const modules = fs.existsSync(path.join(dir, 'modules.json'))
    ? (readJson(path.join(dir, 'modules.json'), 'modules.json') as unknown as ModuleEntry[])
    : null;
  if (modules !== null && !Array.isArray(modules)) throw new Error(`${path.join(dir, 'modules.json')}: expected a list of modules`);

  let transformerDir = dir;
  let pooling: PoolingMode = 'mean';
  let normalize = false;
  if (modules) {
    const kinds = modules.map((m) => ({ ...m, kind: moduleKind(String(m.type ?? '')) }));
    const other = kinds.find((m) => m.kind === 'other');
    if (other) throw new Error(`${path.join(dir, 'modules.json')}: module type "${other.type}" is not supported (Transformer, Pooling, Normalize)`);
    const tr = kinds.find((m) => m.kind === 'transformer');
    if (!tr) throw new Error(`${path.join(dir, 'modules.json')}: no Transformer module`);
    transformerDir = path.join(dir, tr.path ?? '');
    const pool = kinds.find((m) => m.kind === 'pooling');
    if (pool) {
      const file = path.join(dir, pool.path ?? '', 'config.json');
      pooling = poolingFromConfig(readJson(file, 'pooling config'), file);
    }
    normalize = kinds.some((m) => m.kind === 'normalize');
  }

  const configPath = path.join(transformerDir, 'config.json');
  if (!fs.existsSync(configPath)) throw new Error(`model folder ${dir} has no config.json (the Transformer's Hugging Face config)`);
  const configJson = fs.readFileSync(configPath, 'utf8');
  const config = readJson(configPath, 'model config');
  const weightsPath = path.join(transformerDir, 'model.safetensors');
  if (!fs.existsSync(weightsPath)) {
    const bin = fs.existsSync(path.join(transformerDir, 'pytorch_model.bin'));
    throw new Error(`model folder ${dir} has no model.safetensors${bin ? ' (only pytorch_model.bin: embedforge reads safetensors only; convert with safetensors)' : ''}`);
  }
  if (!fs.existsSync(path.join(transformerDir, 'tokenizer.json'))) {
    throw new Error(`model folder ${dir} has no tokenizer.json (a fast-tokenizer file is required)`);
  }

  const stConfig = optionalJson(path.join(transformerDir, 'sentence_bert_config.json'), 'sentence_bert_config.json') ?? {};
  const tokConfig = optionalJson(path.join(transformerDir, 'tokenizer_config.json'), 'tokenizer_config.json') ?? {};
  const maxPos = typeof config.max_position_embeddings === 'number' ? config.max_position_embeddings : 512;
  // sentence_bert_config's max_seq_length wins; otherwise the tokenizer's model_max_length capped at the position table.
  let maxSeqLength: number;
  if (typeof stConfig.max_seq_length === 'number') maxSeqLength = stConfig.max_seq_length;
  else if (typeof tokConfig.model_max_length === 'number' && tokConfig.model_max_length < 1e9) maxSeqLength = Math.min(tokConfig.model_max_length, maxPos);
  else maxSeqLength = maxPos;
  if (maxSeqLength > maxPos) {
    throw new Error(`${dir}: max_seq_length ${maxSeqLength} exceeds the model's max_position_embeddings ${maxPos}`);
  }

  const sentenceTransformersConfig = optionalJson(path.join(dir, 'config_sentence_transformers.json'), 'config_sentence_transformers.json') ?? {};
  const simName = String(sentenceTransformersConfig.similarity_fn_name ?? 'cosine');
  const similarityFunction: SimilarityFunction = simName === 'dot' || simName === 'dot_product' ? 'dot' : 'cosine';

  return {
    dir, configJson, config, weightsPath, transformerDir, maxSeqLength,
    doLowerCase: stConfig.do_lower_case === true, pooling, normalize, similarityFunction, sentenceTransformersConfig,
  };
}
