/** Runs transformers.js (ESM only) on an exported folder in a child Node process (transformersJsEmbed.mjs); model folders for the export tests. */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { repoRoot } from '../helpers/requirements';

/** Why transformers.js cannot run here, or null. */
export function transformersJsMissing(): string | null {
  try {
    require.resolve('@huggingface/transformers', { paths: [repoRoot] });
    return null;
  } catch {
    return '@huggingface/transformers is not installed (npm install)';
  }
}

/** transformers.js feature-extraction vectors of the texts with the exported folder `folder`, offline. */
export function transformersJsEmbed(folder: string, texts: string[], pooling: string, normalize: boolean): number[][] {
  const requestFile = `${folder}.request.json`;
  fs.writeFileSync(requestFile, JSON.stringify({ root: path.dirname(folder), name: path.basename(folder), texts, pooling, normalize }));
  const stdout = execFileSync(process.execPath, [path.join(__dirname, 'transformersJsEmbed.mjs'), requestFile], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
  return (JSON.parse(stdout) as { rows: number[][] }).rows;
}

/**
 * The texts, each cut by whole words until it fits max_seq_length: transformers.js 4.3 truncates longer ones by
 * cutting the tokenized text, final [SEP] included, where sentence-transformers and embedforge keep it.
 */
export function withinLimit(model: SentenceTransformer, texts: string[]): string[] {
  return texts.map((text) => {
    let words = text.split(' ');
    while (model.tokenize([words.join(' ')])[0].length >= model.maxSeqLength) words = words.slice(0, -1);
    return words.join(' ');
  });
}

/** A copy of a model folder with its pooling switched to CLS. */
export function withClsPooling(dir: string, out: string): string {
  fs.cpSync(dir, out, { recursive: true });
  const file = path.join(out, '1_Pooling', 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  for (const key of Object.keys(config)) if (key.startsWith('pooling_mode_')) config[key] = false;
  if ('pooling_mode' in config) config.pooling_mode = 'cls';
  else config.pooling_mode_cls_token = true;
  fs.writeFileSync(file, JSON.stringify(config));
  return out;
}
