/**
 * Issue 12, finding 2: resuming a run that reached max_steps trains nothing and writes nothing (as the HF
 * Trainer: no step 41 of 40, no schedule rising again, no rotation or pruning), and says so.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

/** Every file under `dir` with its size, mtime and content hash. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        const st = fs.statSync(p);
        out[path.relative(dir, p)] = `${st.size} ${st.mtimeMs} ${crypto.createHash('sha256').update(fs.readFileSync(p)).digest('hex')}`;
      }
    }
  };
  walk(dir);
  return out;
}

const ARGS = { max_steps: 6, per_device_train_batch_size: 8, save_strategy: 'steps', save_steps: 2, save_total_limit: 1, seed: 5, lr_scheduler_type: 'cosine' };

describeIf(missing({ addon: true }), 'resuming a finished run', () => {
  test('trains no step, leaves every file as it was, and says nothing is left to do', async () => {
    const work = tmpDir('finished');
    const out = path.join(work, 'run');
    const { model, dataset } = await tinySetup(work);
    const first = new Trainer({ model, args: { ...ARGS, output_dir: out }, trainDataset: dataset, loss: new MultipleNegativesRankingLoss() });
    const firstOut = await first.train();
    expect(firstOut.globalStep).toBe(6);
    const before = snapshot(out);
    expect(Object.keys(before)).toContain(path.join('checkpoint-6', 'model.safetensors'));

    const again = await tinySetup(work, { seed: 42 });
    const lines: string[] = [];
    const steps: number[] = [];
    const resumed = new Trainer({
      model: again.model, args: { ...ARGS, output_dir: out }, trainDataset: again.dataset, loss: new MultipleNegativesRankingLoss(), log: (l) => lines.push(l),
      callbacks: { onStep: (s) => steps.push(s.globalStep) },
    });
    const result = await resumed.train({ resumeFromCheckpoint: true });
    expect(steps).toEqual([]);
    expect(result).toMatchObject({ globalStep: 6, alreadyFinished: true });
    expect(lines).toEqual([`${path.join(out, 'checkpoint-6')} is at step 6 of 6: training already finished, nothing to do`]);
    expect(snapshot(out)).toEqual(before);
    // The resumed model holds the checkpoint's weights (what an API user saves next).
    const a = await model.encode(['where is varnexdor based ?']);
    const b = await again.model.encode(['where is varnexdor based ?']);
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});
