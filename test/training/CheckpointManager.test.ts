import * as fs from 'fs';
import * as path from 'path';
import { CheckpointManager, CHECKPOINT_FILES } from '../../lib/training/CheckpointManager';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { reference } from './reference';

/** An output folder with checkpoint-<step> folders (each holding a trainer_state.json) and some distractors. */
function outputDir(steps: number[], distractors = true): string {
  const dir = tmpDir('ckpt');
  for (const s of steps) {
    fs.mkdirSync(path.join(dir, `checkpoint-${s}`));
    writeCompleteCheckpointFiles(path.join(dir, `checkpoint-${s}`));
    fs.writeFileSync(path.join(dir, `checkpoint-${s}`, 'trainer_state.json'), `{"global_step": ${s}}`);
  }
  if (distractors) {
    fs.writeFileSync(path.join(dir, 'checkpoint-999'), 'a file, not a checkpoint');
    fs.mkdirSync(path.join(dir, '.checkpoint-5000.tmp-1-ab'));
    fs.mkdirSync(path.join(dir, 'checkpoint-final'));
    fs.mkdirSync(path.join(dir, 'runs'));
  }
  return dir;
}

/** Every file a complete checkpoint has: JSON files and safetensors files with an empty, valid header. */
function writeCompleteCheckpointFiles(dir: string): void {
  const header = Buffer.from('{}');
  const st = Buffer.concat([Buffer.alloc(8), header]);
  st.writeBigUInt64LE(BigInt(header.length), 0);
  for (const f of CHECKPOINT_FILES) fs.writeFileSync(path.join(dir, f), f.endsWith('.json') ? '{}' : st);
}

const names = (m: CheckpointManager) => m.list().map((c) => path.basename(c.path));

describe('CheckpointManager', () => {
  it('lists checkpoint folders by step number, not by name', () => {
    const m = new CheckpointManager(outputDir([500, 1000, 50, 1500, 9]));
    expect(m.list().map((c) => c.step)).toEqual([9, 50, 500, 1000, 1500]);
    expect(m.latest()).toBe(path.join(m.outputDir, 'checkpoint-1500'));
    expect(m.checkpointDir(20)).toBe(path.join(m.outputDir, 'checkpoint-20'));
    expect(new CheckpointManager(path.join(tmpDir('ckpt'), 'not-yet')).list()).toEqual([]);
    expect(() => m.checkpointDir(1.5)).toThrow(/whole number/);
  });

  it('saves through the fill callback, atomically', async () => {
    const m = new CheckpointManager(path.join(tmpDir('ckpt'), 'out'));
    const p = await m.save(7, async (tmp) => fs.writeFileSync(path.join(tmp, 'trainer_state.json'), '{}'));
    expect(p).toBe(path.join(m.outputDir, 'checkpoint-7'));
    await expect(m.save(8, async () => {
      throw new Error('model save failed');
    })).rejects.toThrow('model save failed');
    expect(names(m)).toEqual(['checkpoint-7']);
    expect(fs.readdirSync(m.outputDir)).toEqual(['checkpoint-7']);
  });

  it('rotates oldest first, keeping the latest and the best', () => {
    const m = new CheckpointManager(outputDir([1, 2, 3, 4, 5]));
    expect(m.rotate(null)).toEqual([]);
    expect(m.rotate(0)).toEqual([]);
    expect(m.rotate(3).map((p) => path.basename(p))).toEqual(['checkpoint-1', 'checkpoint-2']);
    expect(names(m)).toEqual(['checkpoint-3', 'checkpoint-4', 'checkpoint-5']);
    m.rotate(1, path.join(m.outputDir, 'checkpoint-3'));
    expect(names(m)).toEqual(['checkpoint-3', 'checkpoint-5']);
  });

  it('prunes to the best checkpoint at the end of training only with save_total_limit 1', () => {
    const m = new CheckpointManager(outputDir([10, 20], false));
    expect(m.pruneAfterTraining(2, path.join(m.outputDir, 'checkpoint-10'))).toEqual([]);
    expect(m.pruneAfterTraining(1, null)).toEqual([]);
    m.pruneAfterTraining(1, path.join(m.outputDir, 'checkpoint-10'));
    expect(names(m)).toEqual(['checkpoint-10']);
  });

  it('resolves resume_from_checkpoint', () => {
    const m = new CheckpointManager(outputDir([100, 200]));
    expect(m.resolveResume(undefined)).toBeNull();
    expect(m.resolveResume(false)).toBeNull();
    expect(m.resolveResume(true)).toBe(path.join(m.outputDir, 'checkpoint-200'));
    expect(m.resolveResume(path.join(m.outputDir, 'checkpoint-100'))).toBe(path.join(m.outputDir, 'checkpoint-100'));
    const empty = new CheckpointManager(tmpDir('ckpt'));
    expect(() => empty.resolveResume(true)).toThrow(`resume_from_checkpoint is true but no checkpoint-<step> folder was found in the output directory ${empty.outputDir}`);
    expect(() => m.resolveResume(path.join(m.outputDir, 'checkpoint-300'))).toThrow(/checkpoint-300 does not exist/);
    expect(() => m.resolveResume(path.join(m.outputDir, 'checkpoint-999'))).toThrow(/checkpoint-999 is not a folder/);
    expect(() => m.resolveResume(path.join(m.outputDir, 'runs'))).toThrow(/runs has no trainer_state.json/);
    fs.rmSync(path.join(m.outputDir, 'checkpoint-200', 'trainer_state.json'));
    // An incomplete latest checkpoint is skipped (test/training/checkpointIntegrity.test.ts says more).
    expect(m.resolveResume(true)).toBe(path.join(m.outputDir, 'checkpoint-100'));
  });
});

describeIf(missing({ python: true }), 'CheckpointManager.rotate vs transformers.rotate_checkpoints', () => {
  it('leaves the same checkpoints for every limit and best-checkpoint position', () => {
    const steps = [5, 10, 15, 20, 25, 30];
    const cases: { steps: number[]; limit: number | null; best: number | null }[] = [];
    for (const limit of [null, 0, 1, 2, 3, 5, 6, 8]) for (const best of [null, 5, 15, 30]) cases.push({ steps, limit, best });
    const theirs = reference<string[]>('rotate', cases);
    cases.forEach((c, i) => {
      const m = new CheckpointManager(outputDir(steps, false));
      m.rotate(c.limit, c.best === null ? null : path.join(m.outputDir, `checkpoint-${c.best}`));
      expect({ limit: c.limit, best: c.best, left: names(m) }).toEqual({ limit: c.limit, best: c.best, left: theirs[i] });
      fs.rmSync(m.outputDir, { recursive: true, force: true });
    });
  });
});
