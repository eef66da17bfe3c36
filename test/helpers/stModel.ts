/**
 * A tiny BERT (or RoBERTa, XLM-RoBERTa, MPNet, ModernBERT) folder made by sentence-transformers itself
 * (scripts/reference/st_models.py): the real all-MiniLM-L6-v2 tokenizer, mean pooling + Normalize, hidden 64, 2 layers, dropout 0 (so that trajectories
 * can be compared step by step). Made once and cached in test/.cache, keyed by the script and its arguments.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cacheDir, repoRoot, runPython, sharedData } from './requirements';

export type Arch = 'bert' | 'roberta' | 'xlm-roberta' | 'mpnet' | 'modernbert';

/** The tiny model of an architecture (default BERT); the others are made by transformers' own classes, same shape.
 *  initRange: the config's initializer_range (default transformers'); a larger one makes texts' embeddings far apart. */
export function tinyStModel(arch: Arch = 'bert', options: { initRange?: number } = {}): string {
  const args = ['make', ...(arch === 'bert' ? [] : ['--arch', arch]), '--tokenizer', path.join(sharedData, 'models', 'all-MiniLM-L6-v2'), '--pooling', 'mean', '--normalize',
    '--hidden', '64', '--layers', '2', '--heads', '4', '--intermediate', '128', '--max-seq-length', '64', '--dropout', '0', '--seed', '0',
    ...(options.initRange === undefined ? [] : ['--init-range', String(options.initRange)])];
  const script = fs.readFileSync(path.join(repoRoot, 'scripts', 'reference', 'st_models.py'), 'utf8');
  const key = [script, ...args].reduce((h, p) => h.update(p).update('\0'), createHash('sha256')).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, 'trainer-parity', `model-${key}`);
  if (!fs.existsSync(path.join(dir, 'model.safetensors'))) {
    fs.rmSync(dir, { recursive: true, force: true });
    runPython('st_models.py', [...args, '--out', dir]);
  }
  return dir;
}
