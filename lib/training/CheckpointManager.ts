/**
 * The checkpoint folders of a run, `<output_dir>/checkpoint-<global step>/`, with transformers' rules for
 * finding the latest one, rotating old ones (save_total_limit) and resolving resume_from_checkpoint. What goes
 * inside a checkpoint (model, optimizer, trainer_state.json) is written by the Trainer through `save`'s fill
 * callback; this class owns only the folder mechanics, which are atomic: a checkpoint appears by renaming a
 * complete temporary folder (atomicWrite.ts) and disappears by renaming it to a hidden trash name before its
 * files are deleted, so a kill at any moment leaves every visible checkpoint-<step> complete. The hidden
 * leftovers of a killed run are removed at the next run, and resume skips (naming it) any checkpoint that is
 * not complete, e.g. one half-deleted by an older version.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { writeDirAtomic } from './atomicWrite';
import { TRAINER_STATE_NAME } from './TrainerState';

export const CHECKPOINT_PREFIX = 'checkpoint';
const CHECKPOINT_RE = /^checkpoint-(\d+)$/;
/** Hidden siblings a killed run can leave: `.checkpoint-N.tmp-*` (being written), `.old-*` (being replaced), `.trash-*` (being deleted). */
const LEFTOVER_RE = /^\.((?:checkpoint-\d+)|final)\.(tmp|old|trash)-.+$/;
/** The files every checkpoint holds; the two .safetensors files are checked against their headers. */
export const CHECKPOINT_FILES = [TRAINER_STATE_NAME, 'model.safetensors', 'training_state.safetensors', 'config.json', 'modules.json', 'training_args.json'];

export interface CheckpointEntry {
  step: number;
  path: string;
}

export class CheckpointManager {
  constructor(readonly outputDir: string, private readonly log: (line: string) => void = (l) => process.stderr.write(l + '\n')) {}

  /** The folder of the checkpoint saved after `step` optimizer steps. */
  checkpointDir(step: number): string {
    if (!Number.isInteger(step) || step < 0) throw new Error(`checkpoint step must be a whole number >= 0, got ${step}`);
    return path.join(this.outputDir, `${CHECKPOINT_PREFIX}-${step}`);
  }

  /** Existing checkpoint folders, oldest (lowest step) first. */
  list(): CheckpointEntry[] {
    if (!fs.existsSync(this.outputDir)) return [];
    const out: CheckpointEntry[] = [];
    for (const entry of fs.readdirSync(this.outputDir, { withFileTypes: true })) {
      const m = CHECKPOINT_RE.exec(entry.name);
      if (m && entry.isDirectory()) out.push({ step: Number(m[1]), path: path.join(this.outputDir, entry.name) });
    }
    return out.sort((a, b) => a.step - b.step);
  }

  /** The checkpoint with the highest step, or null when there is none. */
  latest(): string | null {
    const all = this.list();
    return all.length ? all[all.length - 1].path : null;
  }

  /**
   * Writes checkpoint-<step> atomically: `fill` receives a temporary folder to write into; it becomes
   * checkpoint-<step> only once complete (replacing an existing one). Returns the checkpoint's path.
   */
  async save(step: number, fill: (tmpDir: string) => Promise<void>): Promise<string> {
    const dir = this.checkpointDir(step);
    await writeDirAtomic(dir, fill);
    return dir;
  }

  /**
   * transformers' rotate_checkpoints after a save: when more than `saveTotalLimit` checkpoints exist, delete
   * the oldest, but never the most recent one (needed to resume) nor `bestCheckpoint` (the best model so
   * far); so with limit 1 and a best model that is not the latest, two remain. Returns the deleted paths.
   * Checkpoints are ordered by step (transformers orders by mtime and falls back to steps when the
   * mtimes are under a second apart).
   */
  rotate(saveTotalLimit: number | null | undefined, bestCheckpoint?: string | null): string[] {
    if (saveTotalLimit === null || saveTotalLimit === undefined || saveTotalLimit <= 0) return [];
    const checkpoints = this.list();
    if (checkpoints.length <= saveTotalLimit) return [];
    const protectedPaths = new Set([path.resolve(checkpoints[checkpoints.length - 1].path)]);
    if (bestCheckpoint) protectedPaths.add(path.resolve(bestCheckpoint));
    const keep = Math.max(saveTotalLimit, protectedPaths.size);
    let remaining = checkpoints.length;
    const deleted: string[] = [];
    for (const c of checkpoints) {
      if (remaining <= keep) break;
      if (!protectedPaths.has(path.resolve(c.path))) {
        removeAtomically(c.path);
        deleted.push(c.path);
        remaining--;
      }
    }
    return deleted;
  }

  /**
   * The Trainer's clean-up when training ends: with save_total_limit 1 and a known best checkpoint, every
   * other checkpoint is deleted so that exactly one remains. Returns the deleted paths.
   */
  pruneAfterTraining(saveTotalLimit: number | null | undefined, bestCheckpoint: string | null | undefined): string[] {
    if (saveTotalLimit !== 1 || !bestCheckpoint) return [];
    const best = path.resolve(bestCheckpoint);
    const deleted: string[] = [];
    for (const c of this.list()) {
      if (path.resolve(c.path) !== best) {
        removeAtomically(c.path);
        deleted.push(c.path);
      }
    }
    return deleted;
  }

  /**
   * Removes what a killed run left in output_dir: half-written `.checkpoint-N.tmp-*` folders and
   * `.checkpoint-N.trash-*` folders whose deletion was cut short are deleted; a `.checkpoint-N.old-*`
   * folder (a checkpoint being replaced) is put back when checkpoint-N is missing, else deleted. Call it only
   * while holding the output_dir lock (no other run is writing). Says what it did in one line; returns the names.
   */
  cleanLeftovers(): string[] {
    if (!fs.existsSync(this.outputDir)) return [];
    const removed: string[] = [];
    const restored: string[] = [];
    for (const name of fs.readdirSync(this.outputDir)) {
      const m = LEFTOVER_RE.exec(name);
      if (!m) continue;
      const p = path.join(this.outputDir, name);
      const original = path.join(this.outputDir, m[1]);
      if (m[2] === 'old' && !fs.existsSync(original)) {
        fs.renameSync(p, original);
        restored.push(m[1]);
        continue;
      }
      fs.rmSync(p, { recursive: true, force: true });
      removed.push(name);
    }
    if (removed.length) this.log(`${this.outputDir}: removed ${removed.length} temporary folder(s) left by an interrupted run: ${removed.join(', ')}`);
    if (restored.length) this.log(`${this.outputDir}: restored ${restored.join(', ')} from the copy an interrupted run had moved aside`);
    return removed;
  }

  /** Why the checkpoint folder `dir` cannot be resumed from (a missing or unreadable file), or null when it is complete. */
  static incompleteness(dir: string): string | null {
    for (const f of CHECKPOINT_FILES) {
      const p = path.join(dir, f);
      if (!fs.existsSync(p)) return `${f} is missing`;
      try {
        if (f.endsWith('.json')) JSON.parse(fs.readFileSync(p, 'utf8'));
        else checkSafetensorsSize(p);
      } catch (err) {
        return `${f} is damaged (${(err as Error).message})`;
      }
    }
    return null;
  }

  /**
   * resume_from_checkpoint → the checkpoint folder to resume from, or null to start fresh. `true` means the
   * latest complete checkpoint in outputDir (skipped incomplete ones are named; an error if there is none);
   * a path must be a complete checkpoint folder.
   */
  resolveResume(resumeFromCheckpoint: string | boolean | null | undefined): string | null {
    if (resumeFromCheckpoint === false || resumeFromCheckpoint === null || resumeFromCheckpoint === undefined) return null;
    if (resumeFromCheckpoint === true) {
      const all = this.list();
      if (!all.length) throw new Error(`resume_from_checkpoint is true but no checkpoint-<step> folder was found in the output directory ${this.outputDir}`);
      const skipped: string[] = [];
      for (const c of [...all].reverse()) {
        const problem = CheckpointManager.incompleteness(c.path);
        if (problem === null) {
          if (skipped.length) this.log(`resuming from ${c.path}; skipped incomplete checkpoint(s): ${skipped.join('; ')}`);
          return c.path;
        }
        skipped.push(`${path.basename(c.path)} (${problem})`);
      }
      throw new Error(`resume_from_checkpoint is true but no checkpoint in ${this.outputDir} is complete: ${skipped.join('; ')}`);
    }
    const dir = resumeFromCheckpoint;
    if (!fs.existsSync(dir)) throw new Error(`resume_from_checkpoint: ${dir} does not exist`);
    if (!fs.statSync(dir).isDirectory()) throw new Error(`resume_from_checkpoint: ${dir} is not a folder (expected a checkpoint-<step> folder)`);
    if (!fs.existsSync(path.join(dir, TRAINER_STATE_NAME))) {
      throw new Error(`resume_from_checkpoint: ${dir} has no ${TRAINER_STATE_NAME}; is it a checkpoint-<step> folder written during training?`);
    }
    const problem = CheckpointManager.incompleteness(dir);
    if (problem) throw new Error(`resume_from_checkpoint: ${dir} is not a complete checkpoint: ${problem}`);
    return dir;
  }
}

/**
 * Deletes a checkpoint folder so that no half-deleted checkpoint-<step> is ever visible: it is renamed to a
 * hidden trash name (atomic) and only then its files are removed; a kill in between leaves a trash folder
 * that the next run's cleanLeftovers removes.
 */
function removeAtomically(dir: string): void {
  const trash = path.join(path.dirname(dir), `.${path.basename(dir)}.trash-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.renameSync(dir, trash);
  fs.rmSync(trash, { recursive: true, force: true });
}

/** Throws unless the file is a safetensors file whose header parses and whose size is what the header says. */
function checkSafetensorsSize(file: string): void {
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    if (size < 8) throw new Error(`${size} bytes, shorter than the 8-byte header length`);
    const lenBuf = Buffer.alloc(8);
    fs.readSync(fd, lenBuf, 0, 8, 0);
    const headerLen = Number(lenBuf.readBigUInt64LE(0));
    if (headerLen > size - 8) throw new Error(`header of ${headerLen} bytes in a file of ${size} bytes`);
    const header = Buffer.alloc(headerLen);
    fs.readSync(fd, header, 0, headerLen, 8);
    const entries = JSON.parse(header.toString('utf8')) as Record<string, { data_offsets?: [number, number] }>;
    let end = 0;
    for (const [k, v] of Object.entries(entries)) if (k !== '__metadata__' && v.data_offsets) end = Math.max(end, v.data_offsets[1]);
    if (8 + headerLen + end !== size) throw new Error(`${size} bytes where the header describes ${8 + headerLen + end}`);
  } finally {
    fs.closeSync(fd);
  }
}
