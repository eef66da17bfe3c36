/**
 * Crash-safe writes: content is built under a temporary name in the same directory, flushed to disk, then
 * renamed into place (rename is atomic within a filesystem). A reader, or a run resumed after a crash,
 * therefore sees either the previous complete file/folder or the new complete one, never a partial one.
 * Temporary names start with "." so checkpoint listings (checkpoint-<step>) never pick them up.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';

function siblingName(target: string, tag: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.${tag}-${process.pid}-${randomBytes(4).toString('hex')}`);
}

async function fsyncPath(p: string): Promise<void> {
  const handle = await fsp.open(p, fs.constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on a directory handle; the data files themselves were synced.
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL' && (err as NodeJS.ErrnoException).code !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}

/** Flushes every file and directory under `dir` (and `dir` itself) to stable storage. */
async function fsyncTree(dir: string): Promise<void> {
  for (const entry of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) await fsyncTree(p);
    else if (entry.isFile()) await fsyncPath(p);
  }
  await fsyncPath(dir);
}

/** Writes `data` to `file` atomically (temporary file in the same directory, fsync, rename). */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = siblingName(file, 'tmp');
  try {
    const handle = await fsp.open(tmp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
  await fsyncPath(path.dirname(file));
}

/**
 * Creates the folder `finalDir` atomically: `fill(tmpDir)` writes the content into a fresh sibling folder,
 * which is flushed and renamed to `finalDir`. An existing `finalDir` is first moved aside and removed only
 * after the new one is in place. If `fill` throws, the temporary folder is removed and `finalDir` is left
 * exactly as it was.
 */
export async function writeDirAtomic(finalDir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  const tmpDir = siblingName(finalDir, 'tmp');
  await fsp.mkdir(path.dirname(finalDir), { recursive: true });
  await fsp.mkdir(tmpDir);
  try {
    await fill(tmpDir);
    await fsyncTree(tmpDir);
  } catch (err) {
    await fsp.rm(tmpDir, { recursive: true, force: true });
    throw err;
  }
  let aside: string | null = null;
  if (fs.existsSync(finalDir)) {
    aside = siblingName(finalDir, 'old');
    await fsp.rename(finalDir, aside);
  }
  try {
    await fsp.rename(tmpDir, finalDir);
  } catch (err) {
    if (aside) await fsp.rename(aside, finalDir);
    await fsp.rm(tmpDir, { recursive: true, force: true });
    throw err;
  }
  await fsyncPath(path.dirname(finalDir));
  if (aside) await fsp.rm(aside, { recursive: true, force: true });
}
