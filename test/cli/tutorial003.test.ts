/**
 * Tutorial 003 side by side (examples/003-compare.js): `embedforge train` on examples/003-mpnet-mnrl.yaml and
 * sentence-transformers' SentenceTransformerTrainer (scripts/reference/tutorial_003.py) fine-tune the real
 * all-mpnet-base-v2 on the same legal rows, split and arguments, each measuring the tutorial's
 * InformationRetrievalEvaluator before and after. Brief, to fit 2 CPU cores: 48 rows (43 train, 5 test
 * queries against 48 passages), 64 tokens, 2 steps of batch 8 (lr 2e-5 with the config's warmup: step 1 runs
 * at lr 0, step 2 moves the weights).
 *
 * Checked:
 * - the baselines agree within 1e-6 on every metric: the same model, rows, split, queries, corpus and ids on
 *   both sides (any difference in them moves some rank, i.e. a metric by 0.01 or more with 5 queries);
 * - the training losses agree within 1e-5 (relative) and the fine-tuned metrics within 1e-3: the same batches
 *   and the same update. Dropout is switched off on both sides (--no-dropout): our engine draws its dropout
 *   masks over packed token rows (T, H) and inside SDPA on padded heads, transformers' MPNet over padded
 *   (B, L, H) tensors and explicit attention probabilities, one forward per column, so the same seed cannot
 *   give the same masks; with dropout on, a 2-step run differs by RNG, not by a bug, and no tight tolerance
 *   would hold. Without dropout the update is deterministic fp32 on both sides;
 * - the printed table has every metric of the tutorial's table and both wall times.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { describeIf, missing, realMpnetDir, repoRoot, tmpDir } from '../helpers/requirements';

const script = path.join(repoRoot, 'examples', '003-compare.js');
const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');
const METRICS = ['accuracy@1', 'accuracy@3', 'accuracy@5', 'accuracy@10', 'precision@1', 'precision@3', 'precision@5', 'precision@10',
  'recall@1', 'recall@3', 'recall@5', 'recall@10', 'ndcg@10', 'mrr@10', 'map@100'];

interface Side { baseline: Record<string, number>; final: Record<string, number>; trainLoss: number; globalStep: number; trainRuntime: number; wallSeconds: number }
interface Comparison { rows: { all: number; train: number; test: number }; embedforge: Side; sentenceTransformers: Side; table: string }

const needs = missing({ addon: true, python: true, sharedData: true, realMpnet: true })
  ?? (fs.existsSync(cli) ? null : 'the CLI is not compiled (npm run build:ts)');

describeIf(needs, 'tutorial 003: all-mpnet-base-v2 + MNRL, embedforge beside sentence-transformers', () => {
  const work = tmpDir('tutorial003');
  const resultFile = path.join(work, 'result.json');
  let result: Comparison;
  let stdout: string;

  beforeAll(() => {
    const r = spawnSync(process.execPath, [script, '--model', realMpnetDir()!, '--train-rows', '48', '--max-seq-length', '64',
      '--max-steps', '2', '--batch-size', '8', '--threads', '1', '--no-dropout', '--exact-baseline', '--work', work, '--json', resultFile],
    { encoding: 'utf8', cwd: repoRoot, timeout: 300_000 });
    if (r.status !== 0) throw new Error(`003-compare.js failed (${r.status ?? r.signal}):\n${(r.stderr ?? '').slice(-4000)}`);
    stdout = r.stdout;
    result = JSON.parse(fs.readFileSync(resultFile, 'utf8')) as Comparison;
    console.log(stdout);
  });

  test('the same split on both sides: 48 rows, 5 of them test queries', () => {
    expect(result.rows).toEqual({ all: 48, train: 43, test: 5 });
  });

  test('baselines: every metric equal within 1e-6', () => {
    for (const m of METRICS) {
      const k = `cosine_${m}`;
      expect(typeof result.embedforge.baseline[k]).toBe('number');
      expect(Math.abs(result.embedforge.baseline[k] - result.sentenceTransformers.baseline[k])).toBeLessThanOrEqual(1e-6);
    }
  });

  test('training: the same 2 steps and loss (1e-5 relative), the fine-tuned metrics within 1e-3', () => {
    const ef = result.embedforge;
    const st = result.sentenceTransformers;
    expect([ef.globalStep, st.globalStep]).toEqual([2, 2]);
    expect(Math.abs(ef.trainLoss - st.trainLoss) / Math.abs(st.trainLoss)).toBeLessThanOrEqual(1e-5);
    for (const m of METRICS) {
      const k = `cosine_${m}`;
      expect(Math.abs(ef.final[k] - st.final[k])).toBeLessThanOrEqual(1e-3);
    }
    // Step 2 moved the model: on this data some metric changes (a run that trained nothing would not show it).
    expect(METRICS.some((m) => ef.final[`cosine_${m}`] !== ef.baseline[`cosine_${m}`])).toBe(true);
  });

  test('the table has every metric of the tutorial and both wall times', () => {
    for (const m of METRICS) expect(stdout).toMatch(new RegExp(`^\\| ${m} \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\| [0-9.]+ \\|$`, 'm'));
    expect(stdout).toMatch(/^\| wall time of the training loop \(train_runtime\) \| [0-9.]+ s \| [0-9.]+ s \|$/m);
    expect(stdout).toMatch(/^\| wall time of the whole run .* \| [0-9.]+ s \| [0-9.]+ s \|$/m);
    for (const side of [result.embedforge, result.sentenceTransformers]) expect(side.trainRuntime).toBeGreaterThan(0);
  });
});
