/**
 * The cache layout of Python's huggingface_hub, so that a model downloaded by either is found by the other:
 *   <cache>/models--{owner}--{name}/blobs/<etag>                   file contents, named by their ETag
 *   <cache>/models--{owner}--{name}/snapshots/<commit sha>/<file>  relative symlinks into blobs/
 *   <cache>/models--{owner}--{name}/refs/<revision>                the commit sha a branch or tag pointed to
 */
import * as fs from 'fs';
import * as fsp from 'fs/promises';
import * as path from 'path';
import { randomBytes } from 'crypto';

export const COMMIT_SHA = /^[0-9a-f]{40}$/;

/** `models--{owner}--{name}` under the cache. */
export function repoFolder(cacheDir: string, repoId: string): string {
  return path.join(cacheDir, ['models', ...repoId.split('/')].join('--'));
}

export function snapshotDir(folder: string, commit: string): string {
  return path.join(folder, 'snapshots', commit);
}

/** The commit a revision names in the cache: itself when it is a commit sha, else refs/<revision>; null when unknown. */
export function cachedCommit(folder: string, revision: string): string | null {
  if (COMMIT_SHA.test(revision)) return revision;
  try {
    const sha = fs.readFileSync(path.join(folder, 'refs', revision), 'utf8').trim();
    return COMMIT_SHA.test(sha) ? sha : null;
  } catch {
    return null;
  }
}

/** Records that `revision` points at `commit` (written atomically; nothing to write for a commit sha). */
export async function writeRef(folder: string, revision: string, commit: string): Promise<void> {
  if (revision === commit) return;
  const file = path.join(folder, 'refs', revision);
  await fsp.mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  await fsp.writeFile(tmp, commit);
  await fsp.rename(tmp, file);
}

export function blobPath(folder: string, etag: string): string {
  return path.join(folder, 'blobs', etag);
}

/**
 * Points snapshots/<commit>/<file> at blobs/<etag> with a relative symlink (as huggingface_hub does), made
 * under a temporary name and renamed into place so the snapshot file appears complete or not at all. Where
 * symlinks are refused (some Windows set-ups) the blob is copied, as huggingface_hub does there.
 */
export async function linkIntoSnapshot(folder: string, commit: string, file: string, etag: string): Promise<string> {
  const target = path.join(snapshotDir(folder, commit), file);
  await fsp.mkdir(path.dirname(target), { recursive: true });
  const blob = blobPath(folder, etag);
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fsp.symlink(path.relative(path.dirname(target), blob), tmp);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') throw e;
    await fsp.copyFile(blob, tmp);
  }
  await fsp.rename(tmp, target);
  return target;
}
