/**
 * How the loader finds LibTorch and picks a binary (lib/binding/findTorch.ts, addon.ts, probeAddon.ts), on
 * staged package folders: a prebuild for the PyTorch found is taken (preloaded, test-loaded in a child, verdict
 * remembered); one for another minor version, a binary built for another version than its name says, a file
 * that is no library and one that aborts on load are each refused with the reason, without harming this
 * process; with nothing usable the error ends with "Possible solutions" naming the PyTorch found, the versions
 * that have binaries and the build command. Nothing here is loaded into the test's own process.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { buildMode, noAddonError, prebuilds, resolveAddon } from '../../lib/binding/addon';
import { findTorch } from '../../lib/binding/findTorch';
import { describeIf, missing, repoRoot, tmpDir, venvPython } from '../helpers/requirements';

const platformDir = `${process.platform}-${process.arch}`;

function prerequisite(): string | null {
  const m = missing({ python: true });
  if (m) return m;
  if (process.platform !== 'linux') return `prebuilt addons are built for linux only (this is ${process.platform})`;
  if (prebuilds(repoRoot).length === 0) return 'no prebuilt addon (npm run prebuilds)';
  return null;
}

/** Runs fn with these environment variables (undefined deletes one), then puts the environment back. */
function withEnv<T>(vars: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  const set = (v: Record<string, string | undefined>) => {
    for (const [k, x] of Object.entries(v)) if (x === undefined) delete process.env[k]; else process.env[k] = x;
  };
  set(vars);
  try {
    return fn();
  } finally {
    set(saved);
  }
}

describeIf(prerequisite(), 'finding LibTorch and choosing the addon', () => {
  const work = tmpDir('loader');
  const torchDir = execFileSync(venvPython()!, ['-c', 'import os, torch; print(os.path.dirname(torch.__file__))'], { encoding: 'utf8' }).trim();
  const version = /__version__ = '([^']+)'/.exec(fs.readFileSync(path.join(torchDir, 'version.py'), 'utf8'))![1];
  const minor = version.split('.').slice(0, 2).join('.');
  const realPrebuild = prebuilds(repoRoot).find((p) => p.minor === minor)!.file;
  // No python3 PyTorch, no project virtualenv: only what each test names.
  const bare = { LIBTORCH: undefined, Torch_DIR: undefined, EMBEDFORGE_ADDON: undefined, EMBEDFORGE_VENV: undefined,
    EMBEDFORGE_PYTHON: '/nonexistent/python3', EMBEDFORGE_BUILD: undefined };

  /** A package folder with these prebuilds (name -> source file). */
  function stage(name: string, files: Record<string, string>): string {
    const root = path.join(work, name);
    fs.mkdirSync(path.join(root, 'prebuilds', platformDir), { recursive: true });
    for (const [n, src] of Object.entries(files)) fs.copyFileSync(src, path.join(root, 'prebuilds', platformDir, n));
    return root;
  }

  test('findTorch: LIBTORCH, Torch_DIR, EMBEDFORGE_PYTHON, then the project virtualenv; an explicit choice is final', () => {
    const home = path.join(work, 'home');
    fs.mkdirSync(home, { recursive: true });
    const viaLibtorch = findTorch({ LIBTORCH: torchDir });
    expect(viaLibtorch.found).toMatchObject({ root: torchDir, libDir: path.join(torchDir, 'lib'), version, minor, source: 'LIBTORCH' });
    expect(findTorch({ Torch_DIR: path.join(torchDir, 'share', 'cmake', 'Torch') }).found?.root).toBe(torchDir);
    const viaPython = findTorch({ EMBEDFORGE_PYTHON: venvPython()!, EMBEDFORGE_HOME: home });
    expect(viaPython.found?.root).toBe(fs.realpathSync(torchDir));
    expect(viaPython.found?.source).toMatch(/EMBEDFORGE_PYTHON/);
    // A LIBTORCH that is not one stops the search rather than falling through to another PyTorch.
    const wrong = findTorch({ LIBTORCH: work, EMBEDFORGE_PYTHON: venvPython()! });
    expect(wrong.found).toBeNull();
    expect(wrong.tried.join('\n')).toMatch(/LIBTORCH: .*no lib\/libc10\.so/);
    // python3 without torch: the project's virtualenv under EMBEDFORGE_HOME.
    const venv = path.resolve(venvPython()!, '..', '..');
    fs.symlinkSync(venv, path.join(home, path.basename(venv)));
    const viaVenv = findTorch({ EMBEDFORGE_HOME: home, PATH: '/nonexistent' });
    expect(viaVenv.found?.source).toMatch(/the project's virtualenv/);
    expect(viaVenv.tried.join('\n')).toMatch(/python3: not found/);
  });

  test('the prebuild for the PyTorch found is taken, test-loaded once in a child, then remembered', () => {
    const root = stage('fits', { [`embedforge.torch${minor}.node`]: realPrebuild, 'embedforge.torch1.99.node': realPrebuild });
    withEnv({ ...bare, LIBTORCH: torchDir, EMBEDFORGE_HOME: path.join(work, 'home-fits') }, () => {
      const first = resolveAddon({ root, build: false });
      expect(first.failures).toEqual([]);
      expect(first.choice).toMatchObject({ kind: 'prebuilt', file: path.join(root, 'prebuilds', platformDir, `embedforge.torch${minor}.node`) });
      expect(first.choice!.verdict).toMatchObject({ ok: true, preloaded: true, cached: false });
      expect(first.choice!.verdict.builtFor.startsWith(minor)).toBe(true);
      expect(first.choice!.verdict.libtorch).toBe(path.join(fs.realpathSync(torchDir), 'lib', 'libtorch_cpu.so'));
      const again = resolveAddon({ root, build: false });
      expect(again.choice!.verdict.cached).toBe(true);
      // A changed binary is probed again, and its old verdict leaves the cache.
      const file = first.choice!.file;
      fs.utimesSync(file, new Date(), new Date(Date.now() + 5000));
      expect(resolveAddon({ root, build: false }).choice!.verdict.cached).toBe(false);
      const keys = Object.keys(JSON.parse(fs.readFileSync(path.join(work, 'home-fits', 'addon-probes.json'), 'utf8')) as object);
      expect(keys.filter((k) => (JSON.parse(k) as string[])[0] === file)).toHaveLength(1);
    });
  });

  test('no prebuild for this PyTorch, EMBEDFORGE_BUILD=never: the error ends with Possible solutions', () => {
    const root = stage('other-minor', { 'embedforge.torch1.99.node': realPrebuild });
    withEnv({ ...bare, LIBTORCH: torchDir, EMBEDFORGE_BUILD: 'never', EMBEDFORGE_HOME: path.join(work, 'home-other') }, () => {
      const res = resolveAddon({ root });
      expect(res.choice).toBeNull();
      const message = noAddonError(res, root).message;
      expect(message).toContain(`none for PyTorch ${minor} (found ${version}); there are binaries for 1.99`);
      expect(message).toContain('not tried (EMBEDFORGE_BUILD=never)');
      const solutions = message.slice(message.indexOf('Possible solutions:'));
      expect(solutions).toContain(`PyTorch found: ${version}`);
      expect(solutions).toContain(`at ${torchDir} (LIBTORCH)`);
      expect(solutions).toContain('prebuilt binaries here are for PyTorch 1.99');
      expect(solutions).toContain(`cd ${root} && LIBTORCH=${torchDir} bash scripts/build-native.sh`);
    });
  });

  test('a binary built for another PyTorch than its name and the PyTorch found say is refused', () => {
    // A PyTorch that says it is 1.99: the same libraries under a version.py of another number.
    const fake = path.join(work, 'torch-1.99');
    fs.mkdirSync(fake, { recursive: true });
    fs.symlinkSync(path.join(torchDir, 'lib'), path.join(fake, 'lib'));
    fs.writeFileSync(path.join(fake, 'version.py'), "__version__ = '1.99.0+cpu'\ncuda = None\n");
    const root = stage('mislabelled', { 'embedforge.torch1.99.node': realPrebuild });
    withEnv({ ...bare, LIBTORCH: fake, EMBEDFORGE_BUILD: 'never', EMBEDFORGE_HOME: path.join(work, 'home-mislabelled') }, () => {
      const res = resolveAddon({ root });
      expect(res.choice).toBeNull();
      expect(res.failures.join('\n')).toMatch(new RegExp(`built for PyTorch ${minor.replace('.', '\\.')}\\.\\d+, but the PyTorch found is 1\\.99\\.0\\+cpu`));
    });
  });

  test('a file that is no library, and one that aborts on load, are refused in the child; this process lives on', () => {
    const junk = path.join(work, 'junk.bin');
    fs.writeFileSync(junk, 'not an ELF file');
    const root = stage('broken', { [`embedforge.torch${minor}.node`]: junk });
    const aborts = path.join(work, 'aborts.js');
    fs.writeFileSync(aborts, 'process.abort();\n');
    withEnv({ ...bare, LIBTORCH: torchDir, EMBEDFORGE_ADDON: aborts, EMBEDFORGE_BUILD: 'never', EMBEDFORGE_HOME: path.join(work, 'home-broken') }, () => {
      const res = resolveAddon({ root });
      expect(res.choice).toBeNull();
      const text = res.failures.join('\n');
      expect(text).toMatch(/aborts\.js \(EMBEDFORGE_ADDON\): the test load in a child process killed by SIGABRT/);
      expect(text).toMatch(/embedforge\.torch\d+\.\d+\.node \(prebuilt\): the test load in a child process exited with 1: .*(invalid ELF header|file too short)/);
    });
  });

  test('no prebuild fits and EMBEDFORGE_BUILD=auto: a build from source is tried, and its failure explained', () => {
    const root = stage('fallback', { 'embedforge.torch1.98.node': realPrebuild });
    fs.mkdirSync(path.join(root, 'scripts'));
    fs.copyFileSync(path.join(repoRoot, 'scripts', 'build-native.sh'), path.join(root, 'scripts', 'build-native.sh'));
    // A PATH with node and the shell only: no cmake, and no cmake-js where the staged package can resolve it.
    const bin = path.join(work, 'fallback-bin');
    fs.mkdirSync(bin);
    for (const tool of ['bash', 'dirname']) fs.symlinkSync(execFileSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim(), path.join(bin, tool));
    fs.symlinkSync(process.execPath, path.join(bin, 'node'));
    withEnv({ ...bare, LIBTORCH: torchDir, PATH: bin, EMBEDFORGE_HOME: path.join(work, 'home-fallback') }, () => {
      const res = resolveAddon({ root });
      expect(res.choice).toBeNull();
      expect(res.failures.join('\n')).toMatch(
        new RegExp(`building from source against ${torchDir}: scripts/build-native.sh exited with 1: build-native: cmake(-js)? is missing`));
    });
  });

  test('EMBEDFORGE_BUILD accepts auto, never and always only', () => {
    expect(buildMode({})).toBe('auto');
    expect(buildMode({ EMBEDFORGE_BUILD: 'always' })).toBe('always');
    expect(() => buildMode({ EMBEDFORGE_BUILD: 'sometimes' })).toThrow('EMBEDFORGE_BUILD must be auto, never or always, not "sometimes"');
  });
});
