/**
 * Which files of a hub repository a sentence-transformers folder needs: the configs, the tokenizer, the model
 * card and safetensors weights at the top level and in each module folder modules.json names (1_Pooling,
 * 2_Dense, ...). Other weight formats (pytorch_model.bin, onnx/, openvino/, TensorFlow, Flax) are left on the hub.
 */
import * as path from 'path';

const TOP_LEVEL_FILES = new Set([
  'modules.json', 'config_sentence_transformers.json', 'sentence_bert_config.json', 'config.json', 'README.md',
  'tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'added_tokens.json',
  'vocab.txt', 'vocab.json', 'merges.txt', 'sentencepiece.bpe.model', 'spiece.model', 'tokenizer.model',
  'model.safetensors', 'model.safetensors.index.json',
]);
const SHARD = /^model-\d+-of-\d+\.safetensors$/;

/** The module folders modules.json lists (its `path` entries other than the top level). */
export function moduleFolders(modulesJson: string, source: string): string[] {
  let modules: unknown;
  try {
    modules = JSON.parse(modulesJson);
  } catch (e) {
    throw new Error(`${source}: not valid JSON (${(e as Error).message})`);
  }
  if (!Array.isArray(modules)) throw new Error(`${source}: expected a list of modules`);
  return modules.map((m) => (m as { path?: unknown }).path).filter((p): p is string => typeof p === 'string' && p !== '' && p !== '.')
    .map((p) => p.replace(/\/+$/, ''));
}

/** The repository files (paths as the hub lists them) that loading the model needs. */
export function neededModelFiles(repoFiles: string[], modules: string[]): string[] {
  const moduleSet = new Set(modules);
  return repoFiles.filter((file) => {
    const dir = path.posix.dirname(file);
    const name = path.posix.basename(file);
    if (dir === '.') return TOP_LEVEL_FILES.has(name) || SHARD.test(name);
    return moduleSet.has(dir) && (TOP_LEVEL_FILES.has(name) || name.endsWith('.json') || name.endsWith('.safetensors'));
  });
}
