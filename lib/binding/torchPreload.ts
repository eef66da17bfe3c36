/**
 * Loads a LibTorch's shared libraries into this process by absolute path, RTLD_GLOBAL, before a prebuilt
 * (portable) addon is required: the addon names libc10.so, libtorch_cpu.so and libtorch.so only by soname and
 * carries no rpath, so the dynamic linker takes the copies already loaded. libtorch_cuda / libc10_cuda, when the
 * PyTorch has them, are loaded too: they register the CUDA kernels with the dispatcher and LibTorch's CUDA hooks.
 *
 * The code is kept as source text so that the probe child (probeAddon.ts) runs exactly the same code.
 */

export interface PreloadResult {
  loaded: string[];
  /** Optional libraries (CUDA) that would not load, with the loader's reason; the addon then runs on CPU. */
  skipped: string[];
}

/** Defines `preloadTorch(libDir, fs)`; throws when a required library does not load. */
export const PRELOAD_SOURCE = String.raw`
function preloadTorch(libDir, fs) {
  const c = require('os').constants.dlopen;
  // RTLD_NODELETE (glibc 0x1000, macOS 0x80): process.dlopen dlcloses a library that registers no Node module,
  // which would unload libtorch.so, the one library nothing else holds.
  const nodelete = process.platform === 'linux' ? 0x1000 : process.platform === 'darwin' ? 0x80 : 0;
  const flags = c.RTLD_NOW | c.RTLD_GLOBAL | nodelete;
  const ext = process.platform === 'darwin' ? '.dylib' : '.so';
  const libs = [['libc10', true], ['libtorch_cpu', true], ['libc10_cuda', false], ['libtorch_cuda', false], ['libtorch', true]];
  const result = { loaded: [], skipped: [] };
  for (const [name, required] of libs) {
    const file = libDir + '/' + name + ext;
    if (!fs.existsSync(file)) {
      if (required) throw new Error('LibTorch at ' + libDir + ' has no ' + name + ext);
      continue;
    }
    try {
      process.dlopen({ exports: {} }, file, flags);
    } catch (err) {
      // Loaded fine: it just is not a Node module.
      if (!/did not self-register/.test(err.message)) {
        if (required) throw new Error('could not load ' + file + ': ' + err.message);
        result.skipped.push(name + ': ' + err.message.split('\n')[0]);
        continue;
      }
    }
    result.loaded.push(file);
  }
  return result;
}
`;

type PreloadFn = (libDir: string, fs: typeof import('fs')) => PreloadResult;

let preloadedFrom: string | undefined;

/** Preloads libDir's LibTorch once per process; a second, different LibTorch cannot share the process. */
export function preloadTorch(libDir: string): PreloadResult | null {
  if (preloadedFrom === libDir) return null;
  if (preloadedFrom) throw new Error(`LibTorch from ${preloadedFrom} is already loaded; cannot also load ${libDir}`);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function('require', `${PRELOAD_SOURCE}\nreturn preloadTorch;`)(require) as PreloadFn;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const result = fn(libDir, require('fs'));
  preloadedFrom = libDir;
  return result;
}
