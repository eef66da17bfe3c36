/**
 * What a test needs beyond Node: the built addon, the Python reference (sentence-transformers in the
 * project's virtualenv), a CUDA device, the shared data folder. A suite whose prerequisite is absent is
 * skipped visibly: describe.skip plus one line on stderr naming what is missing and how to get it.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const sharedData = path.resolve(repoRoot, '..', 'shared', 'data');
/** Scratch space for generated fixtures and reference outputs (git-ignored). */
export const cacheDir = path.join(repoRoot, 'test', '.cache');

let pythonPath: string | null | undefined;

/** The virtualenv's python (EMBEDFORGE_VENV or the path scripts/setup-python.sh uses), or null. */
export function venvPython(): string | null {
  if (pythonPath !== undefined) return pythonPath;
  try {
    const venv = execFileSync('bash', [path.join(repoRoot, 'scripts', 'setup-python.sh'), '--print-path'], { encoding: 'utf8' }).trim();
    const py = path.join(venv, 'bin', 'python');
    pythonPath = fs.existsSync(path.join(venv, '.complete')) ? py : null;
  } catch {
    pythonPath = null;
  }
  return pythonPath;
}

/** Runs a reference script of scripts/reference with the venv's python; returns its stdout. */
export function runPython(script: string, args: string[], timeoutMs = 300_000): string {
  const py = venvPython();
  if (!py) throw new Error('the Python reference virtualenv is missing: run `bash scripts/setup-python.sh`');
  return execFileSync(py, [path.join(repoRoot, 'scripts', 'reference', script), ...args], {
    encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 28,
    env: { ...process.env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', PYTHONHASHSEED: '0' },
  });
}

export function addonBuilt(): boolean {
  return fs.existsSync(path.join(repoRoot, 'build', 'Release', 'embedforge.node'));
}

export function sharedDataPresent(): boolean {
  return fs.existsSync(path.join(sharedData, 'models', 'all-MiniLM-L6-v2', 'tokenizer.json'));
}

/**
 * describe, or, when `missing` names an absent prerequisite, one skipped test that says what is missing
 * (and a line on stderr). The suite's body is not run then, so it may read files the prerequisite provides.
 */
export function describeIf(missing: string | null, name: string, fn: () => void): void {
  if (missing) {
    process.stderr.write(`SKIPPED "${name}": ${missing}\n`);
    describe(name, () => test.skip(`skipped: ${missing}`, () => undefined));
  } else {
    describe(name, fn);
  }
}

/** The real all-mpnet-base-v2 folder that scripts/setup-weights.sh unpacks outside the clone, or null. */
export function realMpnetDir(): string | null {
  try {
    const dir = execFileSync('bash', [path.join(repoRoot, 'scripts', 'setup-weights.sh'), '--print-path'], { encoding: 'utf8' }).trim();
    return fs.existsSync(path.join(dir, '.complete')) ? dir : null;
  } catch {
    return null;
  }
}

/** The first missing prerequisite among those asked for, as a sentence; null when all are present. */
export function missing(needs: { addon?: boolean; python?: boolean; sharedData?: boolean; cuda?: boolean; realMpnet?: boolean }): string | null {
  if (needs.addon && !addonBuilt()) return 'the native addon is not built (npm run build:native)';
  if (needs.python && !venvPython()) return 'no Python reference virtualenv (bash scripts/setup-python.sh)';
  if (needs.sharedData && !sharedDataPresent()) return `no shared data at ${sharedData}`;
  if (needs.realMpnet && !realMpnetDir()) return 'the real all-mpnet-base-v2 weights are not unpacked (bash scripts/setup-weights.sh)';
  if (needs.cuda) {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const { loadAddon } = require('../../lib/binding/addon');
    if (!loadAddon().deviceInfo().cudaAvailable) return 'no CUDA device on this machine';
  }
  return null;
}

export function tmpDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `embedforge-${prefix}-`));
}
