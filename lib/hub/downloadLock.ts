/**
 * One downloader per blob at a time, across processes: two runs appending to the same .incomplete file would
 * corrupt it, and one renaming it while the other still writes would corrupt the finished blob. The lock is a
 * file created exclusively under <cache>/.locks/ (where huggingface_hub keeps its own locks; ours has its own
 * name), holding the owner's pid; a lock whose process is gone is taken over.
 */
import * as fsp from 'fs/promises';
import * as path from 'path';

const POLL_MS = 200;
/** A lock file still empty after this long was left by a process that died between creating and writing it. */
const EMPTY_LOCK_STALE_MS = 10_000;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function stale(lockFile: string): Promise<{ stale: boolean; pid?: number }> {
  try {
    const text = (await fsp.readFile(lockFile, 'utf8')).trim();
    if (text === '') return { stale: Date.now() - (await fsp.stat(lockFile)).mtimeMs > EMPTY_LOCK_STALE_MS };
    const pid = Number(text);
    return { stale: !Number.isInteger(pid) || !alive(pid), pid };
  } catch {
    return { stale: false }; // released meanwhile: try again
  }
}

/** Runs fn holding the lock; `onWait` is told once when another process holds it. */
export async function withDownloadLock<T>(lockFile: string, fn: () => Promise<T>, onWait?: (pid: number | undefined) => void): Promise<T> {
  await fsp.mkdir(path.dirname(lockFile), { recursive: true });
  for (let told = false; ;) {
    try {
      const handle = await fsp.open(lockFile, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const state = await stale(lockFile);
      if (state.stale) {
        await fsp.rm(lockFile, { force: true });
        continue;
      }
      if (!told) onWait?.(state.pid);
      told = true;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }
  try {
    return await fn();
  } finally {
    await fsp.rm(lockFile, { force: true });
  }
}
