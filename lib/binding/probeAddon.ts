/**
 * Test-loads an addon candidate in a child process before this process trusts it: a LibTorch that aborts or
 * crashes on load (a mismatched build, a missing CUDA library) then takes down only the child. The verdict is
 * cached in $EMBEDFORGE_HOME/addon-probes.json, keyed by the binary (path, mtime, size) and the LibTorch it ran
 * on (whose mtime is checked again), so each process does not pay the child's start.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { embedforgeHome } from './findTorch';
import { PRELOAD_SOURCE } from './torchPreload';

export const expectedExports = ['NativeEncoder', 'TorchGenerator', 'manualSeed', 'deviceInfo', 'searchTopK'] as const;

/** How the child loads the candidate: preload the LibTorch first (a portable prebuild), or by the binary's own
 *  links (a local build with its rpath). */
export type LoadHow = 'preload' | 'own-links';

export interface ProbeVerdict {
  ok: boolean;
  /** The first line of why it did not load (ok false). */
  error?: string;
  /** Whether it needed the LibTorch preloaded. */
  preloaded: boolean;
  /** The PyTorch version the binary was compiled against (TORCH_VERSION in it), e.g. "2.11.0". */
  builtFor: string;
  torchCudaVersion: string;
  cudaAvailable: boolean;
  cudaDeviceName: string;
  /** CUDA kernels the engine calls that the loaded LibTorch does not register (empty on a CPU LibTorch). */
  cudaKernelsMissing: string[];
  /** The libtorch_cpu the child actually ran on, and its mtime (a reinstalled PyTorch invalidates the verdict). */
  libtorch: string;
  libtorchMtimeMs: number;
  /** CUDA libraries that would not preload (the addon then runs on CPU). */
  skipped: string[];
  probeMs: number;
}

const CHILD_SOURCE = String.raw`
const fs = require('fs');
${PRELOAD_SOURCE}
const [file, libDir, how, expected] = JSON.parse(process.argv[1]);
let preload = null;
function load() {
  const addon = require(file);
  const absent = expected.filter((name) => typeof addon[name] !== 'function');
  if (absent.length > 0) throw new Error('not an embedforge addon (missing ' + absent.join(', ') + ')');
  return addon;
}
let addon;
if (how === 'preload') preload = preloadTorch(libDir, fs);
addon = load();
const info = addon.deviceInfo();
addon.manualSeed(0);
let libtorch = '';
try {
  const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => /\/libtorch_cpu\.(so|dylib)$/.test(l));
  if (line) libtorch = line.slice(line.indexOf('/'));
} catch {}
process.stdout.write('\nEMBEDFORGE_PROBE ' + JSON.stringify({
  preloaded: preload !== null, builtFor: info.torchVersion, torchCudaVersion: info.torchCudaVersion,
  cudaAvailable: info.cudaAvailable, cudaDeviceName: info.cudaDeviceName,
  cudaKernelsMissing: Object.keys(info.cudaKernels).filter((k) => !info.cudaKernels[k]),
  libtorch, skipped: preload ? preload.skipped : [],
}) + '\n');
`;

function cacheFile(): string {
  return path.join(embedforgeHome(), 'addon-probes.json');
}

function readCache(): Record<string, ProbeVerdict> {
  try {
    return JSON.parse(fs.readFileSync(cacheFile(), 'utf8')) as Record<string, ProbeVerdict>;
  } catch {
    return {};
  }
}

/** Read, add, write to a temporary sibling and rename: concurrent processes may drop each other's entry, never corrupt the file. */
function writeCache(key: string, verdict: ProbeVerdict): void {
  try {
    const file = cacheFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // A verdict on an earlier version of the same file (other mtime or size) with the same LibTorch is dropped.
    const sameBinaryAndTorch = (k: string) => {
      const [f, , , ...torch] = JSON.parse(k) as unknown[];
      return JSON.stringify([f, ...torch]);
    };
    const all = Object.fromEntries(Object.entries(readCache()).filter(([k]) => sameBinaryAndTorch(k) !== sameBinaryAndTorch(key)));
    all[key] = verdict;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(all, null, 1));
    fs.renameSync(tmp, file);
  } catch {
    // A cache that cannot be written only costs the next process a probe.
  }
}

function mtimeOf(file: string): number {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

function stillValid(v: ProbeVerdict): boolean {
  return !v.ok || (v.libtorch !== '' && mtimeOf(v.libtorch) === v.libtorchMtimeMs);
}

function runChild(file: string, libDir: string | null, how: LoadHow): ProbeVerdict {
  const t0 = Date.now();
  const env = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE', EMBEDFORGE_FAST_EXIT: '1' };
  const r = spawnSync(process.execPath, ['-e', CHILD_SOURCE, JSON.stringify([file, libDir, how, expectedExports])],
    { encoding: 'utf8', env, timeout: 180_000, maxBuffer: 1 << 24 });
  const probeMs = Date.now() - t0;
  const marker = r.stdout?.split('\n').find((l) => l.startsWith('EMBEDFORGE_PROBE '));
  const failed = (error: string): ProbeVerdict => ({
    ok: false, error, preloaded: false, builtFor: '', torchCudaVersion: '', cudaAvailable: false, cudaDeviceName: '',
    cudaKernelsMissing: [], libtorch: '', libtorchMtimeMs: -1, skipped: [], probeMs,
  });
  if (!marker) {
    const stderr = (r.stderr ?? '').trim().split('\n');
    const thrown = stderr.find((l) => /^(Error|TypeError)\b|^\S*Error: /.test(l)) ?? stderr.filter(Boolean).pop() ?? '';
    if (r.error) return failed(`the test load did not finish: ${r.error.message}`);
    const how = r.signal ? `killed by ${r.signal}` : `exited with ${r.status}`;
    return failed(`the test load in a child process ${how}${thrown ? `: ${thrown.replace(/^Error: /, '')}` : ''}`);
  }
  const out = JSON.parse(marker.slice('EMBEDFORGE_PROBE '.length)) as Omit<ProbeVerdict, 'ok' | 'probeMs' | 'libtorchMtimeMs'>;
  return { ok: true, ...out, libtorchMtimeMs: mtimeOf(out.libtorch), probeMs };
}

/** The verdict on loading `file` (with the LibTorch at libDir when it needs one), from the cache or a child. */
export function probeAddon(file: string, libDir: string | null, how: LoadHow): ProbeVerdict & { cached: boolean } {
  const st = fs.statSync(file);
  const key = JSON.stringify([file, st.mtimeMs, st.size, libDir ?? '', how]);
  const known = readCache()[key];
  if (known && stillValid(known)) return { ...known, cached: true };
  const verdict = runChild(file, libDir, how);
  // A probe cut short (timeout on a loaded machine) says nothing about the binary: try again next time.
  if (verdict.ok || !verdict.error?.startsWith('the test load did not finish')) writeCache(key, verdict);
  return { ...verdict, cached: false };
}
