/**
 * `embedforge evaluate --evaluator triplet|similarity|binary|reranking|paraphrase` as a user runs it (the
 * compiled dist/cli/main.js) on data files in the shapes each evaluator reads, with the same metrics (keys
 * and values) as the API's evaluators on the same model; a training config whose `evaluator:` is a list
 * of typed specs; and the errors for bad data and bad specs. Config parsing itself is checked without
 * the addon.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import YAML from 'yaml';
import { parseEvaluatorConfig } from '../../lib/cli/buildEvaluator';
import { validateTrainConfig } from '../../lib/cli/trainConfig';
import { BinaryClassificationEvaluator } from '../../lib/evaluation/BinaryClassificationEvaluator';
import { EmbeddingSimilarityEvaluator } from '../../lib/evaluation/EmbeddingSimilarityEvaluator';
import { ParaphraseMiningEvaluator } from '../../lib/evaluation/ParaphraseMiningEvaluator';
import { RerankingEvaluator } from '../../lib/evaluation/RerankingEvaluator';
import { TripletEvaluator } from '../../lib/evaluation/TripletEvaluator';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { describeIf, missing, repoRoot, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

const cli = path.join(repoRoot, 'dist', 'cli', 'main.js');

function run(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function evaluateJson(args: string[]): Record<string, number> {
  const r = run(['evaluate', ...args, '--json']);
  expect({ args, stderr: r.stderr, code: r.code }).toEqual({ args, stderr: '', code: 0 });
  return JSON.parse(r.stdout) as Record<string, number>;
}

function expectSameMetrics(cliMetrics: Record<string, number>, api: Record<string, number>): void {
  expect(Object.keys(cliMetrics)).toEqual(Object.keys(api));
  for (const [k, v] of Object.entries(api)) expect([k, cliMetrics[k]]).toEqual([k, v]);
}

describe('evaluator specs in a training config', () => {
  const base = { model: 'm', train_data: 't.jsonl' };
  const parse = (evaluator: unknown) => validateTrainConfig({ ...base, evaluator }, 'train.yaml').evaluator!;

  test('one spec, a list (run in sequence), class names, camelCase keys, bare type names, the legacy retrieval spec', () => {
    expect(parse({ matryoshka_dims: [32, 16] })).toEqual({ sequential: false, specs: [{ type: 'ir', options: { matryoshka_dims: [32, 16] } }] });
    expect(parse([{ type: 'TripletEvaluator', similarityFnNames: ['cosine', 'dot'], margin: { euclidean: 0.5 } }, 'similarity'])).toEqual({
      sequential: true,
      specs: [{ type: 'triplet', options: { similarity_fn_names: ['cosine', 'dot'], margin: { euclidean: 0.5 } } }, { type: 'similarity', options: {} }],
    });
    expect(parse({ type: 'reranking', at_k: 5, similarity_fct: 'dot_score', data: 'rerank.json' }).specs[0]).toEqual({ type: 'reranking', options: { at_k: 5, similarity_fct: 'dot_score', data: 'rerank.json' } });
  });

  test.each([
    [[{ type: 'triplet', similarity_fn_names: ['cosine', 'dott'] }], /train\.yaml: invalid config:\n.*evaluator\.0\.similarity_fn_names\.1: triplet evaluator: Invalid option/],
    [{ type: 'nope' }, /evaluator\.type: unknown evaluator type "nope"; expected one of ir, triplet, similarity, binary, reranking, paraphrase/],
    [{ type: 'binary', at_k: 3 }, /evaluator: binary evaluator: Unrecognized key: "at_k"/],
    [{ type: 'paraphrase', top_k: 0 }, /evaluator\.top_k: paraphrase evaluator: Too small/],
    [[], /evaluator: an empty list: name at least one evaluator/],
    [[{ type: 'ir' }, 3], /evaluator\.1: expected an evaluator spec such as \{type: triplet, \.\.\.\}, got 3/],
  ])('%#: bad spec %p', (evaluator, message) => {
    expect(() => parse(evaluator)).toThrow(message);
  });

  test('the evaluate command checks its spec the same way', () => {
    expect(() => parseEvaluatorConfig({ type: 'similarity', main_similarity: 'jaccard' }, 'evaluate')).toThrow(/evaluate: main_similarity: similarity evaluator: Invalid option/);
  });
});

const needs = missing({ addon: true }) ?? (fs.existsSync(cli) ? null : 'the CLI is not compiled (npm run build:ts)');
describeIf(needs, 'embedforge evaluate --evaluator ...', () => {
  const work = tmpDir('cli-evaluators');
  const modelDir = path.join(work, 'model');
  const file = (name: string, content: string): string => {
    const f = path.join(work, name);
    fs.writeFileSync(f, content);
    return f;
  };
  const jsonl = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  let rows: { anchor: string; positive: string }[] = [];
  let model: SentenceTransformer;

  beforeAll(async () => {
    const setup = await tinySetup(work, { numCompanies: 10 });
    await setup.model.save(modelDir);
    model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
    rows = Array.from({ length: setup.dataset.numRows }, (_, i) => setup.dataset.row(i) as { anchor: string; positive: string });
  });

  test('triplet: anchor/positive/negative columns by position; --matryoshka-dims runs one per dim in sequence', async () => {
    const triplets = rows.map((r, i) => ({ question: r.anchor, answer: r.positive, wrong: rows[(i + 5) % rows.length].positive }));
    const f = file('triplets.jsonl', jsonl(triplets));
    const api = await new TripletEvaluator({ anchors: triplets.map((t) => t.question), positives: triplets.map((t) => t.answer), negatives: triplets.map((t) => t.wrong), writeCsv: false }).evaluate(model);
    expectSameMetrics(evaluateJson(['--model', modelDir, '--data', f, '--evaluator', 'triplet']), api);
    const dims = evaluateJson(['--model', modelDir, '--data', f, '--evaluator', 'triplet', '--matryoshka-dims', '32,16', '--score-functions', 'cosine,manhattan']);
    expect(Object.keys(dims)).toEqual([
      'dim_32_cosine_accuracy', 'dim_32_manhattan_accuracy', 'dim_32_max_accuracy',
      'dim_16_cosine_accuracy', 'dim_16_manhattan_accuracy', 'dim_16_max_accuracy', 'sequential_score',
    ]);
    expect(dims.sequential_score).toBe(dims.dim_16_max_accuracy);
  });

  test('similarity: sentence1/sentence2/score from a CSV', async () => {
    const pairs = rows.map((r, i) => ({ sentence1: r.anchor, sentence2: i % 3 ? r.positive : rows[(i + 1) % rows.length].positive, score: i % 3 ? 4 + (i % 2) : i % 2 }));
    const f = file('sts.csv', 'sentence1,sentence2,score\n' + pairs.map((p) => `"${p.sentence1}","${p.sentence2}",${p.score}`).join('\n') + '\n');
    const api = await new EmbeddingSimilarityEvaluator({ sentences1: pairs.map((p) => p.sentence1), sentences2: pairs.map((p) => p.sentence2), scores: pairs.map((p) => p.score), similarityFnNames: ['cosine', 'euclidean'], writeCsv: false }).evaluate(model);
    expectSameMetrics(evaluateJson(['--model', modelDir, '--data', f, '--evaluator', 'similarity', '--score-functions', 'cosine,euclidean']), api);
    expect(Object.keys(api)).toEqual(['pearson_cosine', 'spearman_cosine', 'pearson_euclidean', 'spearman_euclidean', 'pearson_max', 'spearman_max']);
  });

  test('binary: sentence1/sentence2/label; paraphrase: the same pairs, label 1 marking duplicates', async () => {
    const pairs = rows.map((r, i) => ({ sentence1: r.anchor, sentence2: i % 2 ? r.positive : rows[(i + 3) % rows.length].positive, label: i % 2 }));
    const f = file('pairs.jsonl', jsonl(pairs));
    const s1 = pairs.map((p) => p.sentence1);
    const s2 = pairs.map((p) => p.sentence2);
    const binary = await new BinaryClassificationEvaluator({ sentences1: s1, sentences2: s2, labels: pairs.map((p) => p.label as 0 | 1), writeCsv: false }).evaluate(model);
    expectSameMetrics(evaluateJson(['--model', modelDir, '--data', f, '--evaluator', 'binary']), binary);
    expect(Object.keys(binary)).toEqual(['cosine_accuracy', 'cosine_accuracy_threshold', 'cosine_f1', 'cosine_f1_threshold', 'cosine_precision', 'cosine_recall', 'cosine_ap', 'cosine_mcc']);

    // Ids in order of first appearance, row by row: sentence1 then sentence2.
    const ids = new Map<string, string>();
    pairs.forEach((p) => [p.sentence1, p.sentence2].forEach((s) => ids.has(s) || ids.set(s, String(ids.size))));
    const sentencesMap = Object.fromEntries([...ids].map(([s, id]) => [id, s]));
    const duplicatesList = pairs.filter((p) => p.label === 1).map((p) => [ids.get(p.sentence1)!, ids.get(p.sentence2)!] as [string, string]);
    const paraphrase = await new ParaphraseMiningEvaluator({ sentencesMap, duplicatesList, writeCsv: false }).evaluate(model);
    expectSameMetrics(evaluateJson(['--model', modelDir, '--data', f, '--evaluator', 'paraphrase']), paraphrase);
    // The same as a {sentences_map, duplicates_list} file.
    const mapFile = file('paraphrase.json', JSON.stringify({ sentences_map: sentencesMap, duplicates_list: duplicatesList }));
    expectSameMetrics(evaluateJson(['--model', modelDir, '--data', mapFile, '--evaluator', 'paraphrase']), paraphrase);
    expect(paraphrase.average_precision).toBeGreaterThan(0);
  });

  test('reranking: query with positive and negative lists', async () => {
    const samples = rows.slice(0, 12).map((r, i) => ({ query: r.anchor, positive: [r.positive], negative: [1, 2, 3].map((k) => rows[(i + 4 * k) % rows.length].positive) }));
    const f = file('rerank.json', JSON.stringify(samples));
    const api = await new RerankingEvaluator({ samples, writeCsv: false }).evaluate(model);
    expectSameMetrics(evaluateJson(['--model', modelDir, '--data', f, '--evaluator', 'reranking']), api);
    expect(Object.keys(api)).toEqual(['map', 'mrr@10', 'ndcg@10']);
  });

  test('train: a config whose evaluator is a list of typed specs, each with its own data', () => {
    fs.writeFileSync(path.join(work, 'train_pairs.jsonl'), jsonl(rows));
    const config = file('train.yaml', YAML.stringify({
      model: 'model', train_data: 'train_pairs.jsonl',
      evaluator: [
        { type: 'triplet', data: 'triplets.jsonl', name: 'dev', similarity_fn_names: ['cosine', 'dot'] },
        { type: 'reranking', data: 'rerank.json', at_k: 3 },
      ],
      args: { output_dir: 'run', max_steps: 2, per_device_train_batch_size: 8, learning_rate: 1e-3, save_strategy: 'no', eval_strategy: 'steps', eval_steps: 2 },
    }));
    const r = run(['train', '--config', config, '--json']);
    expect({ code: r.code, stderr: r.code ? r.stderr : '' }).toEqual({ code: 0, stderr: '' });
    const logs = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const evalLog = logs.find((l) => 'eval_sequential_score' in l)!;
    expect(Object.keys(evalLog)).toEqual(expect.arrayContaining(['eval_dev_cosine_accuracy', 'eval_dev_dot_accuracy', 'eval_dev_max_accuracy', 'eval_map', 'eval_mrr@3', 'eval_ndcg@3']));
    expect(evalLog.eval_sequential_score).toBe(evalLog['eval_ndcg@3']);
    // The before/after table shows these metrics too.
    expect(r.stderr).toMatch(/dev_max_accuracy/);
  });

  test('bad input: errors name the file, row, line, column or value', () => {
    const cases: [string[], RegExp][] = [
      [['--data', file('two.jsonl', jsonl([{ a: 'x', b: 'y' }])), '--evaluator', 'triplet'], /two\.jsonl: the triplet evaluator reads 3 columns \(anchor, positive, negative\), by name or by position; the data has 2: a, b/],
      [['--data', file('label.jsonl', jsonl([{ sentence1: 'a', sentence2: 'b', label: 1 }, { sentence1: 'c', sentence2: 'd', label: 2 }])), '--evaluator', 'binary'], /row 1 of .*label\.jsonl \(line 2\), column 'label': the label must be 1 or 0, got 2/],
      [['--data', file('score.jsonl', jsonl([{ sentence1: 'a', sentence2: 'b', score: 'high' }, { sentence1: 'c', sentence2: 'd', score: 1 }])), '--evaluator', 'similarity'], /row 0 of .*score\.jsonl \(line 1\), column 'score': the score must be a number, got "high"/],
      [['--data', file('neg.jsonl', jsonl([{ query: 'q', positive: ['p'], negative: [3] }])), '--evaluator', 'reranking'], /row 0 of .*neg\.jsonl \(line 1\), column 'negative': expected a list of texts, got \[3\]/],
      [['--data', file('text.jsonl', jsonl([{ anchor: 'a', positive: 'b', negative: null }])), '--evaluator', 'triplet'], /column 'negative': expected a text, got null/],
      [['--data', file('dups.json', JSON.stringify({ sentences_map: { a: 'x' }, duplicates_list: [['a']] })), '--evaluator', 'paraphrase'], /dups\.json: duplicatesList\[0\] must be a pair \[id1, id2\]/],
      [['--data', path.join(work, 'missing.jsonl'), '--evaluator', 'binary'], /evaluation data .*missing\.jsonl does not exist/],
      [['--data', file('p2.jsonl', jsonl([{ sentence1: 'a', sentence2: 'b' }])), '--evaluator', 'paraphrase', '--score-functions', 'dot'], /the paraphrase evaluator mines by cosine similarity only/],
      [['--data', file('p3.jsonl', jsonl([{ sentence1: 'a', sentence2: 'b' }])), '--evaluator', 'rank'], /argument 'rank' is invalid\. Allowed choices are ir, triplet, similarity, binary, reranking, paraphrase/],
    ];
    for (const [args, expected] of cases) {
      const r = run(['evaluate', '--model', modelDir, ...args]);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.stderr).toMatch(expected);
    }
  });
});
