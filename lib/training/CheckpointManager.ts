/**
 * The checkpoint folders of a run, `<output_dir>/checkpoint-<global step>/`, with transformers' rules for
 * finding the latest one, rotating old ones (save_total_limit) and resolving resume_from_checkpoint. What goes
 * inside a checkpoint (model, optimizer, trainer_state.json) is written by the Trainer through `save`'s fill
 * callback; this class owns only the folder mechanics, which are atomic (see atomicWrite.ts).
 */
import * as fs from 'fs';
import * as path from 'path';
import { writeDirAtomic } from './atomicWrite';
import { TRAINER_STATE_NAME } from './TrainerState';

export const CHECKPOINT_PREFIX = 'checkpoint';
const CHECKPOINT_RE = /^checkpoint-(\d+)$/;

export interface CheckpointEntry {
  step: number;
  path: string;
}

export class CheckpointManager {
  constructor(readonly outputDir: string) {}

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
        fs.rmSync(c.path, { recursive: true, force: true });
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
        fs.rmSync(c.path, { recursive: true, force: true });
        deleted.push(c.path);
      }
    }
    return deleted;
  }

  /**
   * resume_from_checkpoint → the checkpoint folder to resume from, or null to start fresh. `true` means the
   * latest checkpoint in outputDir (an error if there is none); a path must be a folder with trainer_state.json.
   */
  resolveResume(resumeFromCheckpoint: string | boolean | null | undefined): string | null {
    if (resumeFromCheckpoint === false || resumeFromCheckpoint === null || resumeFromCheckpoint === undefined) return null;
    if (resumeFromCheckpoint === true) {
      const latest = this.latest();
      if (!latest) throw new Error(`resume_from_checkpoint is true but no checkpoint-<step> folder was found in the output directory ${this.outputDir}`);
      if (!fs.existsSync(path.join(latest, TRAINER_STATE_NAME))) {
        throw new Error(`the latest checkpoint ${latest} has no ${TRAINER_STATE_NAME}, so training cannot resume from it`);
      }
      return latest;
    }
    const dir = resumeFromCheckpoint;
    if (!fs.existsSync(dir)) throw new Error(`resume_from_checkpoint: ${dir} does not exist`);
    if (!fs.statSync(dir).isDirectory()) throw new Error(`resume_from_checkpoint: ${dir} is not a folder (expected a checkpoint-<step> folder)`);
    if (!fs.existsSync(path.join(dir, TRAINER_STATE_NAME))) {
      throw new Error(`resume_from_checkpoint: ${dir} has no ${TRAINER_STATE_NAME}; is it a checkpoint-<step> folder written during training?`);
    }
    return dir;
  }
}
