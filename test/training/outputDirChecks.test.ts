/**
 * Issue 12, finding 3: what can be checked before the first step is checked there. output_dir must be
 * writable (create, write, rename, delete a probe): a file in the way, a folder that cannot be created, a
 * read-only filesystem and a full disk are each reported naming the path and the cause in words. And
 * metric_for_best_model must be one of the evaluation's metric names.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import type { EmbeddingModel } from '../../lib/evaluation/EmbeddingModel';
import { SentenceEvaluator } from '../../lib/evaluation/SentenceEvaluator';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { checkOutputDirWritable } from '../../lib/training/outputDirWritable';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tsNodeArgs } from '../helpers/tsChild';
import { tinySetup } from '../helpers/tinyModel';

/** Runs the writability check inside a private mount namespace with a tmpfs mounted at `mountPoint` (options e.g. "ro"). */
function checkOnTmpfs(mountPoint: string, options: string, target: string): { error?: string; ok?: boolean } | string {
  const node = [process.execPath, ...tsNodeArgs('test/training/children/checkWritable.ts', [target])].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('unshare', ['-rm', 'sh', '-c', `mount -t tmpfs -o ${options} tmpfs '${mountPoint}' && exec ${node}`], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 || !r.stdout.trim()) return `unshare/mount unavailable: ${(r.stderr || String(r.error)).trim()}`;
  return JSON.parse(r.stdout.trim()) as { error?: string; ok?: boolean };
}

const mountsAvailable = spawnSync('unshare', ['-rm', 'sh', '-c', 'mount -t tmpfs tmpfs /mnt'], { encoding: 'utf8' }).status === 0;
if (!mountsAvailable) {
  process.stderr.write('SKIPPED "a read-only filesystem and a full disk are named": this machine does not allow a tmpfs mount in a private mount namespace (unshare -rm)\n');
}

describe('checkOutputDirWritable', () => {
  test('a writable folder passes and keeps no probe; a missing folder is created', () => {
    const base = tmpDir('writable');
    checkOutputDirWritable(path.join(base, 'a', 'b'));
    expect(fs.readdirSync(path.join(base, 'a', 'b'))).toEqual([]);
  });

  test('a file in the way is named', () => {
    const base = tmpDir('writable');
    const file = path.join(base, 'taken');
    fs.writeFileSync(file, 'x');
    expect(() => checkOutputDirWritable(file)).toThrow(`output_dir ${file} cannot hold checkpoints: ${file} is a file, not a folder`);
    expect(() => checkOutputDirWritable(path.join(file, 'run'))).toThrow(`${file} is a file, not a folder, so ${path.join(file, 'run')} cannot be created`);
  });

  test('a parent that does not accept folders (here /proc) is named, not reported as a bare ENOENT', () => {
    expect(() => checkOutputDirWritable('/proc/embedforge-run/out')).toThrow(/output_dir \/proc\/embedforge-run\/out cannot hold checkpoints: its parent \/proc exists but does not accept new folders/);
  });

  (mountsAvailable ? test : test.skip)('a read-only filesystem and a full disk are named (tmpfs in a private mount namespace)', () => {
    const mountPoint = tmpDir('mnt');
    const ro = checkOnTmpfs(mountPoint, 'ro,size=1m', path.join(mountPoint, 'missing', 'run'));
    expect(ro).toEqual({ error: expect.stringContaining(`output_dir ${path.join(mountPoint, 'missing', 'run')} cannot hold checkpoints: creating it failed: ${mountPoint} is on a read-only filesystem`) });
    const full = checkOnTmpfs(mountPoint, 'size=256k', path.join(mountPoint, 'run'));
    expect(full).toEqual({ error: expect.stringContaining(`cannot hold checkpoints: writing a probe file failed: the disk holding ${path.join(mountPoint, 'run')} is full`) });
    // The folder was created; the check leaves nothing else there (the tmpfs is gone with its namespace anyway).
    expect(checkOnTmpfs(mountPoint, 'size=4m', path.join(mountPoint, 'run'))).toEqual({ ok: true });
  });
  if (!mountsAvailable) process.stderr.write('SKIPPED read-only/full filesystem cases: `unshare -rm` with tmpfs mounts is not permitted here\n');
});

/** An evaluator whose metrics are known without a model: it counts its own calls. */
class CountingEvaluator extends SentenceEvaluator {
  calls = 0;
  constructor() {
    super('probe');
    this.primaryMetric = 'probe_accuracy';
  }
  async evaluate(_model: EmbeddingModel): Promise<Record<string, number>> {
    this.calls++;
    return { probe_accuracy: 0.5, probe_loss_like: 1 };
  }
}

describeIf(missing({ addon: true }), 'Trainer: checks before the first step', () => {
  test('an output_dir that is a file fails before any step, naming it', async () => {
    const work = tmpDir('early');
    const { model, dataset } = await tinySetup(work);
    const file = path.join(work, 'a-file');
    fs.writeFileSync(file, 'x');
    const trainer = new Trainer({ model, args: { max_steps: 4, output_dir: file, save_steps: 2, save_strategy: 'steps' }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss() });
    await expect(trainer.train()).rejects.toThrow(`output_dir ${file} cannot hold checkpoints: ${file} is a file, not a folder`);
    expect(trainer.stepLosses).toEqual([]);
  });

  test('a run that writes nothing (save_strategy no) leaves no folder the check created', async () => {
    const work = tmpDir('early');
    const { model, dataset } = await tinySetup(work);
    const out = path.join(work, 'checkpoints', 'model');
    const trainer = new Trainer({ model, args: { max_steps: 2, output_dir: out, save_strategy: 'no' }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss() });
    await trainer.train();
    expect(trainer.stepLosses).toHaveLength(2);
    expect(fs.existsSync(path.join(work, 'checkpoints'))).toBe(false);
  });

  test('metric_for_best_model is checked against the metric names before the first step', async () => {
    const work = tmpDir('early');
    const { model, dataset } = await tinySetup(work);
    const args = { max_steps: 4, output_dir: path.join(work, 'run'), eval_strategy: 'steps', eval_steps: 2, save_strategy: 'steps', save_steps: 2 };
    const evaluator = new CountingEvaluator();
    const bad = new Trainer({ model, args: { ...args, metric_for_best_model: 'probe_acuracy' }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss(), evaluator });
    await expect(bad.train()).rejects.toThrow('metric_for_best_model "probe_acuracy" is not among the evaluation metrics (checked before training): eval_probe_accuracy, eval_probe_loss_like');
    expect(bad.stepLosses).toEqual([]);
    expect(fs.existsSync(args.output_dir)).toBe(false); // created by the check, removed again: nothing was written

    // Metrics already at hand (the CLI's baseline) spare the extra evaluation; a good name trains.
    const good = new Trainer({ model, args: { ...args, metric_for_best_model: 'probe_accuracy' }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss(), evaluator });
    const before = evaluator.calls;
    await good.checkMetricForBestModel({ probe_accuracy: 0.1, probe_loss_like: 2 });
    await good.train();
    expect(evaluator.calls - before).toBe(2); // the two evaluations of the run, none before it
    expect(good.stepLosses).toHaveLength(4);

    // eval_loss with no eval_dataset is refused too (an evaluator that produces no loss).
    const noLoss = new Trainer({ model, args: { ...args, metric_for_best_model: 'loss' }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss(), evaluator });
    await expect(noLoss.train()).rejects.toThrow(/metric_for_best_model "loss" is not among/);
  });
});
