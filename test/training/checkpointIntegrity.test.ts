/**
 * Issue 12, finding 5: a checkpoint disappears atomically (renamed to a hidden trash name, then deleted), so
 * a deletion cut short leaves no visible half-deleted checkpoint-<step>; resume uses only a complete
 * checkpoint and names those it skipped; leftovers of a killed run (.tmp, .trash, .old folders) are removed by
 * the next run, which says so.
 */
import * as fs from 'fs';
import * as path from 'path';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { CheckpointManager, CHECKPOINT_FILES } from '../../lib/training/CheckpointManager';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

// rmSync can be made to fail part-way, as a kill during a deletion would leave it; it passes through otherwise.
jest.mock('fs', () => {
  const actual = jest.requireActual('fs');
  return { ...actual, rmSync: jest.fn(actual.rmSync) };
});

function completeCheckpoint(dir: string, step: number): string {
  const p = path.join(dir, `checkpoint-${step}`);
  fs.mkdirSync(p, { recursive: true });
  const header = Buffer.from('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
  const st = Buffer.concat([Buffer.alloc(8), header, Buffer.alloc(8)]);
  st.writeBigUInt64LE(BigInt(header.length), 0);
  for (const f of CHECKPOINT_FILES) fs.writeFileSync(path.join(p, f), f.endsWith('.json') ? `{"global_step": ${step}}` : st);
  return p;
}

describe('CheckpointManager: atomic deletion and complete checkpoints', () => {
  test('a deletion cut short (here: rmSync fails after one file) leaves no visible checkpoint, only a hidden trash folder', () => {
    const dir = tmpDir('integrity');
    for (const s of [1, 2, 3]) completeCheckpoint(dir, s);
    const m = new CheckpointManager(dir, () => undefined);
    const realRm = jest.requireActual('fs').rmSync as typeof fs.rmSync;
    (fs.rmSync as jest.Mock).mockImplementationOnce((p: string) => {
      // A kill in the middle of deleting: one file gone, the rest still there.
      realRm(path.join(p, 'model.safetensors'), { force: true });
      throw new Error('killed');
    });
    expect(() => m.rotate(2)).toThrow('killed');
    expect(m.list().map((c) => c.step)).toEqual([2, 3]);
    const leftovers = fs.readdirSync(dir).filter((n) => n.startsWith('.'));
    expect(leftovers).toEqual([expect.stringMatching(/^\.checkpoint-1\.trash-\d+-[0-9a-f]+$/)]);
    for (const c of m.list()) expect(CheckpointManager.incompleteness(c.path)).toBeNull();
  });

  test('resume skips incomplete checkpoints, naming each and why', () => {
    const dir = tmpDir('integrity');
    for (const s of [2, 4, 6, 8]) completeCheckpoint(dir, s);
    fs.rmSync(path.join(dir, 'checkpoint-8', 'model.safetensors')); // half-deleted by an older version
    const st = path.join(dir, 'checkpoint-6', 'training_state.safetensors');
    fs.truncateSync(st, fs.statSync(st).size - 3); // cut short
    fs.writeFileSync(path.join(dir, 'checkpoint-4', 'trainer_state.json'), '{"global_st');
    const lines: string[] = [];
    const m = new CheckpointManager(dir, (l) => lines.push(l));
    expect(m.resolveResume(true)).toBe(path.join(dir, 'checkpoint-2'));
    expect(lines).toEqual([`resuming from ${path.join(dir, 'checkpoint-2')}; skipped incomplete checkpoint(s): checkpoint-8 (model.safetensors is missing); `
      + 'checkpoint-6 (training_state.safetensors is damaged (67 bytes where the header describes 70)); '
      + `checkpoint-4 (trainer_state.json is damaged (${jsonError('{"global_st')}))`]);
    expect(() => m.resolveResume(path.join(dir, 'checkpoint-8'))).toThrow(`resume_from_checkpoint: ${path.join(dir, 'checkpoint-8')} is not a complete checkpoint: model.safetensors is missing`);
    fs.rmSync(path.join(dir, 'checkpoint-2', 'config.json'));
    expect(() => m.resolveResume(true)).toThrow(/no checkpoint in .* is complete: checkpoint-8 .*checkpoint-2 \(config.json is missing\)/);
  });

  test('leftovers of a killed run are removed with a line; a checkpoint moved aside is put back', () => {
    const dir = tmpDir('integrity');
    completeCheckpoint(dir, 4);
    for (const n of ['.checkpoint-6.tmp-123-abcd', '.checkpoint-2.trash-123-beef', '.final.tmp-9-00ff', '.checkpoint-4.old-5-1234']) fs.mkdirSync(path.join(dir, n));
    fs.renameSync(completeCheckpoint(dir, 8), path.join(dir, '.checkpoint-8.old-5-aaaa'));
    fs.mkdirSync(path.join(dir, '.keep-me'));
    const lines: string[] = [];
    const removed = new CheckpointManager(dir, (l) => lines.push(l)).cleanLeftovers();
    expect(removed.sort()).toEqual(['.checkpoint-2.trash-123-beef', '.checkpoint-4.old-5-1234', '.checkpoint-6.tmp-123-abcd', '.final.tmp-9-00ff']);
    expect(fs.readdirSync(dir).sort()).toEqual(['.keep-me', 'checkpoint-4', 'checkpoint-8']);
    expect(CheckpointManager.incompleteness(path.join(dir, 'checkpoint-8'))).toBeNull();
    expect(lines).toEqual([
      expect.stringMatching(/: removed 4 temporary folder\(s\) left by an interrupted run: /),
      `${dir}: restored checkpoint-8 from the copy an interrupted run had moved aside`,
    ]);
  });
});

function jsonError(text: string): string {
  try {
    JSON.parse(text);
  } catch (e) {
    return (e as Error).message;
  }
  return '';
}

describeIf(missing({ addon: true }), 'Trainer: leftovers and incomplete checkpoints', () => {
  test('the next run removes a killed run\'s temporary folders and resumes from the newest complete checkpoint', async () => {
    const work = tmpDir('integrity-trainer');
    const out = path.join(work, 'run');
    const { model, dataset } = await tinySetup(work);
    const args = { max_steps: 6, per_device_train_batch_size: 8, save_strategy: 'steps', save_steps: 2, seed: 3, output_dir: out };
    await new Trainer({ model, args: { ...args, max_steps: 4 }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss(), log: () => undefined }).train();
    fs.mkdirSync(path.join(out, '.checkpoint-6.tmp-1-ab'));
    fs.rmSync(path.join(out, 'checkpoint-4', 'training_state.safetensors'));
    const lines: string[] = [];
    const again = await tinySetup(work);
    const resumed = new Trainer({ model: again.model, args, trainDataset: again.dataset, loss: new MultipleNegativesRankingLoss(), log: (l) => lines.push(l) });
    await resumed.train({ resumeFromCheckpoint: true });
    expect(resumed.stepLosses).toHaveLength(4); // steps 3-6, from checkpoint-2
    expect(lines).toEqual([
      `${out}: removed 1 temporary folder(s) left by an interrupted run: .checkpoint-6.tmp-1-ab`,
      `resuming from ${path.join(out, 'checkpoint-2')}; skipped incomplete checkpoint(s): checkpoint-4 (training_state.safetensors is missing)`,
    ]);
    expect(fs.readdirSync(out).filter((n) => n.startsWith('.checkpoint'))).toEqual([]);
  });
});
