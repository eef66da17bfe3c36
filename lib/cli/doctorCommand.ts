/**
 * `embedforge doctor`: what this machine gives embedforge. Node, the PyTorch found (where, version, CUDA or CPU),
 * the GPU as LibTorch sees it, the native binary chosen and why (and why not the others), the Hugging Face cache.
 * It never builds: when only a build from source would work, it says so.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

import { buildCommand, prebuildDir, prebuilds, resolveAddon, type AddonResolution } from '../binding/addon';
import { findTorch, type TorchSearch } from '../binding/findTorch';
import { hubCacheDir, hubOffline } from '../hub/hubEnvironment';

export interface DoctorReport {
  node: { version: string; platform: string };
  torch: TorchSearch;
  addon: AddonResolution;
  prebuilds: { dir: string; minors: string[] };
  gpu: string;
  huggingFaceCache: { dir: string; exists: boolean; offline: boolean };
}

/** The GPUs the NVIDIA driver lists, or null without nvidia-smi: a GPU that LibTorch does not see is worth saying. */
function driverGpus(): string | null {
  const r = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version', '--format=csv,noheader'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim().split('\n').join('; ') : null;
}

function gpuLine(res: AddonResolution): string {
  const v = res.choice?.verdict;
  if (!v) return 'unknown (no binary loaded)';
  if (v.cudaAvailable) return `${v.cudaDeviceName || 'a CUDA device'} (LibTorch CUDA ${v.torchCudaVersion})`;
  const driver = driverGpus();
  if (driver) return `nvidia-smi lists ${driver}, but LibTorch sees no CUDA device (${v.torchCudaVersion ? `a CUDA ${v.torchCudaVersion} build: check the driver` : 'a CPU build of PyTorch: install a CUDA wheel'})`;
  if (v.torchCudaVersion) {
    const missing = v.cudaKernelsMissing.length ? `; CUDA kernels missing: ${v.cudaKernelsMissing.join(', ')}` : '';
    return `none visible; LibTorch is a CUDA ${v.torchCudaVersion} build, so a GPU would be used${missing}`;
  }
  const skipped = v.skipped.length ? ` (CUDA libraries that would not load: ${v.skipped.join('; ')})` : '';
  return `none: LibTorch runs on CPU${skipped}`;
}

export function doctorReport(): DoctorReport {
  const torch = findTorch();
  const addon = resolveAddon({ build: false });
  const hf = hubCacheDir(); // where SentenceTransformer.load('owner/name') downloads, as huggingface_hub
  return {
    node: { version: process.version, platform: `${process.platform}-${process.arch}` },
    torch,
    addon,
    prebuilds: { dir: prebuildDir(), minors: prebuilds().map((p) => p.minor) },
    gpu: gpuLine(addon),
    huggingFaceCache: { dir: hf, exists: fs.existsSync(hf), offline: hubOffline() },
  };
}

export function formatDoctor(r: DoctorReport): string {
  const t = r.torch.found;
  const c = r.addon.choice;
  const lines = [
    `Node.js      ${r.node.version} (${r.node.platform})`,
    t ? `PyTorch      ${t.version || 'unknown version'}, ${t.cuda ? `CUDA ${t.cuda}` : 'CPU'}, at ${t.root}\n             found as ${t.source}`
      : `PyTorch      none found (${r.torch.tried.join('; ')})`,
    ...(t && r.torch.tried.length ? [`             (not taken: ${r.torch.tried.join('; ')})`] : []),
    `GPU          ${r.gpu}`,
    `Prebuilt     ${r.prebuilds.minors.length ? `PyTorch ${r.prebuilds.minors.join(', ')}` : 'none'} in ${r.prebuilds.dir}`,
    c ? `Binary       ${c.file}\n             ${c.kind}: ${c.why}; runs on ${c.verdict.libtorch ? path.dirname(c.verdict.libtorch) : 'its LibTorch'}`
      + `${c.verdict.preloaded ? ' (preloaded)' : ' (its own rpath)'}; built for PyTorch ${c.verdict.builtFor}`
      + `; test load ${c.verdict.cached ? 'remembered' : `${c.verdict.probeMs} ms`}`
      : 'Binary       none usable',
    ...r.addon.failures.map((f) => `             not taken:${f.replace(/^ +/, ' ')}`),
    `Build mode   EMBEDFORGE_BUILD=${r.addon.mode}${c ? '' : `; to build from source: ${buildCommand(t?.root)}`}`,
    `HF cache     ${r.huggingFaceCache.dir}${r.huggingFaceCache.exists ? '' : ' (not created yet)'}${r.huggingFaceCache.offline ? ', offline (HF_HUB_OFFLINE)' : ''}`,
  ];
  return lines.join('\n');
}
