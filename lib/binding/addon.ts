/**
 * Finds and loads the native addon. Candidates, in order: $EMBEDFORGE_ADDON; the local build
 * (build/Release/embedforge.node, linked to the LibTorch it was built against); the prebuilt binary for this
 * platform and the PyTorch found at run time (prebuilds/<platform>-<arch>/embedforge.torch<major>.<minor>.node,
 * see findTorch.ts and torchPreload.ts); else, unless EMBEDFORGE_BUILD=never, a build from source against that
 * PyTorch. EMBEDFORGE_BUILD=always skips the prebuilds. Each candidate is test-loaded in a child process first
 * (probeAddon.ts). When none loads, one Error lists every failure and ends with "Possible solutions".
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import type { Addon } from './AddonTypes';
import { findTorch, minorOf, type TorchInstall, type TorchSearch } from './findTorch';
import { expectedExports, probeAddon, type LoadHow, type ProbeVerdict } from './probeAddon';
import { preloadTorch } from './torchPreload';

/** The package root, whether this file runs from lib/binding (ts-jest) or dist/binding (compiled). */
export function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..');
}

export type BuildMode = 'auto' | 'never' | 'always';

export function buildMode(env: NodeJS.ProcessEnv = process.env): BuildMode {
  const v = env.EMBEDFORGE_BUILD ?? 'auto';
  if (v !== 'auto' && v !== 'never' && v !== 'always') {
    throw new Error(`EMBEDFORGE_BUILD must be auto, never or always, not "${v}"`);
  }
  return v;
}

export function localBuildPath(root = packageRoot()): string {
  return path.join(root, 'build', 'Release', 'embedforge.node');
}

export function prebuildDir(root = packageRoot()): string {
  return path.join(root, 'prebuilds', `${process.platform}-${process.arch}`);
}

/** The PyTorch minor versions that have a prebuilt binary here, each with its file. */
export function prebuilds(root = packageRoot()): { minor: string; file: string }[] {
  let names: string[] = [];
  try {
    names = fs.readdirSync(prebuildDir(root));
  } catch {
    return [];
  }
  return names.map((n) => ({ minor: /^embedforge\.torch(\d+\.\d+)\.node$/.exec(n)?.[1] ?? '', file: path.join(prebuildDir(root), n) }))
    .filter((p) => p.minor !== '')
    .sort((a, b) => b.minor.localeCompare(a.minor, 'en', { numeric: true }));
}

/**
 * LibTorch's OpenMP threads wait for work asleep rather than spinning, unless OMP_WAIT_POLICY is set. GNU
 * OpenMP reads it once, when LibTorch loads with the addon. Spinning may save a little on an idle machine; it collapses
 * on a busy one: a parallel region's threads spin for a partner the kernel has descheduled. Measured on the
 * 2-core machine at load 6.5 (real all-MiniLM-L6-v2, batch 16): 1.5 pairs/s spinning, 6.5 asleep.
 */
export function preferPassiveOpenMpWait(env: NodeJS.ProcessEnv = process.env): void {
  if (env.OMP_WAIT_POLICY === undefined) env.OMP_WAIT_POLICY = 'PASSIVE';
}

export interface AddonChoice {
  file: string;
  kind: 'EMBEDFORGE_ADDON' | 'local build' | 'prebuilt' | 'built from source';
  /** The LibTorch preloaded for it (a prebuild), or null when it loads its own (a local build's rpath). */
  torch: TorchInstall | null;
  verdict: ProbeVerdict & { cached: boolean };
  /** One sentence: why this binary. */
  why: string;
}

export interface AddonResolution {
  choice: AddonChoice | null;
  /** Each candidate not taken, with the reason. */
  failures: string[];
  /** The PyTorch search, when one was needed (prebuilds, building, or a candidate without its own links). */
  torch: TorchSearch | null;
  mode: BuildMode;
}

/**
 * Picks the addon without loading it into this process. `build: false` (embedforge doctor) reports what a
 * build from source would do instead of running it; `root` is the package folder (tests stage others).
 */
export function resolveAddon(options: { build?: boolean; root?: string } = {}): AddonResolution {
  const mode = buildMode();
  const root = options.root ?? packageRoot();
  const failures: string[] = [];
  let search: TorchSearch | null = null;
  const torch = (): TorchSearch => (search ??= findTorch());

  const attempt = (file: string, kind: AddonChoice['kind'], how: LoadHow, why: string): AddonChoice | null => {
    if (!fs.existsSync(file)) {
      if (kind === 'EMBEDFORGE_ADDON') failures.push(`  ${file} (EMBEDFORGE_ADDON): file not found`);
      return null;
    }
    let verdict = how === 'preload' ? null : probeAddon(file, null, 'own-links');
    // A local build whose rpath no longer resolves (a moved virtualenv) may still run on the PyTorch found.
    if (verdict && !verdict.ok && /cannot open shared object|Library not loaded/.test(verdict.error ?? '') && torch().found) verdict = null;
    const usedTorch = verdict ? null : torch().found;
    if (!verdict) {
      if (!usedTorch) {
        failures.push(`  ${file} (${kind}): needs a PyTorch to run on, and none was found`);
        return null;
      }
      verdict = probeAddon(file, usedTorch.libDir, 'preload');
    }
    if (!verdict.ok) {
      failures.push(`  ${file} (${kind}): ${verdict.error}`);
      return null;
    }
    if (usedTorch && minorOf(verdict.builtFor) !== usedTorch.minor) {
      failures.push(`  ${file} (${kind}): built for PyTorch ${verdict.builtFor}, but the PyTorch found is ${usedTorch.version}`);
      return null;
    }
    return { file, kind, torch: usedTorch, verdict, why };
  };

  const done = (choice: AddonChoice | null): AddonResolution => ({ choice, failures, torch: search, mode });

  if (process.env.EMBEDFORGE_ADDON) {
    const file = path.resolve(process.env.EMBEDFORGE_ADDON);
    const how: LoadHow = /\.torch\d+\.\d+\.node$/.test(file) ? 'preload' : 'own-links';
    const c = attempt(file, 'EMBEDFORGE_ADDON', how, 'EMBEDFORGE_ADDON names it');
    if (c) return done(c);
  }
  const local = attempt(localBuildPath(root), 'local build', 'own-links', 'a local build (from source) exists and comes first');
  if (local) return done(local);

  if (mode !== 'always') {
    const available = prebuilds(root);
    const found = torch().found;
    if (available.length === 0) {
      failures.push(`  ${prebuildDir(root)}: no prebuilt binary for ${process.platform}-${process.arch}`);
    } else if (!found) {
      failures.push(`  prebuilt binaries (PyTorch ${available.map((p) => p.minor).join(', ')}): no PyTorch found to run them on`);
    } else {
      const fit = available.find((p) => p.minor === found.minor);
      if (!fit) {
        failures.push(`  prebuilt binaries: none for PyTorch ${found.minor} (found ${found.version}); there are binaries for ${available.map((p) => p.minor).join(', ')}`);
      } else {
        const c = attempt(fit.file, 'prebuilt', 'preload', `the prebuilt binary for PyTorch ${fit.minor}, the minor version of the PyTorch found`);
        if (c) return done(c);
      }
    }
  }

  if (mode === 'never') {
    failures.push('  building from source: not tried (EMBEDFORGE_BUILD=never)');
    return done(null);
  }
  const found = torch().found;
  if (!found) {
    failures.push('  building from source: no PyTorch found to build against');
    return done(null);
  }
  if (options.build === false) {
    failures.push(`  building from source: would build against ${found.root} (not run here)`);
    return done(null);
  }
  const built = buildFromSource(found, root);
  if (!built.ok) {
    failures.push(`  building from source against ${found.root}: ${built.error}`);
    return done(null);
  }
  return done(attempt(localBuildPath(root), 'built from source', 'own-links',
    mode === 'always' ? 'EMBEDFORGE_BUILD=always: built from source' : 'no prebuilt binary fits the PyTorch found: built from source'));
}

/** The command that builds the addon from source against a PyTorch (its torch/ folder). */
export function buildCommand(torchRoot?: string, root = packageRoot()): string {
  return `cd ${root} && LIBTORCH=${torchRoot ?? '<the torch folder>'} bash scripts/build-native.sh`;
}

/** One cmake-js build against the PyTorch found (minutes; needs a C++ compiler, cmake and the Node-API headers). */
function buildFromSource(torch: TorchInstall, root: string): { ok: true } | { ok: false; error: string } {
  process.stderr.write(`embedforge: no usable binary; building the addon from source against ${torch.root} (once, a few minutes)\n`);
  const r = spawnSync('bash', [path.join(root, 'scripts', 'build-native.sh')], {
    cwd: root, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8',
    env: { ...process.env, LIBTORCH: torch.root, Torch_DIR: '' },
  });
  if (r.error) return { ok: false, error: r.error.message };
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    const lines = r.stderr.trim().split('\n').filter(Boolean);
    const reason = lines.find((l) => /not found|No such file|No CMAKE_CXX_COMPILER|Cannot find module|command not found/i.test(l)) ?? lines.pop() ?? '';
    return { ok: false, error: `scripts/build-native.sh exited with ${r.status}: ${reason.trim()}` };
  }
  return { ok: true };
}

/** The error when no binary works: every failure, then what the user can do about it. */
export function noAddonError(res: AddonResolution, root = packageRoot()): Error {
  const t = res.torch?.found;
  const have = prebuilds(root).map((p) => p.minor);
  const torchLine = t
    ? `  - PyTorch found: ${t.version || 'unknown version'}${t.cuda ? ` (CUDA ${t.cuda})` : ' (CPU)'} at ${t.root} (${t.source})`
    : `  - no PyTorch found (looked at: ${(res.torch?.tried ?? []).join('; ') || 'LIBTORCH, Torch_DIR, python3, the project\'s virtualenv'});`
      + ' install one (`pip install torch`) or set LIBTORCH / EMBEDFORGE_PYTHON';
  return new Error([
    'Could not load the embedforge native addon (embedforge.node). Tried:',
    ...res.failures,
    'Possible solutions:',
    torchLine,
    `  - prebuilt binaries here are for PyTorch ${have.length ? have.join(', ') : '(none)'} on ${process.platform}-${process.arch}: `
      + 'install a matching PyTorch (`pip install "torch==<version>.*"`), or point EMBEDFORGE_PYTHON at a Python that has one',
    `  - build from source (needs a C++17 compiler, cmake, cmake-js, node-addon-api and node-api-headers): ${buildCommand(t?.root, root)}`,
    '  - set EMBEDFORGE_ADDON to the path of a built embedforge.node; `npx embedforge doctor` shows what was found',
  ].join('\n'));
}

let loaded: Addon | undefined;
let chosen: AddonChoice | undefined;

/** The binary loadAddon() took, once it has loaded. */
export function loadedAddonChoice(): AddonChoice | undefined {
  return chosen;
}

export function loadAddon(): Addon {
  if (loaded) return loaded;
  const res = resolveAddon();
  if (!res.choice) throw noAddonError(res);
  const choice = res.choice;
  preferPassiveOpenMpWait();
  if (choice.verdict.preloaded && choice.torch) preloadTorch(choice.torch.libDir);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require(choice.file) as Record<string, unknown>;
  const absent = expectedExports.filter((name) => typeof addon[name] !== 'function');
  if (absent.length > 0) throw new Error(`${choice.file} is not an embedforge addon (missing ${absent.join(', ')})`);
  loaded = addon as unknown as Addon;
  chosen = choice;
  return loaded;
}
