#!/usr/bin/env node
/**
 * Tutorial 003 side by side: `embedforge train` on examples/003-mpnet-mnrl.yaml and sentence-transformers'
 * SentenceTransformerTrainer (scripts/reference/tutorial_003.py) on the same rows, split, arguments and
 * evaluator, then the tutorial's table: each metric of the InformationRetrievalEvaluator for
 * all-mpnet-base-v2 before and after fine-tuning, embedforge / sentence-transformers, and the wall times.
 *
 * Needs: `npm run build:ts` (and the addon), the reference virtualenv (bash scripts/setup-python.sh), the
 * all-mpnet-base-v2 weights (bash scripts/setup-weights.sh) or --model DIR.
 *
 *   node examples/003-compare.js [options]
 *     --model DIR           the initial weights (default: the folder scripts/setup-weights.sh unpacks)
 *     --config FILE         default examples/003-mpnet-mnrl.yaml (its train_data file, columns, test_size, args)
 *     --train-rows N        the first N rows of the config's data only (default: all)
 *     --max-seq-length N    both sides truncate texts at N tokens (default: the model's 384)
 *     --epochs N --batch-size N --max-steps N
 *                           num_train_epochs / per_device_train_batch_size / max_steps for both sides
 *     --set KEY=VALUE       any other training argument for both sides (repeatable), e.g. --set learning_rate=1e-4
 *     --no-dropout          both sides train with dropout 0 (deterministic: the trained models can be compared closely)
 *     --exact-baseline      for brief runs: embedforge evaluates after every step, which gives its baseline at full
 *                           precision (see below); otherwise the baseline is read, rounded to 4 decimals, from the
 *                           fine-tuned model's card
 *     --threads N           CPU threads of both sides (torch.set_num_threads; OMP_NUM_THREADS for embedforge)
 *     --device cpu|cuda     default cpu
 *     --work DIR            where the data, model view, outputs and each side's log go (default: a new temporary folder)
 *     --json FILE           also write every number as JSON
 *     --python PATH         the reference virtualenv's python (default: scripts/setup-python.sh's)
 *
 * The same data: this script loads the rows with embedforge's own Dataset and splits them with
 * Dataset.trainTestSplit and the seed `embedforge train` uses (train_data.seed, else args.seed), then hands
 * the split rows to the Python side; the evaluator on both sides: queries = the test rows' anchors, corpus =
 * the positives of train then test rows, ids = the rows' `id` column. The same batches: embedforge's batch
 * samplers draw sentence-transformers' batch order for the same seed. --max-seq-length and --no-dropout make a
 * folder of links to the model's files with those two settings changed in its JSON, used by both sides.
 *
 * Overridden on both sides: save_strategy "no" (a 438 MB checkpoint per save is of no use here). embedforge
 * evaluates at each epoch's end (eval_strategy "epoch") so that its JSON lines carry the fine-tuned model's
 * metrics at full precision; the Python side evaluates after trainer.train() as the tutorial does. The
 * before-training metrics are printed by `embedforge train` only rounded (table on stderr, model card), so
 * --exact-baseline evaluates after every step instead: with a warmup the first step runs at learning rate 0
 * (checked in the step's log) and AdamW moves no weight at lr 0, so the evaluation after step 1 is the
 * baseline at full precision; it is checked against the rounded one. Evaluations change nothing in training.
 */
'use strict';
const { spawnSync, execFileSync } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const repoRoot = path.resolve(__dirname, '..');
const dist = path.join(repoRoot, 'dist');
const METRICS = [
  'accuracy@1', 'accuracy@3', 'accuracy@5', 'accuracy@10', 'precision@1', 'precision@3', 'precision@5', 'precision@10',
  'recall@1', 'recall@3', 'recall@5', 'recall@10', 'ndcg@10', 'mrr@10', 'map@100',
];
const SCORE = 'cosine';

function fail(message) {
  process.stderr.write(`003-compare: ${message}\n`);
  process.exit(2);
}

function parseArgs(argv) {
  const o = { set: [], noDropout: false, exactBaseline: false, device: 'cpu', config: path.join(__dirname, '003-mpnet-mnrl.yaml') };
  const positive = (flag, v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n <= 0) fail(`${flag} expects a positive integer, got "${v}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) fail(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--model': o.model = path.resolve(value()); break;
      case '--config': o.config = path.resolve(value()); break;
      case '--train-rows': o.trainRows = positive(flag, value()); break;
      case '--max-seq-length': o.maxSeqLength = positive(flag, value()); break;
      case '--epochs': o.epochs = positive(flag, value()); break;
      case '--batch-size': o.batchSize = positive(flag, value()); break;
      case '--max-steps': o.maxSteps = positive(flag, value()); break;
      case '--threads': o.threads = positive(flag, value()); break;
      case '--set': o.set.push(value()); break;
      case '--no-dropout': o.noDropout = true; break;
      case '--exact-baseline': o.exactBaseline = true; break;
      case '--device': o.device = value(); break;
      case '--work': o.work = path.resolve(value()); break;
      case '--json': o.json = path.resolve(value()); break;
      case '--python': o.python = value(); break;
      case '-h': case '--help':
        process.stdout.write(fs.readFileSync(__filename, 'utf8').split('*/')[0] + '*/\n');
        process.exit(0);
        break;
      default: fail(`unknown option ${flag} (--help lists them)`);
    }
  }
  if (!['cpu', 'cuda'].includes(o.device)) fail(`--device is cpu or cuda, got "${o.device}"`);
  return o;
}

function requireBuilt(module) {
  const file = path.join(dist, module);
  if (!fs.existsSync(file + '.js')) fail(`${path.relative(repoRoot, file)}.js is missing: run \`npm run build:ts\` first`);
  return require(file);
}

function defaultModel() {
  const dir = execFileSync('bash', [path.join(repoRoot, 'scripts', 'setup-weights.sh'), '--print-path'], { encoding: 'utf8' }).trim();
  if (!fs.existsSync(path.join(dir, '.complete'))) fail(`the all-mpnet-base-v2 weights are not unpacked at ${dir}: run \`bash scripts/setup-weights.sh\`, or give --model DIR`);
  return dir;
}

function defaultPython() {
  const venv = execFileSync('bash', [path.join(repoRoot, 'scripts', 'setup-python.sh'), '--print-path'], { encoding: 'utf8' }).trim();
  const py = path.join(venv, 'bin', 'python');
  if (!fs.existsSync(path.join(venv, '.complete'))) fail(`no reference virtualenv at ${venv}: run \`bash scripts/setup-python.sh\`, or give --python PATH`);
  return py;
}

/** A folder of links to the model's files, with max_seq_length and/or dropout changed in its JSON files. */
function modelView(model, work, { maxSeqLength, noDropout }) {
  if (maxSeqLength === undefined && !noDropout) return model;
  const view = path.join(work, 'model');
  fs.mkdirSync(view, { recursive: true });
  const edits = {};
  if (maxSeqLength !== undefined) edits['sentence_bert_config.json'] = (c) => ({ ...c, max_seq_length: maxSeqLength });
  if (noDropout) {
    edits['config.json'] = (c) => {
      const keys = ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'attention_dropout', 'mlp_dropout', 'embedding_dropout'];
      const present = keys.filter((k) => k in c);
      if (present.length === 0) fail(`${path.join(model, 'config.json')} names none of ${keys.join(', ')}: --no-dropout cannot switch dropout off`);
      return { ...c, ...Object.fromEntries(present.map((k) => [k, 0])) };
    };
  }
  for (const name of fs.readdirSync(model)) {
    const target = path.join(view, name);
    fs.rmSync(target, { recursive: true, force: true });
    if (edits[name]) {
      const json = JSON.parse(fs.readFileSync(path.join(model, name), 'utf8'));
      fs.writeFileSync(target, JSON.stringify(edits[name](json), null, 2) + '\n');
    } else {
      fs.symlinkSync(path.join(model, name), target);
    }
  }
  for (const name of Object.keys(edits)) {
    if (!fs.existsSync(path.join(model, name))) fail(`${path.join(model, name)} is missing: cannot set ${name === 'config.json' ? 'dropout' : 'max_seq_length'}`);
  }
  return view;
}

function writeJsonl(file, rows) {
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
}

/** `key=value` as the CLI reads it (YAML scalars), so that both sides get the same typed value. */
function parseSet(pairs) {
  const YAML = require('yaml');
  const out = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) fail(`--set ${p}: expected KEY=VALUE`);
    out[p.slice(0, eq).replace(/-/g, '_')] = YAML.parse(p.slice(eq + 1));
  }
  return out;
}

/** Runs a side to completion; its stdout and stderr are kept in `log` (the work folder) for a look afterwards. */
function run(command, args, options, log) {
  const t0 = Date.now();
  const r = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...options });
  const seconds = (Date.now() - t0) / 1000;
  fs.writeFileSync(log, `$ ${[command, ...args].join(' ')}\n\n--- stdout\n${r.stdout ?? ''}\n--- stderr\n${r.stderr ?? ''}`);
  if (r.status !== 0) {
    fail(`${path.basename(command)} ${args.slice(0, 2).join(' ')} failed (exit ${r.status ?? r.signal}):\n${(r.stderr || '').slice(-4000)}`);
  }
  return { stdout: r.stdout, stderr: r.stderr, seconds };
}

function jsonLines(stdout) {
  return stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}

/** The last evaluation record of `embedforge train --json`, without the "eval_" prefix. */
function lastEvaluation(records, what) {
  const evals = records.filter((r) => Object.keys(r).some((k) => k.startsWith('eval_')));
  if (evals.length === 0) fail(`${what}: no evaluation record in the JSON lines of embedforge train`);
  const last = evals[evals.length - 1];
  return Object.fromEntries(Object.entries(last).filter(([k]) => k.startsWith('eval_')).map(([k, v]) => [k.slice(5), v]));
}

/** The model card's evaluation table (| metric | before | value |), rounded to 4 decimals. */
function cardMetrics(finalDir) {
  const card = path.join(finalDir, 'README.md');
  if (!fs.existsSync(card)) fail(`${card} is missing: embedforge train wrote no model card`);
  const before = {};
  const after = {};
  for (const line of fs.readFileSync(card, 'utf8').split('\n')) {
    const m = /^\| (\S+) \| (-?[\d.]+) \| (-?[\d.]+) \|$/.exec(line);
    if (m) {
      before[m[1]] = Number(m[2]);
      after[m[1]] = Number(m[3]);
    }
  }
  if (Object.keys(before).length === 0) fail(`${card} has no "| metric | before | value |" table`);
  return { before, after };
}

/** Every metric of `rounded` (4 decimals) must be `exact` rounded: the two readings are of the same evaluation. */
function checkRounded(rounded, exact, what) {
  for (const [k, v] of Object.entries(rounded)) {
    if (!(k in exact) || Math.abs(exact[k] - v) > 5.001e-5) fail(`${what}: ${k} is ${v} in the model card but ${exact[k]} in the JSON lines`);
  }
}

function table(result) {
  const f = (v) => (typeof v === 'number' ? v.toFixed(4) : '-');
  const lines = [
    '| metric | all-mpnet-base-v2 baseline: embedforge | baseline: sentence-transformers | fine-tuned: embedforge | fine-tuned: sentence-transformers |',
    '|---|---|---|---|---|',
  ];
  for (const m of METRICS) {
    const k = `${SCORE}_${m}`;
    lines.push(`| ${m} | ${f(result.embedforge.baseline[k])} | ${f(result.sentenceTransformers.baseline[k])} | ${f(result.embedforge.final[k])} | ${f(result.sentenceTransformers.final[k])} |`);
  }
  const s = (v) => `${v.toFixed(1)} s`;
  lines.push('', '| training run | embedforge | sentence-transformers |', '|---|---|---|');
  lines.push(`| wall time of the training loop (train_runtime) | ${s(result.embedforge.trainRuntime)} | ${s(result.sentenceTransformers.trainRuntime)} |`);
  lines.push(`| wall time of the whole run (load, evaluate before, train, evaluate after) | ${s(result.embedforge.wallSeconds)} | ${s(result.sentenceTransformers.wallSeconds)} |`);
  lines.push(`| optimizer steps | ${result.embedforge.globalStep} | ${result.sentenceTransformers.globalStep} |`);
  lines.push(`| training loss (mean over the steps) | ${result.embedforge.trainLoss.toFixed(4)} | ${result.sentenceTransformers.trainLoss.toFixed(4)} |`);
  return lines.join('\n');
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  const YAML = require('yaml');
  const { Dataset } = requireBuilt('data/Dataset');
  const { parseTrainingArguments } = requireBuilt('training/TrainingArguments');
  const cli = path.join(dist, 'cli', 'main.js');
  if (!fs.existsSync(cli)) fail('dist/cli/main.js is missing: run `npm run build:ts` first');

  const config = YAML.parse(fs.readFileSync(o.config, 'utf8'));
  const configDir = path.dirname(o.config);
  const spec = config.train_data;
  if (!spec || typeof spec !== 'object' || typeof spec.path !== 'string' || spec.test_size === undefined) {
    fail(`${o.config}: train_data must be {path, columns, test_size} (one dataset split into train and test)`);
  }
  const [anchor, positive] = spec.columns ?? ['anchor', 'positive'];
  const model = o.model ?? defaultModel();
  const python = o.python ?? defaultPython();
  const work = o.work ?? fs.mkdtempSync(path.join(os.tmpdir(), 'embedforge-003-'));
  fs.mkdirSync(work, { recursive: true });
  process.stderr.write(`003-compare: work folder ${work}\n`);

  // The rows: the config's file, or its first N rows.
  const source = path.resolve(configDir, spec.path);
  let dataFile = source;
  if (o.trainRows !== undefined) {
    const all = await Dataset.load(source);
    if (o.trainRows > all.numRows) fail(`--train-rows ${o.trainRows}: ${source} has ${all.numRows} rows`);
    dataFile = path.join(work, `rows-${o.trainRows}.jsonl`);
    writeJsonl(dataFile, Array.from({ length: o.trainRows }, (_, i) => all.row(i)));
  }

  // Both sides' training arguments: the config's, then this script's options.
  const overrides = {
    ...(o.epochs !== undefined ? { num_train_epochs: o.epochs } : {}),
    ...(o.batchSize !== undefined ? { per_device_train_batch_size: o.batchSize } : {}),
    ...(o.maxSteps !== undefined ? { max_steps: o.maxSteps } : {}),
    ...parseSet(o.set),
    save_strategy: 'no',
  };
  const args = { ...(config.args ?? {}), ...overrides };
  delete args.output_dir;
  const parsedArgs = parseTrainingArguments({ ...args, output_dir: path.join(work, 'unused') }, `${o.config} args`);

  // The split `embedforge train` makes (trainJob: trainTestSplit with train_data.seed, else args.seed).
  let rows = await Dataset.load(dataFile);
  if (spec.rename) rows = rows.renameColumns(spec.rename);
  const split = rows.trainTestSplit({ testSize: spec.test_size, seed: spec.seed ?? parsedArgs.seed });
  const trainFile = path.join(work, 'train-split.jsonl');
  const testFile = path.join(work, 'test-split.jsonl');
  writeJsonl(trainFile, Array.from({ length: split.train.numRows }, (_, i) => split.train.row(i)));
  writeJsonl(testFile, Array.from({ length: split.test.numRows }, (_, i) => split.test.row(i)));
  process.stderr.write(`003-compare: ${rows.numRows} rows: ${split.train.numRows} train, ${split.test.numRows} test queries\n`);

  const modelDir = modelView(model, work, o);
  const setArgs = (a) => Object.entries(a).flatMap(([k, v]) => ['--set', `${k}=${JSON.stringify(v)}`]);
  const env = { ...process.env, ...(o.threads ? { OMP_NUM_THREADS: String(o.threads), MKL_NUM_THREADS: String(o.threads) } : {}) };
  const trainCommand = (outDir, extra) => [cli, 'train', '--config', o.config, '--model', modelDir, '--train-data', dataFile,
    '--output-dir', outDir, '--device', o.device, '--json', ...setArgs({ ...overrides, ...extra })];

  // embedforge: the fine-tuning run.
  process.stderr.write('003-compare: embedforge train ...\n');
  const efOut = path.join(work, 'embedforge');
  const evaluation = o.exactBaseline ? { eval_strategy: 'steps', eval_steps: 1, logging_steps: 1 } : { eval_strategy: 'epoch' };
  const ef = run(process.execPath, trainCommand(efOut, evaluation), { env, cwd: repoRoot }, path.join(work, 'embedforge.log'));
  const efRecords = jsonLines(ef.stdout);
  const efFinal = lastEvaluation(efRecords, 'embedforge train');
  const efSummary = efRecords.find((r) => 'train_runtime' in r);
  if (!efSummary) fail('embedforge train printed no train_runtime record');
  const card = cardMetrics(path.join(efOut, 'final'));
  checkRounded(card.after, efFinal, 'the fine-tuned embedforge model');
  let efBaseline = card.before;
  if (o.exactBaseline) {
    // Evaluated after every step: the first step ran at learning rate 0, so its evaluation is the baseline.
    const firstStep = efRecords.find((r) => r.step === 1 && 'learning_rate' in r);
    if (!firstStep || firstStep.learning_rate !== 0) {
      fail(`--exact-baseline needs a schedule whose first step runs at learning rate 0 (a warmup); step 1 ran at ${firstStep?.learning_rate}`);
    }
    efBaseline = lastEvaluation(efRecords.filter((r) => r.step === 1), 'embedforge train, step 1');
    checkRounded(card.before, efBaseline, 'the embedforge baseline');
  }

  // sentence-transformers: the same rows, split and arguments.
  process.stderr.write('003-compare: sentence-transformers (scripts/reference/tutorial_003.py) ...\n');
  const stArgsFile = path.join(work, 'st-args.json');
  fs.writeFileSync(stArgsFile, JSON.stringify({ ...args, eval_strategy: 'no' }, null, 2) + '\n');
  const st = run(python, [path.join(repoRoot, 'scripts', 'reference', 'tutorial_003.py'), '--model', modelDir, '--train', trainFile,
    '--test', testFile, '--columns', `${anchor},${positive}`, '--args', stArgsFile, '--device', o.device,
    ...(o.threads ? ['--threads', String(o.threads)] : [])], {
    env: { ...env, HF_HUB_OFFLINE: '1', TRANSFORMERS_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', PYTHONHASHSEED: '0' }, cwd: repoRoot,
  }, path.join(work, 'sentence-transformers.log'));
  const stResult = JSON.parse(st.stdout.trim().split('\n').pop());

  const result = {
    model, modelDir, config: o.config, dataFile, rows: { all: rows.numRows, train: split.train.numRows, test: split.test.numRows },
    args, threads: o.threads ?? null, device: o.device, exactBaseline: o.exactBaseline,
    embedforge: {
      baseline: efBaseline, final: efFinal, trainRuntime: efSummary.train_runtime, trainLoss: efSummary.train_loss,
      globalStep: efSummary.step, wallSeconds: ef.seconds,
    },
    sentenceTransformers: {
      baseline: stResult.baseline, final: stResult.final, trainRuntime: stResult.train_runtime, trainLoss: stResult.train_loss,
      globalStep: stResult.global_step, wallSeconds: st.seconds, phases: stResult.wall, versions: stResult.versions,
    },
  };
  result.table = table(result);
  if (o.json) fs.writeFileSync(o.json, JSON.stringify(result, null, 2) + '\n');
  process.stdout.write(result.table + '\n');
}

main().catch((e) => fail(e.stack || String(e)));
