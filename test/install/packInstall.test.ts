/**
 * The npm package on a machine without a compiler (scripts/prebuild-install-check.sh): `npm pack`, an offline
 * install of the tarball into an empty folder, a PATH with node, npm and a python3 that has PyTorch but no
 * cc/g++/cmake/make, then `embedforge doctor`, `embedforge encode` and `embedforge train` from the install.
 * The installed package must run on its prebuilt addon (prebuilds/<platform>-<arch>/embedforge.torch<M.m>.node,
 * LibTorch preloaded from the python3's PyTorch), give the same embeddings as this checkout's local build, and
 * train. It also checks the prebuild's promise: no rpath, no CUDA library linked, yet the CUDA kernels registered
 * when the PyTorch is a CUDA build. Measured here (2 cores, loaded): see the test's printed times.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';

import { prebuilds } from '../../lib/binding/addon';
import { PRELOAD_SOURCE } from '../../lib/binding/torchPreload';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readNpy } from '../helpers/npy';
import { describeIf, missing, repoRoot, tmpDir, venvPython } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const texts = ['where is varnexdor based ?', 'who runs varnexdor ?', 'a third sentence, longer than the others, for padding'];

function prerequisite(): string | null {
  const m = missing({ addon: true, python: true });
  if (m) return m;
  if (process.platform !== 'linux') return `prebuilt addons are built for linux only (this is ${process.platform})`;
  if (!fs.existsSync(path.join(repoRoot, 'dist', 'cli', 'main.js'))) return 'the CLI is not compiled (npm run build:ts)';
  if (prebuilds().length === 0) return 'no prebuilt addon (npm run prebuilds)';
  return null;
}

describeIf(prerequisite(), 'the packed package, installed without a compiler', () => {
  const work = tmpDir('install');

  test('the prebuild links LibTorch by soname only: no RPATH/RUNPATH, no CUDA library', () => {
    for (const p of prebuilds()) {
      const dyn = execFileSync('readelf', ['-d', p.file], { encoding: 'utf8' });
      expect(dyn).not.toMatch(/RPATH|RUNPATH/);
      const needed = [...dyn.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
      expect(needed).toEqual(expect.arrayContaining(['libtorch.so', 'libtorch_cpu.so', 'libc10.so']));
      expect(needed.filter((n) => /cuda|cudart|cublas/.test(n))).toEqual([]);
    }
  });

  test('npm pack, offline install, doctor, encode and train from the install', async () => {
    const { model, dataset } = await tinySetup(work, { numCompanies: 12 });
    await model.save(path.join(work, 'model'));
    const rows = Array.from({ length: dataset.numRows }, (_, i) => dataset.row(i) as { anchor: string; positive: string });
    fs.writeFileSync(path.join(work, 'pairs.jsonl'), rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    fs.writeFileSync(path.join(work, 'texts.txt'), texts.join('\n') + '\n');
    fs.writeFileSync(path.join(work, 'train.yaml'), YAML.stringify({
      model: 'model', train_data: { path: 'pairs.jsonl', columns: ['anchor', 'positive'] },
      loss: { name: 'MultipleNegativesRankingLoss' },
      args: { output_dir: 'run', max_steps: 3, per_device_train_batch_size: 8, learning_rate: 1e-3, save_strategy: 'no', logging_steps: 1, seed: 7 },
    }));

    const r = spawnSync('bash', [path.join(repoRoot, 'scripts', 'prebuild-install-check.sh'), work], {
      encoding: 'utf8', timeout: 900_000, env: { ...process.env, EMBEDFORGE_CHECK_PYTHON: venvPython()! },
    });
    if (r.status !== 0) throw new Error(`prebuild-install-check.sh exited with ${r.status}:\n${r.stderr.slice(-4000)}`);
    const times = fs.readFileSync(path.join(work, 'times.txt'), 'utf8').trim();
    process.stderr.write(`pack/install check, ms since start: ${times.replace(/\n/g, ', ')}\n`);

    // The installed package chose its prebuilt binary, on the python3's PyTorch, by preloading it.
    const doctor = fs.readFileSync(path.join(work, 'doctor.txt'), 'utf8');
    const installedPrebuild = path.join(work, 'app', 'node_modules', 'embedforge', 'prebuilds', `${process.platform}-${process.arch}`);
    expect(doctor).toContain(`Binary       ${installedPrebuild}/embedforge.torch`);
    expect(doctor).toMatch(/prebuilt: the prebuilt binary for PyTorch \d+\.\d+/);
    expect(doctor).toContain('(preloaded)');
    expect(doctor).toMatch(/found as the PyTorch of python3/);
    expect(doctor).toContain(`HF cache`);

    // Its embeddings equal this checkout's (the same engine and LibTorch behind a differently linked binary).
    const npy = readNpy(path.join(work, 'emb.npy'));
    const local = await SentenceTransformer.load(path.join(work, 'model'), { device: 'cpu' });
    const direct = await local.encode(texts, { normalizeEmbeddings: true });
    expect([npy.rows, npy.cols]).toEqual([texts.length, direct.length / texts.length]);
    const maxDiff = Array.from(npy.data).reduce((m, v, i) => Math.max(m, Math.abs(v - direct[i])), 0);
    expect(maxDiff).toBeLessThan(1e-6);

    // Three training steps with finite losses, and a saved model whose embeddings moved.
    const logs = fs.readFileSync(path.join(work, 'train.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const losses = logs.filter((l) => typeof l.loss === 'number').map((l) => l.loss as number);
    expect(losses).toHaveLength(3);
    expect(losses.every(Number.isFinite)).toBe(true);
    const trained = await SentenceTransformer.load(path.join(work, 'run', 'final'), { device: 'cpu' });
    const after = await trained.encode(texts, { normalizeEmbeddings: true });
    const moved = Array.from(after).reduce((m, v, i) => Math.max(m, Math.abs(v - direct[i])), 0);
    expect(moved).toBeGreaterThan(1e-4);
  });

  test('the prebuild, loaded in a child with the PyTorch preloaded, registers the CUDA kernels of a CUDA PyTorch', () => {
    const [cuda, torchDir, minor] = JSON.parse(execFileSync(venvPython()!, ['-c',
      'import json, os, torch; print(json.dumps([torch.version.cuda or "", os.path.dirname(torch.__file__), ".".join(torch.__version__.split(".")[:2])]))'],
    { encoding: 'utf8' })) as [string, string, string];
    const file = prebuilds().find((p) => p.minor === minor)?.file;
    if (!file) throw new Error(`no prebuild for the virtualenv's PyTorch ${minor}`);
    const code = `${PRELOAD_SOURCE}
      const pre = preloadTorch(${JSON.stringify(path.join(torchDir, 'lib'))}, require('fs'));
      const info = require(${JSON.stringify(file)}).deviceInfo();
      console.log(JSON.stringify({ skipped: pre.skipped, info }));`;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', code], { encoding: 'utf8', env: { ...process.env, EMBEDFORGE_FAST_EXIT: '1' } }).trim().split('\n').pop()!);
    expect(out.info.torchVersion.startsWith(minor)).toBe(true);
    expect(out.info.torchCudaVersion).toBe(cuda);
    if (!cuda) {
      process.stderr.write('the virtualenv\'s PyTorch is a CPU build: no CUDA kernels to check on the prebuild\n');
      return;
    }
    expect(out.skipped).toEqual([]);
    expect(Object.entries(out.info.cudaKernels).filter(([, ok]) => !ok)).toEqual([]);
    expect(Object.keys(out.info.cudaKernels)).toHaveLength(6);
  });
});
