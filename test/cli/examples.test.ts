/**
 * The five tutorials as example configs (examples/*.yaml), each run for a few steps through the real
 * command line on a small random model with a real tokenizer (hidden 768 so that Matryoshka's dims fit,
 * one layer so that it is quick). Checked: the command succeeds, saves a loadable final model, and prints
 * the before/after table its evaluator produces. examples/prepare-data.js makes their data files from
 * ../shared/data first.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, repoRoot, runPython, sharedData, tmpDir } from '../helpers/requirements';

const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
const examples = path.join(repoRoot, 'examples');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000, cwd: repoRoot });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const needs = missing({ addon: true, python: true, sharedData: true }) ?? (fs.existsSync(cli) ? null : 'the CLI is not compiled (npm run build:ts)');
describeIf(needs, 'the tutorials as example configs', () => {
  const work = tmpDir('examples');
  const modelDir = path.join(work, 'model');
  const legalSample = path.join(work, 'legal-400.jsonl');

  beforeAll(() => {
    const prep = run([path.join(examples, 'prepare-data.js')]);
    expect([prep.code, prep.stderr]).toEqual([0, '']);
    runPython('st_models.py', ['make', '--tokenizer', path.join(sharedData, 'models', 'bge-base-en-v1.5'), '--pooling', 'cls', '--normalize',
      '--hidden', '768', '--layers', '1', '--heads', '12', '--intermediate', '256', '--max-seq-length', '64', '--dropout', '0.1', '--seed', '0',
      '--out', modelDir]);
    // Tutorials 000 and 003 evaluate on a 10 % split of their data: 400 legal rows keep that quick.
    const lines = fs.readFileSync(path.join(sharedData, 'legal-anchor-positive', 'train_dataset.json'), 'utf8').split('\n').filter((l) => l.trim());
    fs.writeFileSync(legalSample, lines.slice(0, 400).join('\n') + '\n');
  });

  function train(config: string, extra: string[] = []): { out: string; stdout: string } {
    const out = path.join(work, path.basename(config, '.yaml'));
    const r = run([cli, 'train', '--config', path.join(examples, config), '--model', modelDir, '--output-dir', out,
      '--set', 'max_steps=3', '--set', 'per_device_train_batch_size=8', '--set', 'gradient_accumulation_steps=1', '--set', 'logging_steps=1', ...extra]);
    if (r.code !== 0) throw new Error(`${config} failed (${r.code}):\n${r.stderr.slice(-3000)}`);
    const printed = r.stderr.split('\n').filter((l) => /^\s*(metric|\S+@\d+|eval_|.*accuracy|.*loss)/i.test(l)).slice(0, 12);
    console.log(`${config}: ${printed.join('\n  ')}`);
    return { out, stdout: r.stdout };
  }

  async function expectFinalModel(out: string): Promise<void> {
    const model = await SentenceTransformer.load(path.join(out, 'final'), { device: 'cpu' });
    expect((await model.encode(['What was Uber\'s revenue in 2021?'])).length).toBe(768);
  }

  test('000 trivia: MNRL, NO_DUPLICATES, IR evaluator on a 10 % split', async () => {
    await expectFinalModel(train('000-trivia-mnrl.yaml', ['--train-data', legalSample]).out);
  });

  test('001 financial: MatryoshkaLoss over MNRL, IR evaluator per dim, best model by dim_128', async () => {
    await expectFinalModel(train('001-financial-matryoshka.yaml').out);
  });

  test('002 labelled: BatchSemiHardTripletLoss, eval_loss on held-out rows, TripletEvaluator', async () => {
    const { out, stdout } = train('002-labelled-triplets.yaml', ['--set', 'eval_steps=3', '--json']);
    // The validation loss and the TripletEvaluator both run at step 3.
    const evaluation = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number>)
      .find((l) => 'eval_loss' in l);
    expect(evaluation?.step).toBe(3);
    expect(Number.isFinite(evaluation?.eval_loss)).toBe(true);
    expect(evaluation?.['eval_bge-base-en-train_cosine_accuracy']).toBeGreaterThan(0);
    await expectFinalModel(out);
  });

  test('003 MNRL on (question, passage) pairs, IR evaluator on a 10 % split', async () => {
    // The config splits all 5822 legal rows; 400 keep the two evaluations quick (examples/003-compare.js runs the real model).
    await expectFinalModel(train('003-mpnet-mnrl.yaml', ['--train-data', legalSample]).out);
  });

  test('004 OnlineContrastiveLoss on (question, chunk, 1/0), IR evaluator on the validation questions', async () => {
    await expectFinalModel(train('004-contrastive-chunks.yaml').out);
  });
});
