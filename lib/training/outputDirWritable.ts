/**
 * Checks, before the first training step, that output_dir can hold checkpoints: the folder is created and
 * a probe file is written, flushed, renamed and deleted in it. A failure is reported naming the path and
 * the cause in words (a file in the way, a read-only filesystem, no permission, a full disk), instead of
 * the raw errno the first checkpoint save would have met after the training it was meant to keep.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Bytes the probe writes: enough that a disk with no room for a checkpoint's first file fails here. */
const PROBE_BYTES = 1 << 20;

/** The cause of a filesystem error in words; `target` is the path the operation was on. */
export function describeFsError(err: NodeJS.ErrnoException, target: string): string {
  switch (err.code) {
    case 'EROFS': return `${target} is on a read-only filesystem`;
    case 'EACCES':
    case 'EPERM': return `permission denied: this user (uid ${process.getuid?.() ?? '?'}) may not write in ${target}`;
    case 'ENOSPC': return `the disk holding ${target} is full`;
    case 'EDQUOT': return `the disk quota for ${target} is exhausted`;
    case 'ENOTDIR':
    case 'EEXIST': return `${target} is in the way: a file where a folder is needed`;
    case 'ENAMETOOLONG': return `the path ${target} is too long`;
    case 'ELOOP': return `${target} has a symbolic-link loop`;
    default: return `${err.message}`;
  }
}

/** The first component of `dir` that exists and is not a folder, or null. */
function fileInTheWay(dir: string): string | null {
  let p = path.resolve(dir);
  const chain: string[] = [];
  while (true) {
    chain.unshift(p);
    const parent = path.dirname(p);
    if (parent === p) break;
    p = parent;
  }
  for (const c of chain) {
    let st: fs.Stats;
    try {
      st = fs.statSync(c);
    } catch {
      return null;
    }
    if (!st.isDirectory()) return c;
  }
  return null;
}

/** The deepest existing ancestor of `dir` (itself included). */
function existingAncestor(dir: string): string {
  let p = path.resolve(dir);
  while (!fs.existsSync(p) && path.dirname(p) !== p) p = path.dirname(p);
  return p;
}

/**
 * Throws an Error naming output_dir and the cause when checkpoints could not be written there. Returns the
 * folders it created, outermost first (so a run that writes nothing can remove them again).
 */
export function checkOutputDirWritable(outputDir: string): string[] {
  const dir = path.resolve(outputDir);
  const fail = (cause: string): never => {
    throw new Error(`output_dir ${dir} cannot hold checkpoints: ${cause}; choose another output_dir or fix the folder before training`);
  };
  const blocker = fileInTheWay(dir);
  if (blocker) fail(blocker === dir ? `${dir} is a file, not a folder` : `${blocker} is a file, not a folder, so ${dir} cannot be created`);
  const ancestor = existingAncestor(dir);
  const created: string[] = [];
  try {
    // One level at a time: Node's recursive mkdir loops forever where mkdir answers ENOENT (/proc).
    const missingParts = path.relative(ancestor, dir).split(path.sep).filter(Boolean);
    let p = ancestor;
    for (const part of missingParts) {
      p = path.join(p, part);
      try {
        fs.mkdirSync(p);
        created.push(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !fs.statSync(p).isDirectory()) throw err;
      }
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    // Some filesystems (/proc, /sys) answer ENOENT or EPERM to mkdir although the parent exists.
    if (e.code === 'ENOENT') fail(`its parent ${ancestor} exists but does not accept new folders (a virtual or read-only filesystem?)`);
    fail(`creating it failed: ${describeFsError(e, ancestor)}`);
  }
  const probe = path.join(dir, `.embedforge-write-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  const renamed = `${probe}-renamed`;
  let step = 'writing a probe file';
  try {
    const fd = fs.openSync(probe, 'wx');
    try {
      // A nearly full disk takes a short write first; the write after it fails with ENOSPC.
      const data = Buffer.alloc(PROBE_BYTES);
      for (let done = 0; done < data.length;) done += fs.writeSync(fd, data, done);
      step = 'flushing a probe file';
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    step = 'renaming a probe file';
    fs.renameSync(probe, renamed);
    step = 'deleting a probe file';
    fs.unlinkSync(renamed);
  } catch (err) {
    fs.rmSync(probe, { force: true });
    fs.rmSync(renamed, { force: true });
    fail(`${step} failed: ${describeFsError(err as NodeJS.ErrnoException, dir)}`);
  }
  return created;
}
