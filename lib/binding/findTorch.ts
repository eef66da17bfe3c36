/**
 * Finds the LibTorch the addon runs on, at run time (nothing is bundled or downloaded): $LIBTORCH or $Torch_DIR,
 * else the PyTorch of `python3` ($EMBEDFORGE_PYTHON), else the project's own virtualenv (scripts/setup-python.sh).
 * The user's PyTorch decides the CUDA version. Reads files only: Python is asked where `torch` is, never to import it.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface TorchInstall {
  /** The folder holding lib/ and include/ (a wheel's torch/ package, or an unpacked LibTorch). */
  root: string;
  libDir: string;
  /** e.g. "2.11.0+cu130"; "" when no version file says. */
  version: string;
  /** "2.11" */
  minor: string;
  /** The CUDA runtime of the build ("13.0"), or "" for a CPU build. */
  cuda: string;
  /** How it was found, for messages and `embedforge doctor`. */
  source: string;
}

export interface TorchSearch {
  found: TorchInstall | null;
  /** Every place looked at, with why it was not taken. */
  tried: string[];
}

/** Where embedforge keeps what it makes outside the package (virtualenv, probe verdicts, builds). */
export function embedforgeHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.EMBEDFORGE_HOME ?? path.join(os.homedir(), '.cache', 'embedforge');
}

function readIf(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}

/** The version and CUDA runtime of a LibTorch folder, from the files each distribution carries. */
function versionOf(root: string): { version: string; cuda: string } {
  const py = readIf(path.join(root, 'version.py'));  // a PyTorch wheel
  if (py) {
    const version = /^__version__\s*=\s*'([^']+)'/m.exec(py)?.[1] ?? '';
    const cuda = /^cuda\s*(?::[^=]*)?=\s*'([^']+)'/m.exec(py)?.[1] ?? '';
    return { version, cuda };
  }
  const built = readIf(path.join(root, 'build-version'))?.trim();  // an unpacked LibTorch zip: "2.11.0+cu130"
  const header = readIf(path.join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'));
  const part = (name: string) => (header ? new RegExp(`#define TORCH_VERSION_${name} (\\d+)`).exec(header)?.[1] : undefined);
  const version = built || (part('MAJOR') ? `${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` : '');
  const cu = /\+cu(\d+)(\d)$/.exec(version);
  const cuda = cu ? `${cu[1]}.${cu[2]}` : fs.existsSync(path.join(root, 'lib', 'libtorch_cuda.so')) ? 'unknown' : '';
  return { version, cuda };
}

export function minorOf(version: string): string {
  return /^(\d+\.\d+)/.exec(version)?.[1] ?? '';
}

/** A LibTorch at root, or why it is not one. */
function inspect(root: string, source: string): TorchInstall | string {
  const libDir = path.join(root, 'lib');
  const lib = ['libc10.so', 'libtorch_cpu.so', 'libtorch.so'].find((f) => !fs.existsSync(path.join(libDir, f)));
  if (process.platform === 'linux' && lib) return `${root}: no lib/${lib}`;
  if (!fs.existsSync(libDir)) return `${root}: no lib/ folder`;
  const { version, cuda } = versionOf(root);
  return { root, libDir, version, minor: minorOf(version), cuda, source };
}

/** The torch package folder of a Python, without importing torch (fast, and safe if torch is broken). */
function torchOfPython(python: string, env: NodeJS.ProcessEnv): string | { error: string } {
  const code = 'import importlib.util as u, os\ns = u.find_spec("torch")\nprint(os.path.realpath(list(s.submodule_search_locations)[0]) if s else "")';
  const r = spawnSync(python, ['-c', code], { encoding: 'utf8', timeout: 30_000, env });
  if (r.error) return { error: (r.error as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : r.error.message };
  if (r.status !== 0) return { error: `exited with ${r.status}: ${r.stderr.trim().split('\n').pop()}` };
  const dir = r.stdout.trim();
  return dir ? dir : { error: 'has no torch package' };
}

/** The project's virtualenvs (scripts/setup-python.sh), newest PyTorch first. */
function projectVenvs(env: NodeJS.ProcessEnv): string[] {
  if (env.EMBEDFORGE_VENV) return [env.EMBEDFORGE_VENV];
  const home = embedforgeHome(env);
  let names: string[] = [];
  try {
    names = fs.readdirSync(home).filter((n) => n.startsWith('venv-torch'));
  } catch {
    return [];
  }
  return names.sort((a, b) => b.localeCompare(a, 'en', { numeric: true })).map((n) => path.join(home, n));
}

export function findTorch(env: NodeJS.ProcessEnv = process.env): TorchSearch {
  const tried: string[] = [];
  const take = (root: string, source: string): TorchInstall | null => {
    const r = inspect(root, source);
    if (typeof r === 'string') {
      tried.push(`${source}: ${r}`);
      return null;
    }
    return r;
  };
  // An explicit choice is final: a wrong LIBTORCH must not silently fall through to another PyTorch.
  if (env.LIBTORCH) return { found: take(path.resolve(env.LIBTORCH), 'LIBTORCH'), tried };
  if (env.Torch_DIR) return { found: take(path.resolve(env.Torch_DIR, '..', '..', '..'), 'Torch_DIR'), tried };

  const python = env.EMBEDFORGE_PYTHON ?? 'python3';
  const fromPython = torchOfPython(python, env);
  const pythonName = env.EMBEDFORGE_PYTHON ? `EMBEDFORGE_PYTHON (${python})` : 'python3';
  if (typeof fromPython === 'string') {
    const found = take(fromPython, `the PyTorch of ${pythonName}`);
    if (found) return { found, tried };
  } else {
    tried.push(`${pythonName}: ${fromPython.error}`);
    if (env.EMBEDFORGE_PYTHON) return { found: null, tried };
  }

  for (const venv of projectVenvs(env)) {
    let sitePackages: string[] = [];
    try {
      sitePackages = fs.readdirSync(path.join(venv, 'lib')).filter((n) => n.startsWith('python'))
        .map((n) => path.join(venv, 'lib', n, 'site-packages', 'torch'));
    } catch {
      tried.push(`the project's virtualenv ${venv}: not there`);
      continue;
    }
    for (const dir of sitePackages) {
      if (!fs.existsSync(dir)) continue;
      const found = take(dir, `the project's virtualenv (${venv})`);
      if (found) return { found, tried };
    }
    tried.push(`the project's virtualenv ${venv}: no torch package`);
  }
  if (projectVenvs(env).length === 0) tried.push(`the project's virtualenv: none under ${embedforgeHome(env)}`);
  return { found: null, tried };
}
