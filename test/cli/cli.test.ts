/**
 * The embedforge command as a user runs it (the compiled dist/cli/main.js): evaluate --json, encode to
 * .npy, train from a YAML config, --help everywhere, and clear errors for bad input.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { InformationRetrievalEvaluator } from '../../lib/evaluation/InformationRetrievalEvaluator';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readNpy } from '../helpers/npy';
import { describeIf, missing, repoRoot, sharedData, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const needs = missing({ addon: true }) ?? (fs.existsSync(cli) ? null : 'the CLI is not compiled (npm run build:ts)');
describeIf(needs, 'embedforge CLI', () => {
  const work = tmpDir('cli');
  const modelDir = path.join(work, 'model');
  const pairsFile = path.join(work, 'pairs.jsonl');
  let rows: { anchor: string; positive: string }[] = [];

  beforeAll(async () => {
    const { model, dataset } = await tinySetup(work, { numCompanies: 12 });
    await model.save(modelDir);
    rows = Array.from({ length: dataset.numRows }, (_, i) => dataset.row(i) as { anchor: string; positive: string });
    fs.writeFileSync(pairsFile, rows.map((r, i) => JSON.stringify({ id: i, ...r })).join('\n') + '\n');
  });

  test('--help on every command', () => {
    for (const cmd of [[], ['train'], ['evaluate'], ['encode'], ['demo']]) {
      const r = run([...cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: embedforge');
    }
  });

  test('evaluate --json prints sentence-transformers metric names, equal to the API\'s numbers', async () => {
    const r = run(['evaluate', '--model', modelDir, '--data', pairsFile, '--matryoshka-dims', '32,16', '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const metrics = JSON.parse(r.stdout) as Record<string, number>;
    const model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
    const direct = await InformationRetrievalEvaluator.fromPairs(rows.map((x, i) => ({ id: i, ...x })), { name: 'dim_16', truncateDim: 16, writeCsv: false }).evaluate(model);
    for (const key of ['dim_16_cosine_ndcg@10', 'dim_16_cosine_mrr@10', 'dim_16_cosine_map@100', 'dim_16_cosine_recall@10']) {
      expect(metrics[key]).toBeCloseTo(direct[key], 12);
    }
    expect(metrics['dim_32_cosine_accuracy@1']).toBeGreaterThanOrEqual(0);
  });

  describeIf(missing({ sharedData: true }), 'on the financial data set', () => {
    test('evaluate reads a {queries, corpus, relevant_docs} file', () => {
      const file = path.join(sharedData, 'llamaindex-10k-uber-lyft', 'val_dataset.json');
      const r = run(['evaluate', '--model', modelDir, '--data', file, '--json', '--score-functions', 'cosine,dot']);
      expect(r.code).toBe(0);
      const metrics = JSON.parse(r.stdout) as Record<string, number>;
      for (const key of ['cosine_ndcg@10', 'dot_mrr@10', 'cosine_map@100', 'dot_precision@5']) {
        expect(metrics[key]).toBeGreaterThanOrEqual(0);
        expect(metrics[key]).toBeLessThanOrEqual(1);
      }
    });
  });

  test('encode writes a .npy that numpy can read, with the API\'s embeddings', async () => {
    const input = path.join(work, 'texts.txt');
    fs.writeFileSync(input, 'where is varnexdor based ?\nwho runs varnexdor ?\n');
    const out = path.join(work, 'emb.npy');
    const r = run(['encode', '--model', modelDir, '--input', input, '--output', out, '--normalize', '--truncate-dim', '16']);
    expect(r.code).toBe(0);
    const npy = readNpy(out);
    expect([npy.rows, npy.cols]).toEqual([2, 16]);
    const model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
    const direct = await model.encode(['where is varnexdor based ?', 'who runs varnexdor ?'], { normalizeEmbeddings: true, truncateDim: 16 });
    expect(Array.from(npy.data)).toEqual(Array.from(direct));
  });

  test('train --config fine-tunes, checkpoints, saves the final model and logs JSON lines', () => {
    const config = path.join(work, 'train.yaml');
    fs.writeFileSync(config, YAML.stringify({
      model: 'model', train_data: { path: 'pairs.jsonl', columns: ['anchor', 'positive'], test_size: 0.2 },
      loss: { name: 'MatryoshkaLoss', loss: 'MultipleNegativesSymmetricRankingLoss', matryoshka_dims: [32, 16] },
      evaluator: { matryoshka_dims: [32, 16] },
      args: { output_dir: 'run', max_steps: 4, per_device_train_batch_size: 8, learning_rate: 1e-3, save_strategy: 'steps', save_steps: 2, logging_steps: 1 },
    }));
    const r = run(['train', '--config', config, '--json', '--set', 'seed=3']);
    expect(r.stderr).not.toMatch(/embedforge: .*error/i);
    expect(r.code).toBe(0);
    const logs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logs.filter((l) => typeof l.loss === 'number')).toHaveLength(4);
    for (const f of ['final/modules.json', 'final/model.safetensors', 'final/README.md', 'checkpoint-4/trainer_state.json', 'checkpoint-4/training_state.safetensors']) {
      expect(fs.existsSync(path.join(work, 'run', f))).toBe(true);
    }
    expect(fs.readFileSync(path.join(work, 'run', 'final', 'README.md'), 'utf8')).toContain('MatryoshkaLoss');
    expect(r.stderr).toMatch(/dim_16_cosine_ndcg@10/);
    // The evaluator's metrics before and after training, at full precision, for scripts that compare runs.
    const evaluations = logs.filter((l) => l.event === 'evaluation') as { when: string; metrics: Record<string, number> }[];
    expect(evaluations.map((e) => e.when)).toEqual(['before_training', 'after_training']);
    for (const e of evaluations) expect(Number.isFinite(e.metrics['dim_16_cosine_ndcg@10'])).toBe(true);
  });

  test('bad input: clear errors that name the file, line, column or value', () => {
    const bad = (name: string, content: string): string => {
      const f = path.join(work, name);
      fs.writeFileSync(f, content);
      return f;
    };
    const cases: [string[], RegExp][] = [
      [['evaluate', '--model', work, '--data', pairsFile], /no config\.json/],
      [['evaluate', '--model', modelDir, '--data', bad('broken.jsonl', '{"anchor": "a", "positive": "b"}\n{"anchor": "c", \n')], /broken\.jsonl.*line 2/],
      [['evaluate', '--model', modelDir, '--data', bad('empty.jsonl', '')], /empty\.jsonl/],
      [['evaluate', '--model', modelDir, '--data', bad('question.jsonl', '{"question": "a", "positive": "b"}\n')], /evaluation row 0 of \S*question\.jsonl \(line 1\) has no column 'anchor' \(columns: question, positive\)/],
      [['encode', '--model', modelDir, '--input', bad('blank.txt', 'one\n\nthree\n'), '--output', path.join(work, 'x.npy')], /blank\.txt line 2: empty text/],
      [['encode', '--model', modelDir, '--input', pairsFile, '--output', path.join(work, 'x.csv')], /\.npy or \.jsonl/],
      [['train', '--config', bad('c.yaml', 'model: model\ntrain_data: pairs.jsonl\nargs: {num_train_epoch: 1}\n')], /num_train_epoch/],
      [['train', '--config', bad('c2.yaml', 'model: model\ntrain_data: {path: pairs.jsonl, columns: [anchor, answer]}\n')], /answer/],
      [['train', '--config', bad('c3.yaml', 'model: model\ntrain_data: {path: pairs.jsonl, columns: [anchor, positive]}\nargs: {per_device_train_batch_size: 100000, output_dir: big}\n')], /per_device_train_batch_size 100000 is larger/],
    ];
    for (const [args, expected] of cases) {
      const r = run(args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(expected);
    }
  });
});
