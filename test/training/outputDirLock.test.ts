/**
 * Issue 12, finding 1: one training run per output_dir. A second run (another Trainer, another process) is
 * refused naming the holder (pid, host, start time); the lock of a dead process is recovered with a message;
 * the lock is released when training ends, fails, or the process gets SIGINT/SIGTERM.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { LOCK_FILE_NAME, OutputDirLock } from '../../lib/training/outputDirLock';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { spawnTs } from '../helpers/tsChild';
import { tinySetup } from '../helpers/tinyModel';

const ARGS = { max_steps: 6, per_device_train_batch_size: 8, save_strategy: 'steps', save_steps: 2, seed: 3 };

/** A child holding the lock on `dir`, once it says so. */
async function holder(dir: string): Promise<{ child: ReturnType<typeof spawnTs>; owner: { pid: number; startedAt: string } }> {
  const child = spawnTs('test/training/children/holdLock.ts', [dir]);
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0]);
    });
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('exit', (code) => reject(new Error(`holder exited ${code}: ${err}`)));
  });
  return { child, owner: (JSON.parse(line) as { owner: { pid: number; startedAt: string } }).owner };
}

function exited(child: ReturnType<typeof spawnTs>): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.on('exit', (code, signal) => resolve({ code, signal }));
  });
}

async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '']);
  await new Promise((r) => c.on('exit', r));
  return c.pid!;
}

describe('OutputDirLock', () => {
  test('a second lock on the same folder is refused, naming the holder', async () => {
    const dir = path.join(tmpDir('lock'), 'out');
    const { child, owner } = await holder(dir);
    try {
      expect(() => OutputDirLock.acquire(dir)).toThrow(new RegExp(
        `output_dir .*out is in use by another training run: process ${owner.pid} on ${os.hostname()}, started ${owner.startedAt.replace(/\./g, '\\.')}`));
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }
    // The holder was SIGKILLed: its lock is stale now and is recovered with a message.
    const lines: string[] = [];
    const lock = OutputDirLock.acquire(dir, (l) => lines.push(l));
    expect(lines).toEqual([expect.stringMatching(new RegExp(`removed the stale lock of process ${owner.pid} on .*no longer running`))]);
    lock.release();
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
  });

  test('a lock of a dead process is recovered; one from another host is not', async () => {
    const dir = tmpDir('lock');
    const pid = await deadPid();
    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), JSON.stringify({ pid, host: os.hostname(), startedAt: '2026-01-01T00:00:00.000Z', command: 'x' }));
    const lines: string[] = [];
    OutputDirLock.acquire(dir, (l) => lines.push(l)).release();
    expect(lines.join('\n')).toContain(`removed the stale lock of process ${pid} on ${os.hostname()}, started 2026-01-01T00:00:00.000Z`);

    fs.writeFileSync(path.join(dir, LOCK_FILE_NAME), JSON.stringify({ pid, host: 'elsewhere', startedAt: '2026-01-01T00:00:00.000Z', command: 'x' }));
    expect(() => OutputDirLock.acquire(dir)).toThrow(/in use by another training run: process \d+ on elsewhere.*cannot be checked.*delete .*\.embedforge\.lock/);
  });

  test.each(['SIGTERM', 'SIGINT'] as const)('the lock is released when the holder gets %s', async (signal) => {
    const dir = tmpDir('lock');
    const { child } = await holder(dir);
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(true);
    child.kill(signal);
    expect(await exited(child)).toEqual({ code: null, signal });
    expect(fs.existsSync(path.join(dir, LOCK_FILE_NAME))).toBe(false);
  });
});

describeIf(missing({ addon: true }), 'Trainer holds the output_dir lock', () => {
  test('two trainers on one output_dir: the second is refused, the first finishes; the lock goes with the run', async () => {
    const work = tmpDir('lock-trainer');
    const out = path.join(work, 'run');
    const a = await tinySetup(work);
    const b = await tinySetup(work);
    const first = new Trainer({ model: a.model, args: { ...ARGS, output_dir: out }, trainDataset: a.dataset, loss: new MultipleNegativesRankingLoss() });
    const second = new Trainer({ model: b.model, args: { ...ARGS, output_dir: out }, trainDataset: b.dataset, loss: new MultipleNegativesRankingLoss() });
    const running = first.train();
    await expect(second.train()).rejects.toThrow(new RegExp(`in use by another training run: process ${process.pid} on ${os.hostname()}, started \\d{4}-`));
    await running;
    expect(second.stepLosses).toEqual([]);
    expect(first.stepLosses).toHaveLength(6);
    expect(fs.existsSync(path.join(out, LOCK_FILE_NAME))).toBe(false);

    // Released on failure too: a run that throws leaves no lock behind, and the next run proceeds.
    const failing = new Trainer({
      model: b.model, args: { ...ARGS, output_dir: out }, trainDataset: b.dataset, loss: new MultipleNegativesRankingLoss(),
      callbacks: { onStep: () => { throw new Error('boom'); } },
    });
    await expect(failing.train()).rejects.toThrow('boom');
    expect(fs.existsSync(path.join(out, LOCK_FILE_NAME))).toBe(false);
  });
});
