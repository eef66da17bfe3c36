/**
 * Issue 12, findings 1-3 through `embedforge train` (lib/cli/main.ts run from source): a second run on a
 * locked output_dir is refused naming the holder; `--resume` on a finished run changes no file (final/
 * included) and says so; a bad output_dir or metric_for_best_model is reported before the baseline evaluation
 * or the first step, naming the path or the metric.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import YAML from 'yaml';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { spawnTs, tsNodeArgs } from '../helpers/tsChild';
import { tinySetup } from '../helpers/tinyModel';

function train(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, tsNodeArgs('lib/cli/main.ts', ['train', ...args]), { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = `${fs.statSync(p).mtimeMs} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
    }
  };
  walk(dir);
  return out;
}

describeIf(missing({ addon: true }), 'embedforge train: output_dir and resume', () => {
  const work = tmpDir('cli-outdir');
  const config = (name: string, args: Record<string, unknown>): string => {
    const file = path.join(work, name);
    fs.writeFileSync(file, YAML.stringify({
      model: 'model', train_data: { path: 'pairs.jsonl', columns: ['anchor', 'positive'], test_size: 0.2 }, evaluator: {},
      args: { max_steps: 4, per_device_train_batch_size: 8, save_strategy: 'steps', save_steps: 2, logging_steps: 1, ...args },
    }));
    return file;
  };

  beforeAll(async () => {
    const { model, dataset } = await tinySetup(work, { numCompanies: 12 });
    await model.save(path.join(work, 'model'));
    const rows = Array.from({ length: dataset.numRows }, (_, i) => dataset.row(i));
    fs.writeFileSync(path.join(work, 'pairs.jsonl'), rows.map((r, i) => JSON.stringify({ id: i, ...r })).join('\n') + '\n');
  });

  test('--resume on a finished run: nothing to do, no file changed (final/ included)', () => {
    const cfg = config('finished.yaml', { output_dir: 'finished' });
    const first = train(['--config', cfg, '--json']);
    expect(first.stderr).not.toMatch(/embedforge: /);
    expect(first.code).toBe(0);
    const out = path.join(work, 'finished');
    const before = snapshot(out);
    expect(Object.keys(before)).toEqual(expect.arrayContaining([path.join('final', 'model.safetensors'), path.join('checkpoint-4', 'model.safetensors')]));
    const again = train(['--config', cfg, '--json', '--resume']);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('is at step 4 of 4: training already finished, nothing to do');
    expect(again.stderr).toContain(`the final model of this finished run is in ${path.join(out, 'final')}; nothing was changed`);
    expect(again.stdout).not.toMatch(/"step":\s*5/);
    expect(snapshot(out)).toEqual(before);

    // Killed after its last checkpoint but before final/ was written: the resume writes final/ from that
    // checkpoint and trains nothing; the checkpoints stay as they were.
    fs.rmSync(path.join(out, 'final'), { recursive: true });
    const checkpoints = Object.fromEntries(Object.entries(before).filter(([f]) => f.startsWith('checkpoint-')));
    const late = train(['--config', cfg, '--json', '--resume']);
    expect(late.code).toBe(0);
    expect(late.stderr).toContain('training already finished, nothing to do');
    expect(late.stderr).toContain(`saved the fine-tuned model to ${path.join(out, 'final')}`);
    const after = snapshot(out);
    expect(Object.fromEntries(Object.entries(after).filter(([f]) => f.startsWith('checkpoint-')))).toEqual(checkpoints);
    expect(after[path.join('final', 'model.safetensors')].split(' ')[1]).toBe(before[path.join('checkpoint-4', 'model.safetensors')].split(' ')[1]);
  });

  test('a second run on a locked output_dir is refused, naming the holder', async () => {
    const out = path.join(work, 'busy');
    const holder = spawnTs('test/training/children/holdLock.ts', [out]);
    try {
      const owner = await new Promise<{ pid: number; startedAt: string }>((resolve, reject) => {
        holder.stdout!.once('data', (d: Buffer) => resolve((JSON.parse(d.toString().split('\n')[0]) as { owner: { pid: number; startedAt: string } }).owner));
        holder.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
      });
      const r = train(['--config', config('busy.yaml', { output_dir: 'busy' })]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`embedforge: output_dir ${out} is in use by another training run: process ${owner.pid} on ${os.hostname()}, started ${owner.startedAt}`);
      expect(r.stderr).not.toContain('evaluating the model before training');
      expect(fs.readdirSync(out)).toEqual(['.embedforge.lock']);
    } finally {
      holder.kill('SIGKILL');
    }
  });

  test('a bad output_dir or metric_for_best_model is reported before the baseline evaluation and the first step', () => {
    fs.writeFileSync(path.join(work, 'occupied'), 'x');
    const file = train(['--config', config('file.yaml', { output_dir: 'occupied/run' })]);
    expect(file.code).toBe(1);
    expect(file.stderr).toContain(`embedforge: output_dir ${path.join(work, 'occupied', 'run')} cannot hold checkpoints: ${path.join(work, 'occupied')} is a file, not a folder`);
    expect(file.stderr).not.toContain('evaluating the model before training');

    const metric = train(['--config', config('metric.yaml', { output_dir: 'metric', eval_strategy: 'steps', eval_steps: 2, metric_for_best_model: 'cosine_ndcg@11' }), '--json']);
    expect(metric.code).toBe(1);
    expect(metric.stderr).toMatch(/embedforge: metric_for_best_model "cosine_ndcg@11" is not among the evaluation metrics \(checked before training\): .*eval_cosine_ndcg@10/);
    expect(metric.stdout).not.toMatch(/"loss"/);
    expect(fs.existsSync(path.join(work, 'metric'))).toBe(false); // nothing written, no folder left
  });
});
