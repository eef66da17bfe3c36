/**
 * Finds and loads the native addon. Candidates, in order: $EMBEDFORGE_ADDON, the local build
 * (build/Release/embedforge.node), the prebuilt binary for this platform (prebuilds/<platform>-<arch>/).
 * Each candidate is test-loaded and checked for the expected exports before it is trusted; when none
 * loads, one Error lists every failure and ends with "Possible solutions".
 */
import * as fs from 'fs';
import * as path from 'path';

import type { Addon } from './AddonTypes';

/** The package root, whether this file runs from lib/binding (ts-jest) or dist/binding (compiled). */
function packageRoot(): string {
  let dir = __dirname;
  for (let i = 0; i < 4; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return path.resolve(__dirname, '..', '..');
}

export function addonCandidates(): string[] {
  const root = packageRoot();
  const candidates: string[] = [];
  if (process.env.EMBEDFORGE_ADDON) candidates.push(path.resolve(process.env.EMBEDFORGE_ADDON));
  candidates.push(path.join(root, 'build', 'Release', 'embedforge.node'));
  candidates.push(path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'embedforge.node'));
  return candidates;
}

const expectedExports = ['NativeEncoder', 'TorchGenerator', 'manualSeed', 'deviceInfo', 'searchTopK'] as const;

/**
 * LibTorch's OpenMP threads wait for work asleep rather than spinning, unless OMP_WAIT_POLICY is set. GNU
 * OpenMP reads it once, when LibTorch loads with the addon. Spinning may save a little on an idle machine; it collapses
 * on a busy one: a parallel region's threads spin for a partner the kernel has descheduled. Measured on the
 * 2-core machine at load 6.5 (real all-MiniLM-L6-v2, batch 16): 1.5 pairs/s spinning, 6.5 asleep.
 */
export function preferPassiveOpenMpWait(env: NodeJS.ProcessEnv = process.env): void {
  if (env.OMP_WAIT_POLICY === undefined) env.OMP_WAIT_POLICY = 'PASSIVE';
}

function tryLoad(file: string): Addon {
  if (!fs.existsSync(file)) throw new Error('file not found');
  preferPassiveOpenMpWait();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = require(file) as Record<string, unknown>;
  const absent = expectedExports.filter((name) => typeof addon[name] !== 'function');
  if (absent.length > 0) throw new Error(`not an embedforge addon (missing ${absent.join(', ')})`);
  // A cheap call proves that LibTorch's libraries resolved and initialised.
  (addon as unknown as Addon).deviceInfo();
  return addon as unknown as Addon;
}

let loaded: Addon | undefined;

export function loadAddon(): Addon {
  if (loaded) return loaded;
  const failures: string[] = [];
  for (const candidate of addonCandidates()) {
    try {
      loaded = tryLoad(candidate);
      return loaded;
    } catch (err) {
      failures.push(`  ${candidate}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  throw new Error([
    'Could not load the embedforge native addon (embedforge.node). Tried:',
    ...failures,
    'Possible solutions:',
    '  - run `npm run setup` (creates the Python environment that provides LibTorch) and `npm run build:native`',
    '  - set LIBTORCH (or Torch_DIR) to a LibTorch install and run `npm run build:native`',
    '  - set EMBEDFORGE_ADDON to the path of a built embedforge.node',
    `  - check that a prebuilt binary exists for ${process.platform}-${process.arch} in prebuilds/`,
  ].join('\n'));
}
