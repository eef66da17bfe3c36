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
import { architectureOf, maxTextLength } from './architectures';

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
  } catch (e) {
    throw new Error(`${what}: cannot read ${file} (${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message})`);
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    const position = /position (\d+)/.exec((e as Error).message);
    const line = position ? ` line ${text.slice(0, Number(position[1])).split('\n').length}` : '';
    throw new Error(`${what}: ${file} is not valid JSON${line ? ` (at${line})` : ''} (${(e as Error).message})`);
  }
}

/**
 * The Hugging Face config keys the engine reads, checked here so that an error names the file and the key
 * (the engine's own checks, deeper down, know neither the folder nor the path).
 */
const CONFIG_INTEGERS: [string, number][] = [
  ['hidden_size', 1], ['num_hidden_layers', 1], ['num_attention_heads', 1], ['intermediate_size', 1],
  ['max_position_embeddings', 1], ['type_vocab_size', 1], ['vocab_size', 1], ['pad_token_id', 0],
];
const CONFIG_NUMBERS = ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'layer_norm_eps', 'initializer_range'];
const CONFIG_STRINGS = ['model_type', 'hidden_act', 'hidden_activation', 'position_embedding_type'];

export function checkModelConfig(config: unknown, file: string): void {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new Error(`${file}: expected a JSON object (the model's Hugging Face config)`);
  const c = config as Record<string, unknown>;
  const given = (key: string) => c[key] !== undefined && c[key] !== null;
  for (const [key, min] of CONFIG_INTEGERS) {
    if (given(key) && (!Number.isInteger(c[key]) || (c[key] as number) < min)) throw new Error(`${file}: "${key}" must be an integer >= ${min}, got ${JSON.stringify(c[key])}`);
  }
  for (const key of CONFIG_NUMBERS) {
    if (given(key) && typeof c[key] !== 'number') throw new Error(`${file}: "${key}" must be a number, got ${JSON.stringify(c[key])}`);
  }
  for (const key of CONFIG_STRINGS) {
    if (given(key) && typeof c[key] !== 'string') throw new Error(`${file}: "${key}" must be a string, got ${JSON.stringify(c[key])}`);
  }
  architectureOf(c, file);
  const heads = c.num_attention_heads as number | undefined;
  if (given('hidden_size') && given('num_attention_heads') && (c.hidden_size as number) % heads! !== 0) {
    throw new Error(`${file}: "hidden_size" ${c.hidden_size} is not a multiple of "num_attention_heads" ${heads}`);
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
  const modulesPath = path.join(dir, 'modules.json');
  if (modules !== null && !Array.isArray(modules)) throw new Error(`${modulesPath}: expected a list of modules`);

  let transformerDir = dir;
  let pooling: PoolingMode = 'mean';
  let normalize = false;
  if (modules) {
    modules.forEach((m, i) => {
      if (m === null || typeof m !== 'object' || typeof m.type !== 'string') throw new Error(`${modulesPath}: entry ${i} must be an object with a "type" string, got ${JSON.stringify(m)}`);
      if (m.path !== undefined && typeof m.path !== 'string') throw new Error(`${modulesPath}: entry ${i} ("${m.type}"): "path" must be a string, got ${JSON.stringify(m.path)}`);
    });
    const kinds = modules.map((m, i) => ({ ...m, index: i, kind: moduleKind(String(m.type ?? '')) }));
    const other = kinds.find((m) => m.kind === 'other');
    if (other) throw new Error(`${modulesPath}: module type "${other.type}" is not supported (Transformer, Pooling, Normalize)`);
    const tr = kinds.find((m) => m.kind === 'transformer');
    if (!tr) throw new Error(`${modulesPath}: no Transformer module`);
    /** A module's folder, which must exist: the error names modules.json's entry and its "path". */
    const moduleDir = (m: (typeof kinds)[number]): string => {
      const p = path.join(dir, m.path ?? '');
      if (!fs.existsSync(p) || !fs.statSync(p).isDirectory()) {
        throw new Error(`${modulesPath}: entry ${m.index} (${m.type}) has "path": ${JSON.stringify(m.path ?? '')}, but ${p} is not a folder`);
      }
      return p;
    };
    transformerDir = moduleDir(tr);
    const pool = kinds.find((m) => m.kind === 'pooling');
    if (pool) {
      const file = path.join(moduleDir(pool), 'config.json');
      if (!fs.existsSync(file)) throw new Error(`${modulesPath}: entry ${pool.index} (${pool.type}) has "path": ${JSON.stringify(pool.path ?? '')}, but ${file} does not exist`);
      pooling = poolingFromConfig(readJson(file, 'pooling config'), file);
    }
    normalize = kinds.some((m) => m.kind === 'normalize');
  }

  const configPath = path.join(transformerDir, 'config.json');
  if (!fs.existsSync(configPath)) throw new Error(`model folder ${dir} has no config.json (the Transformer's Hugging Face config): ${configPath} does not exist`);
  const configJson = fs.readFileSync(configPath, 'utf8');
  const config = readJson(configPath, 'model config');
  checkModelConfig(config, configPath);
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
  // The position table less RoBERTa-style offsets: max_position_embeddings 514 holds 512 tokens there.
  const maxPos = maxTextLength(config, architectureOf(config, configPath));
  // sentence_bert_config's max_seq_length wins; otherwise the tokenizer's model_max_length capped at the position table.
  let maxSeqLength: number;
  const stConfigPath = path.join(transformerDir, 'sentence_bert_config.json');
  if (stConfig.max_seq_length !== undefined && stConfig.max_seq_length !== null && (!Number.isInteger(stConfig.max_seq_length) || (stConfig.max_seq_length as number) < 1)) {
    throw new Error(`${stConfigPath}: "max_seq_length" must be a positive integer, got ${JSON.stringify(stConfig.max_seq_length)}`);
  }
  if (typeof stConfig.max_seq_length === 'number') maxSeqLength = stConfig.max_seq_length;
  else if (typeof tokConfig.model_max_length === 'number' && tokConfig.model_max_length < 1e9) maxSeqLength = Math.min(tokConfig.model_max_length, maxPos);
  else maxSeqLength = maxPos;
  if (maxSeqLength > maxPos) {
    throw new Error(`${stConfigPath}: max_seq_length ${maxSeqLength} exceeds the ${maxPos} tokens the model's position table holds (${configPath})`);
  }

  const sentenceTransformersConfig = optionalJson(path.join(dir, 'config_sentence_transformers.json'), 'config_sentence_transformers.json') ?? {};
  const simName = String(sentenceTransformersConfig.similarity_fn_name ?? 'cosine');
  const similarityFunction: SimilarityFunction = simName === 'dot' || simName === 'dot_product' ? 'dot' : 'cosine';

  return {
    dir, configJson, config, weightsPath, transformerDir, maxSeqLength,
    doLowerCase: stConfig.do_lower_case === true, pooling, normalize, similarityFunction, sentenceTransformersConfig,
  };
}
