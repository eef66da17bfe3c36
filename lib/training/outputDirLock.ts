/**
 * An exclusive lock on a training run's output_dir, so that two runs never write checkpoints and a final
 * model into the same folder. The lock is the file `<output_dir>/.embedforge.lock`, created atomically
 * (written under a temporary name, then hard-linked into place, which fails if it exists) and holding its
 * owner: pid, host, start time and command. A lock whose owner is a dead process on this host is stale and
 * taken over with a message; a live owner, or an owner on another host (whose liveness cannot be checked),
 * makes the second run fail naming it. The lock is released on release(), on process exit and on
 * SIGINT/SIGTERM (a SIGKILL leaves it behind: the next run finds its process dead and recovers it).
 *
 * Why not proper-lockfile (npm, served by the registry here): it decides staleness by the lock's mtime
 * (10 s by default, refreshed by a timer), so a run resumed right after a kill waits or fails, a long
 * blocking call can make a live lock look stale, and it records no owner to name in the message.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { checkOutputDirWritable } from './outputDirWritable';

export const LOCK_FILE_NAME = '.embedforge.lock';

export interface LockOwner {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

const held = new Set<OutputDirLock>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function releaseAllOnExit(): void {
  for (const lock of [...held]) lock.release();
}

function onSignal(signal: NodeJS.Signals): void {
  releaseAllOnExit();
  uninstallHandlers();
  // With no other listener left, die of the signal as the process would have without ours.
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function installHandlers(): void {
  process.on('exit', releaseAllOnExit);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstallHandlers(): void {
  process.removeListener('exit', releaseAllOnExit);
  for (const s of SIGNALS) process.removeListener(s, onSignal);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function describeOwner(o: LockOwner): string {
  return `process ${o.pid} on ${o.host}, started ${o.startedAt} (${o.command})`;
}

function readOwner(file: string): LockOwner | null {
  try {
    const o = JSON.parse(fs.readFileSync(file, 'utf8')) as LockOwner;
    return Number.isInteger(o.pid) && typeof o.host === 'string' ? o : null;
  } catch {
    return null;
  }
}

export class OutputDirLock {
  private released = false;
  /** Folders the run created for output_dir, outermost first: removed at release if still empty. */
  createdFolders: string[] = [];

  private constructor(readonly outputDir: string, readonly file: string, readonly owner: LockOwner) {}

  /**
   * Takes the lock on `outputDir` (created if missing) or throws naming the run that holds it. `log`
   * receives the line saying a stale lock was recovered.
   */
  static acquire(outputDir: string, log: (line: string) => void = (l) => process.stderr.write(l + '\n')): OutputDirLock {
    const dir = path.resolve(outputDir);
    if (!fs.existsSync(dir)) checkOutputDirWritable(dir); // creates it, or says in words why it cannot
    const file = path.join(dir, LOCK_FILE_NAME);
    const owner: LockOwner = {
      pid: process.pid, host: os.hostname(), startedAt: new Date().toISOString(), command: process.argv.slice(1).join(' ') || process.argv0,
    };
    for (let attempt = 0; attempt < 5; attempt++) {
      if (tryCreate(file, owner)) {
        const lock = new OutputDirLock(dir, file, owner);
        if (held.size === 0) installHandlers();
        held.add(lock);
        return lock;
      }
      const current = readOwner(file);
      if (current === null) {
        // Unreadable: a lock file from elsewhere (the link makes ours complete), or it vanished meanwhile.
        if (!fs.existsSync(file)) continue;
        throw new Error(`output_dir ${dir} is locked by ${file}, whose content is not an embedforge lock; delete it if no training run uses this folder`);
      }
      const sameHost = current.host === os.hostname();
      if (sameHost && current.pid !== process.pid && !processAlive(current.pid)) {
        if (takeOverStale(file, current)) log(`output_dir ${dir}: removed the stale lock of ${describeOwner(current)}, which is no longer running`);
        continue;
      }
      const hint = sameHost
        ? 'wait for it to finish, stop it, or choose another output_dir'
        : `its liveness cannot be checked from ${os.hostname()}; if it is no longer running, delete ${file}`;
      throw new Error(`output_dir ${dir} is in use by another training run: ${describeOwner(current)}; ${hint}`);
    }
    throw new Error(`output_dir ${dir}: could not take the lock ${file} (it kept changing hands)`);
  }

  /** Removes the lock file if it is still this process's; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    if (held.size === 0) uninstallHandlers();
    const current = readOwner(this.file);
    if (current && current.pid === this.owner.pid && current.startedAt === this.owner.startedAt) {
      try {
        fs.unlinkSync(this.file);
      } catch {
        // Already gone (the folder was removed): nothing to release.
      }
    }
    // A run that wrote nothing (no checkpoint, no final model) leaves no empty folders behind.
    for (const dir of [...this.createdFolders].reverse()) {
      try {
        fs.rmdirSync(dir);
      } catch {
        break; // not empty
      }
    }
  }

  /** Whether this lock is held and covers `dir`. */
  covers(dir: string): boolean {
    return !this.released && path.resolve(dir) === this.outputDir;
  }
}

/** Creates the lock file with its full content in one step; false when one exists. */
function tryCreate(file: string, owner: LockOwner): boolean {
  const tmp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(tmp, JSON.stringify(owner) + '\n', { flag: 'wx' });
  try {
    fs.linkSync(tmp, file);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    // A filesystem without hard links: exclusive create (a reader may briefly see it empty).
    try {
      fs.writeFileSync(file, JSON.stringify(owner) + '\n', { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/**
 * Removes a stale lock without racing another run that recovers it at the same time: the lock is moved to a
 * unique name first, and removed only if what was moved is still the dead owner's (else it is put back).
 */
function takeOverStale(file: string, stale: LockOwner): boolean {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(file, aside);
  } catch {
    return false; // someone else moved it first
  }
  const moved = readOwner(aside);
  if (moved && moved.pid === stale.pid && moved.startedAt === stale.startedAt) {
    fs.rmSync(aside, { force: true });
    return true;
  }
  try {
    fs.linkSync(aside, file);
  } catch {
    // A third run took the lock meanwhile; the live owner's lock we moved is lost to it either way.
  }
  fs.rmSync(aside, { force: true });
  return false;
}
