/**
 * `embedforge train` with several named datasets, each with its own loss (one with labels), and an
 * eval_dataset whose loss is logged as eval_loss: the run succeeds, logs eval_<name>_loss for each
 * evaluation dataset, and the model card names both losses. A loss given data it cannot take fails before
 * training, naming the dataset, the loss, what it needs and what the data has.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { describeIf, missing, repoRoot, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const needs = missing({ addon: true }) ?? (fs.existsSync(cli) ? null : 'the CLI is not compiled (npm run build:ts)');
describeIf(needs, 'embedforge train: several datasets, a loss each, eval_dataset', () => {
  const work = tmpDir('cli-multi');

  beforeAll(async () => {
    const { model, dataset } = await tinySetup(work, { numCompanies: 12 });
    await model.save(path.join(work, 'model'));
    const rows = Array.from({ length: dataset.numRows }, (_, i) => dataset.row(i) as { anchor: string; positive: string });
    const write = (name: string, records: object[]) => fs.writeFileSync(path.join(work, name), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
    write('pairs.jsonl', rows.map((r) => ({ anchor: r.anchor, positive: r.positive })));
    // Scored pairs: a question with its own passage (1) and with another company's (0).
    write('scored.jsonl', rows.flatMap((r, i) => [
      { sentence1: r.anchor, sentence2: r.positive, score: 1 },
      { sentence1: r.anchor, sentence2: rows[(i + 7) % rows.length].positive, score: 0 },
    ]));
  });

  test('two datasets with their own losses, PROPORTIONAL, eval_loss per eval dataset, both losses on the card', () => {
    const config = path.join(work, 'multi.yaml');
    fs.writeFileSync(config, YAML.stringify({
      model: 'model',
      train_data: { pairs: { path: 'pairs.jsonl', loss: 'MultipleNegativesRankingLoss' }, scored: { path: 'scored.jsonl', loss: { name: 'CoSENTLoss', scale: 10 } } },
      eval_dataset: { pairs: 'pairs.jsonl', scored: 'scored.jsonl' },
      args: { output_dir: 'out-multi', max_steps: 6, per_device_train_batch_size: 8, eval_strategy: 'steps', eval_steps: 3, logging_steps: 3, save_strategy: 'no' },
    }));
    const r = run(['train', '--config', config, '--json']);
    expect([r.code, r.stderr.slice(-2000)]).toEqual([0, expect.any(String)]);
    const logs = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, number>);
    // As the HF Trainer logs a dict of eval datasets: one entry per dataset and evaluation.
    const pairs = logs.filter((l) => 'eval_pairs_loss' in l);
    const scored = logs.filter((l) => 'eval_scored_loss' in l);
    expect(pairs.map((l) => l.step)).toEqual([3, 6]);
    expect(scored.map((l) => l.step)).toEqual([3, 6]);
    pairs.forEach((l, i) => {
      expect(Number.isFinite(l.eval_pairs_loss) && Number.isFinite(scored[i].eval_scored_loss)).toBe(true);
      expect(l.eval_pairs_loss).not.toBe(scored[i].eval_scored_loss);
    });
    const card = fs.readFileSync(path.join(work, 'out-multi', 'final', 'README.md'), 'utf8');
    expect(card).toContain('MultipleNegativesRankingLoss');
    expect(card).toContain('CoSENTLoss');
  });

  test('single sentences: DenoisingAutoEncoderLoss and ContrastiveTensionLoss get their pairs from the command', () => {
    const sentences = path.join(work, 'sentences.jsonl');
    const rows = fs.readFileSync(path.join(work, 'pairs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { positive: string });
    fs.writeFileSync(sentences, rows.map((r) => JSON.stringify({ text: r.positive })).join('\n') + '\n');
    for (const loss of ['DenoisingAutoEncoderLoss', 'ContrastiveTensionLoss']) {
      const config = path.join(work, `${loss}.yaml`);
      fs.writeFileSync(config, YAML.stringify({
        model: 'model', train_data: 'sentences.jsonl', loss,
        args: { output_dir: `out-${loss}`, max_steps: 2, per_device_train_batch_size: 8, logging_steps: 1, save_strategy: 'no' },
      }));
      const r = run(['train', '--config', config, '--json']);
      expect([loss, r.code, r.code === 0 ? '' : r.stderr.slice(-1500)]).toEqual([loss, 0, '']);
      const losses = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { loss?: number }).filter((l) => typeof l.loss === 'number');
      expect(losses).toHaveLength(2);
      expect(losses.every((l) => Number.isFinite(l.loss) && l.loss! > 0)).toBe(true);
    }
  });

  test('a loss given the wrong data fails before training, naming the dataset, the loss and the columns', () => {
    const config = path.join(work, 'bad.yaml');
    fs.writeFileSync(config, YAML.stringify({
      model: 'model',
      train_data: { pairs: { path: 'pairs.jsonl', loss: 'OnlineContrastiveLoss' } },
      args: { output_dir: 'out-bad', max_steps: 2 },
    }));
    const r = run(['train', '--config', config]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/train_dataset "pairs".*OnlineContrastiveLoss needs .*label/s);
    expect(fs.existsSync(path.join(work, 'out-bad', 'final'))).toBe(false);
  });
});
