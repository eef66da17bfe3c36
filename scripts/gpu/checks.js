#!/usr/bin/env node
/*
 * The GPU run's checks, in one process: parity with sentence-transformers on the same weights and inputs,
 * the out-of-memory message, throughput beside sentence-transformers, training step by step against the
 * reference loop (scripts/reference/st_trainer_reference.py --engine loop: the GPU machine has no `datasets`
 * or `accelerate` for sentence-transformers' own Trainer), and the two fine-tuning tutorials side by side.
 * Needs the compiled TypeScript (dist/) and the addon; runs on any device (`--device cpu --quick` is the dry
 * run used here: tiny shapes, few steps).
 *
 *   node scripts/gpu/checks.js --out DIR [--device cuda] [--python python3] [--models DIR] [--data DIR] [--quick] [--core]
 *                              [--only embeddings,irMetrics,outOfMemory,throughput,training,tutorials]
 *
 * --core keeps the core parity checks at a size that fits the quick GPU run (gpu-run.sh --quick): embeddings
 * fp32/bf16 on fewer texts, and training of the first shape only, fp32 and bf16, dropout-free, 10 steps.
 *
 * --only defaults to $EMBEDFORGE_CHECKS, so that a GPU call can split the checks over two commands (each has
 * a 10-minute limit there) through scripts/gpu/gpu-run.sh: `EMBEDFORGE_CHECKS=training,tutorials bash ...`.
 *
 * Every check adds rows {check, tolerance, value, ok}; the table is printed last and written to
 * DIR/summary.txt and DIR/summary.json, with each check's details in DIR/<check>.log.
 */
'use strict';
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..', '..');
const ef = require(path.join(root, 'dist'));
const { readNpy, rowCosines } = require(path.join(root, 'dist', 'cli', 'npy'));
const { runBenchmark } = require(path.join(root, 'dist', 'bench', 'benchmark'));
const { createBatchSampler } = require(path.join(root, 'dist', 'data', 'samplers'));
const { trainingColumns } = require(path.join(root, 'dist', 'data', 'inputColumns'));
const { planTraining } = require(path.join(root, 'dist', 'training', 'trainingSteps'));
const { irDataFromQueriesCorpusFile } = require(path.join(root, 'dist', 'evaluation', 'irDatasets'));

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const flag = (name) => argv.includes(`--${name}`);
const OUT = path.resolve(opt('out', '/tmp/embedforge-checks'));
const DEVICE = opt('device', 'cuda');
const PYTHON = opt('python', 'python3');
const MODELS = path.resolve(opt('models', path.join(root, '..', 'shared', 'data', 'models')));
const DATA = path.resolve(opt('data', path.join(root, '..', 'shared', 'data')));
const QUICK = flag('quick');
const CORE = flag('core');
const WORK = path.join(OUT, 'work');
fs.mkdirSync(WORK, { recursive: true });

const SHAPES = QUICK
  ? [{ name: 'bge-tiny', tokenizer: 'bge-base-en-v1.5', pooling: 'cls', hidden: 64, layers: 2, heads: 4, intermediate: 128 },
     { name: 'minilm-tiny', tokenizer: 'all-MiniLM-L6-v2', pooling: 'mean', hidden: 48, layers: 2, heads: 4, intermediate: 96 }]
  : [{ name: 'bge-base', tokenizer: 'bge-base-en-v1.5', pooling: 'cls', hidden: 768, layers: 12, heads: 12, intermediate: 3072 },
     { name: 'all-MiniLM-L6', tokenizer: 'all-MiniLM-L6-v2', pooling: 'mean', hidden: 384, layers: 6, heads: 12, intermediate: 1536 }];

const rows = [];
let log = () => {};
function record(check, tolerance, value, ok) {
  rows.push({ check, tolerance, value, ok });
  log(`${check}: ${value} (${tolerance}) ${ok ? 'ok' : 'FAILED'}`);
}

function py(script, args) {
  const out = execFileSync(PYTHON, [path.join(root, 'scripts', 'reference', script), ...args], {
    encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' },
  });
  log(out);
  return out;
}

function legal(split, n) {
  return fs.readFileSync(path.join(DATA, 'legal-anchor-positive', `${split}_dataset.json`), 'utf8')
    .split('\n').filter((l) => l.trim()).slice(0, n).map((l) => JSON.parse(l));
}

function minCos(a, b, dim) {
  return Math.min(...rowCosines(a, b, a.length / dim, dim));
}

/** Random models of the real shapes (real tokenizers), saved by sentence-transformers. */
function makeModels() {
  for (const s of SHAPES) makeModel(path.join(WORK, s.name), s);
}

/**
 * A random model of shape s (seed 0, BertConfig's default dropout 0.1), saved by sentence-transformers. Weights are
 * drawn with std 0.2, not BERT's 0.02: at 0.02 every text's CLS embedding is nearly the same (pairwise cosine
 * 0.99995 on legal text), so the ranking loss sits at ln(batch) and its gradients are rounding noise, which two
 * engines cannot agree on; at 0.2 texts differ (cosine down to 0.44) and losses, gradients and rankings mean something.
 */
function makeModel(dir, s) {
  if (fs.existsSync(path.join(dir, 'modules.json'))) return dir;
  py('st_models.py', ['make', '--out', dir, '--tokenizer', path.join(MODELS, s.tokenizer), '--pooling', s.pooling, '--normalize',
    '--hidden', String(s.hidden), '--layers', String(s.layers), '--heads', String(s.heads), '--intermediate', String(s.intermediate),
    '--max-seq-length', String(s.maxSeqLength ?? 256), '--seed', '0', '--init-range', '0.2']);
  return dir;
}

/** A copy of a model folder with BERT's dropout set to p (config.json): the same weights. */
function withDropout(srcDir, dir, p) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(srcDir, dir, { recursive: true });
  const file = path.join(dir, 'config.json');
  const config = JSON.parse(fs.readFileSync(file, 'utf8'));
  Object.assign(config, { hidden_dropout_prob: p, attention_probs_dropout_prob: p });
  fs.writeFileSync(file, JSON.stringify(config, null, 2));
  return dir;
}

function ourLoss(spec) {
  const inner = new ef.MultipleNegativesRankingLoss({ scale: spec.scale });
  return spec.matryoshka_dims ? new ef.MatryoshkaLoss(inner, { matryoshkaDims: spec.matryoshka_dims }) : inner;
}

/** Every epoch's batches exactly as our Trainer draws them (its sampler, texts and step plan). */
function batchOrder(dataset, hfArgs) {
  const args = ef.parseTrainingArguments(hfArgs);
  const sampler = createBatchSampler(args.batchSampler, {
    texts: trainingColumns(dataset).texts, batchSize: args.perDeviceTrainBatchSize, dropLast: args.dataloaderDropLast, seed: args.seed,
    dataSeed: args.dataSeed,
  });
  const plan = planTraining({ batchesPerEpoch: sampler.batchesPerEpoch(), gradientAccumulationSteps: args.gradientAccumulationSteps,
    numTrainEpochs: args.numTrainEpochs, maxSteps: args.maxSteps });
  return Array.from({ length: plan.numTrainEpochs }, (_, e) => sampler.epochBatches(e).map((b) => Array.from(b)));
}

/**
 * One training run here and one in the reference loop, from the same folder, on the same rows in the same
 * batches with the same arguments: per-step loss / grad norm / learning rate of both, our trained model, the
 * reference's trained folder, and both training wall times (ours around Trainer.train, theirs around the loop).
 */
async function trainBoth(tag, modelDir, records, hfArgs, lossSpec) {
  const dataset = ef.Dataset.fromRecords(records, `${tag} rows`);
  const files = Object.fromEntries(['pairs.jsonl', 'batches.json', 'args.json', 'out.json'].map((f) => [f, path.join(WORK, `${tag}-${f}`)]));
  fs.writeFileSync(files['pairs.jsonl'], records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  fs.writeFileSync(files['batches.json'], JSON.stringify(batchOrder(dataset, hfArgs)));
  fs.writeFileSync(files['args.json'], JSON.stringify({ ...hfArgs, loss: lossSpec }));
  const savedDir = path.join(WORK, `${tag}-reference-trained`);
  fs.rmSync(savedDir, { recursive: true, force: true });
  py('st_trainer_reference.py', ['--engine', 'loop', '--model', modelDir, '--pairs', files['pairs.jsonl'], '--batches', files['batches.json'],
    '--args', files['args.json'], '--device', DEVICE, '--out', files['out.json'], '--save', savedDir,
    // On the shared CPU of the dry run, one thread avoids threads spinning against each other.
    ...(DEVICE === 'cpu' ? ['--threads', '1'] : [])]);
  const theirs = JSON.parse(fs.readFileSync(files['out.json'], 'utf8'));

  const model = await ef.SentenceTransformer.load(modelDir, { device: DEVICE });
  const steps = [];
  const trainer = new ef.Trainer({
    model, loss: ourLoss(lossSpec), trainDataset: dataset,
    args: { ...hfArgs, logging_steps: 1, save_strategy: 'no', output_dir: path.join(WORK, `${tag}-ours`) },
    callbacks: {
      onStep: (st) => { steps.push({ loss: st.loss, learningRate: st.learningRate, gradNorm: NaN }); },
      onLog: (r) => { if (typeof r.grad_norm === 'number') steps[r.step - 1].gradNorm = r.grad_norm; },
    },
  });
  const t0 = Date.now();
  await trainer.train();
  const seconds = (Date.now() - t0) / 1000;
  log(`${tag}: ours ${steps.length} steps in ${seconds.toFixed(1)}s, reference ${theirs.steps.length} steps in ${theirs.train_runtime.toFixed(1)}s`);
  steps.forEach((o, i) => {
    const t = theirs.steps[i] || {};
    log(`  step ${i + 1}: loss ${o.loss} vs ${t.loss}; grad norm ${o.gradNorm} vs ${t.grad_norm}; lr ${o.learningRate} vs ${t.learning_rate}`);
  });
  return { ours: { steps, model, seconds }, theirs: { steps: theirs.steps, savedDir, seconds: theirs.train_runtime } };
}

const relDiff = (a, b) => (a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)));

/**
 * Rows comparing two runs step by step: every step's loss (absolute or relative difference), the learning
 * rates, and step 1's loss and grad norm (relative), which stand for the first step's gradients.
 */
function recordSteps(name, ours, theirs, { lossTol, relative, gradNormTol }) {
  const diff = relative ? relDiff : (a, b) => Math.abs(a - b);
  const what = relative ? 'rel diff' : '|diff|';
  const pct = (x) => (relative ? `${x * 100}%` : String(x));
  const n = theirs.length;
  let worst = 0, at = 0, lr = 0;
  for (let i = 0; i < n; i++) {
    const d = i < ours.length ? diff(ours[i].loss, theirs[i].loss) : Infinity;
    if (Number.isNaN(d) || d > worst) [worst, at] = [Number.isNaN(d) ? Infinity : d, i + 1];
    if (i < ours.length) lr = Math.max(lr, relDiff(ours[i].learningRate, theirs[i].learning_rate));
  }
  record(`${name}: loss at every step`, `${what} <= ${pct(lossTol)}, ${n} steps`,
    `${ours.length} vs ${n} steps; max ${worst.toExponential(2)} (step ${at}); loss ${theirs[0].loss.toFixed(4)} -> ${theirs[n - 1].loss.toFixed(4)}`,
    ours.length === n && worst <= lossTol);
  record(`${name}: learning rate at every step`, 'rel diff <= 1e-9', lr.toExponential(2), lr <= 1e-9);
  const l1 = diff(ours[0].loss, theirs[0].loss), g1 = relDiff(ours[0].gradNorm, theirs[0].grad_norm);
  record(`${name}: step 1 loss`, `${what} <= ${pct(lossTol)}`, `${ours[0].loss.toFixed(6)} vs ${theirs[0].loss.toFixed(6)} (${l1.toExponential(2)})`, l1 <= lossTol);
  record(`${name}: step 1 grad norm`, `rel diff <= ${relative ? pct(gradNormTol) : gradNormTol}`,
    `${ours[0].gradNorm.toFixed(5)} vs ${theirs[0].grad_norm.toFixed(5)} (${g1.toExponential(2)})`, g1 <= gradNormTol);
}

/** A metric of the model before training and of both trained models, with the same evaluator. */
async function compareAfterTraining(name, evaluator, keys, before, run, tolerance) {
  const ours = await evaluator.evaluate(run.ours.model);
  const theirs = await evaluator.evaluate(await ef.SentenceTransformer.load(run.theirs.savedDir, { device: DEVICE }));
  for (const [key, label] of keys) {
    const d = Math.abs(ours[key] - theirs[key]);
    record(`${name} ${label}`, `|ours - ST| <= ${tolerance}`,
      `before ${before[key].toFixed(4)}; after: ours ${ours[key].toFixed(4)}, ST ${theirs[key].toFixed(4)}`, d <= tolerance);
  }
}

function recordWallTime(name, run) {
  record(`${name}: training wall time`, 'ours / sentence-transformers',
    `ours ${run.ours.seconds.toFixed(1)}s, ST ${run.theirs.seconds.toFixed(1)}s = ${(run.ours.seconds / run.theirs.seconds).toFixed(2)}x`, true);
}

const CHECKS = {
  /** fp32 and bf16 embeddings against sentence-transformers on the same device; folders saved here load there. */
  async embeddings() {
    const texts = legal('test', QUICK ? 24 : CORE ? 64 : 256).flatMap((r) => [r.anchor, r.positive]);
    const textsFile = path.join(WORK, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(texts));
    for (const s of SHAPES) {
      const stDir = path.join(WORK, s.name);
      const ourDir = path.join(WORK, `${s.name}-saved-here`);
      const model = await ef.SentenceTransformer.load(stDir, { device: DEVICE });
      const ours = await model.encode(texts, { batchSize: 32 });
      await model.save(ourDir);
      py('st_models.py', ['encode', '--device', DEVICE, '--texts', textsFile,
        '--model', stDir, '--out', path.join(WORK, `${s.name}-st.npy`), '--model', ourDir, '--out', path.join(WORK, `${s.name}-st-from-ours.npy`)]);
      const ref = readNpy(path.join(WORK, `${s.name}-st.npy`)).data;
      const c = minCos(ours, ref, model.embeddingDim);
      record(`${s.name} embeddings fp32`, 'min row cos >= 0.99999', c.toFixed(7), c >= 0.99999);
      const fromOurs = readNpy(path.join(WORK, `${s.name}-st-from-ours.npy`)).data;
      const c2 = minCos(ours, fromOurs, model.embeddingDim);
      record(`${s.name} folder saved here, loaded by sentence-transformers`, 'min row cos >= 0.99999', c2.toFixed(7), c2 >= 0.99999);
      if (model.device === 'cuda') {
        // Encoding follows the training precision once one is configured.
        await model.native.configureTraining({ losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
          optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'bf16', tf32: false });
        const bf16 = await model.encode(texts, { batchSize: 32 });
        const c3 = minCos(bf16, ref, model.embeddingDim);
        record(`${s.name} embeddings bf16 autocast`, 'min row cos >= 0.999', c3.toFixed(5), c3 >= 0.999);
      } else {
        record(`${s.name} embeddings bf16 autocast`, 'min row cos >= 0.999', `not measured on ${model.device}`, true);
      }
    }
  },

  /** The retrieval metrics of the same model on the same data, here and in sentence-transformers. */
  async irMetrics() {
    const s = SHAPES[1];
    const pairs = legal('test', QUICK ? 120 : 647).map((r) => ({ anchor: r.anchor, positive: r.positive }));
    const file = path.join(WORK, 'ir-pairs.jsonl');
    fs.writeFileSync(file, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');
    const ref = JSON.parse(py('st_models.py', ['evaluate', '--device', DEVICE, '--model', path.join(WORK, s.name), '--pairs', file]).trim().split('\n').pop());
    const model = await ef.SentenceTransformer.load(path.join(WORK, s.name), { device: DEVICE });
    const ours = await ef.InformationRetrievalEvaluator.fromPairs(pairs, { writeCsv: false }).evaluate(model);
    const worst = Math.max(...Object.keys(ref).map((k) => Math.abs(ours[k] - ref[k])));
    record(`${s.name} IR metrics, end to end`, 'max |diff| <= 1e-6', worst.toExponential(2), worst <= 1e-6);
  },

  /** A batch that cannot fit ends in an error naming the batch size, not a crash. */
  async outOfMemory() {
    if (DEVICE !== 'cuda') return record('out of memory names the batch size', 'error message', 'not measured on cpu', true);
    const model = await ef.SentenceTransformer.load(path.join(WORK, SHAPES[0].name), { device: DEVICE });
    const long = Array.from({ length: 300 }, (_, i) => `w${i}`).join(' ');
    const texts = Array.from({ length: 60000 }, () => long);
    const err = await model.encode(texts, { batchSize: 60000 }).then(() => null, (e) => e);
    const ok = !!err && /out of memory/.test(err.message) && /60000/.test(err.message);
    record('out of memory names the batch size', 'error message', err ? err.message.slice(0, 90) : 'no error', ok);
    const after = await model.encode(['still usable after the error'], {});
    record('usable after out of memory', 'finite embedding', String(after.every(Number.isFinite)), after.every(Number.isFinite));
  },

  /** Training and encoding throughput beside sentence-transformers, same model, pairs and batch, one run. */
  async throughput() {
    const pairs = path.join(WORK, 'bench-pairs.jsonl');
    fs.writeFileSync(pairs, legal('train', QUICK ? 200 : 4096).map((r) => JSON.stringify({ anchor: r.anchor, positive: r.positive })).join('\n') + '\n');
    for (const s of QUICK ? SHAPES.slice(1) : SHAPES) {
      for (const bf16 of DEVICE === 'cuda' ? [true] : [false]) {
        const r = await runBenchmark({ model: path.join(WORK, s.name), pairs, batch: QUICK ? 8 : 64, steps: QUICK ? 6 : 40, warmup: QUICK ? 2 : 10,
          device: DEVICE, bf16, python: PYTHON, workDir: WORK });
        const tr = r.embedforge.trainPairsPerSecond / r.sentenceTransformers.trainPairsPerSecond;
        const en = r.embedforge.encodeTextsPerSecond / r.sentenceTransformers.encodeTextsPerSecond;
        record(`${s.name} train pairs/s${bf16 ? ' bf16' : ''}`, 'ratio to sentence-transformers',
          `${r.embedforge.trainPairsPerSecond.toFixed(1)} vs ${r.sentenceTransformers.trainPairsPerSecond.toFixed(1)} = ${tr.toFixed(2)}x`, true);
        record(`${s.name} encode texts/s${bf16 ? ' bf16' : ''}`, 'ratio to sentence-transformers',
          `${r.embedforge.encodeTextsPerSecond.toFixed(1)} vs ${r.sentenceTransformers.encodeTextsPerSecond.toFixed(1)} = ${en.toFixed(2)}x`, true);
      }
    }
  },

  /**
   * Our Trainer against the reference loop, from the same random weights (real tokenizers) on the same batches
   * with the same arguments. Dropout 0 leaves nothing random: fp32 losses agree within 1e-3 at every step,
   * bf16 autocast (CUDA) within 2%. With dropout 0.1 the masks differ, so the two runs are compared by their
   * retrieval quality on held-out legal pairs instead.
   */
  async training() {
    const steps = CORE ? 10 : QUICK ? 20 : 200;
    const records = legal('train', QUICK ? 400 : Infinity).map((r) => ({ anchor: r.anchor, positive: r.positive }));
    const heldOut = legal('test', Infinity);
    // A larger rate for the few quick steps, so that the tiny models' losses move away from log(batch size).
    const hfArgs = { seed: 42, per_device_train_batch_size: 16, gradient_accumulation_steps: 2, max_steps: steps, learning_rate: QUICK ? 5e-4 : 1e-4,
      lr_scheduler_type: 'linear', warmup_ratio: 0.1, weight_decay: 0.01, max_grad_norm: 1.0, batch_sampler: 'no_duplicates' };
    const fp32 = DEVICE === 'cuda' ? { tf32: false } : {};
    const lossSpec = { name: 'MultipleNegativesRankingLoss', scale: 20 };
    for (const s of CORE ? SHAPES.slice(0, 1) : SHAPES) {
      // The models of makeModels (random, seed 0, BertConfig's default dropout 0.1), and the same weights without dropout.
      const noDropout = withDropout(path.join(WORK, s.name), path.join(WORK, `${s.name}-dropout0`), 0);
      const fp = await trainBoth(`${s.name}-fp32`, noDropout, records, { ...hfArgs, ...fp32 }, lossSpec);
      recordSteps(`${s.name} training fp32`, fp.ours.steps, fp.theirs.steps, { lossTol: 1e-3, relative: false, gradNormTol: 1e-3 });
      if (DEVICE === 'cuda') {
        const bf = await trainBoth(`${s.name}-bf16`, noDropout, records, { ...hfArgs, bf16: true, tf32: false }, lossSpec);
        recordSteps(`${s.name} training bf16 autocast`, bf.ours.steps, bf.theirs.steps, { lossTol: 0.02, relative: true, gradNormTol: 0.02 });
      } else {
        record(`${s.name} training bf16 autocast`, 'rel diff <= 2% at every step', 'not measured on cpu', true);
      }
      if (CORE) continue;  // the dropout run compares retrieval quality after training: not a core check
      const evaluator = ef.InformationRetrievalEvaluator.fromPairs(heldOut, { writeCsv: false });
      const before = await evaluator.evaluate(await ef.SentenceTransformer.load(path.join(WORK, s.name), { device: DEVICE }));
      const run = await trainBoth(`${s.name}-dropout`, path.join(WORK, s.name), records, { ...hfArgs, ...fp32 }, lossSpec);
      await compareAfterTraining(`${s.name} training fp32, dropout 0.1:`, evaluator, [['cosine_ndcg@10', `held-out legal ndcg@10 (${heldOut.length} queries)`]],
        before, run, 0.01);
    }
  },

  /**
   * The two fine-tuning tutorials side by side with the reference loop: the same initial weights (the
   * bge-base shape, random, real tokenizer, dropout 0.1 as bge-base has), data and arguments (bf16 and tf32
   * on CUDA only, as the run here does not apply them on the CPU); the tutorials' metrics before and after,
   * and the training wall times. Their per-epoch evaluation and best-model reload are left out: both sides
   * train to the end and are evaluated by the same evaluator.
   */
  async tutorials() {
    const shape = QUICK
      ? { name: 'tutorial-bge-tiny', tokenizer: 'bge-base-en-v1.5', pooling: 'cls', hidden: 96, layers: 2, heads: 4, intermediate: 192, maxSeqLength: 64 }
      : { name: 'tutorial-bge-base', tokenizer: 'bge-base-en-v1.5', pooling: 'cls', hidden: 768, layers: 12, heads: 12, intermediate: 3072, maxSeqLength: 512 };
    const modelDir = makeModel(path.join(WORK, shape.name), shape);
    const gpu = DEVICE === 'cuda' ? { bf16: true, tf32: true } : {};
    const common = { seed: 42, warmup_ratio: 0.1, learning_rate: 2e-5, lr_scheduler_type: 'cosine', optim: 'adamw_torch_fused', batch_sampler: 'no_duplicates', ...gpu };
    const initial = await ef.SentenceTransformer.load(modelDir, { device: DEVICE });

    // (a) Financial RAG (Matryoshka): dims 768..64, scaled by width/768 for the tiny shape.
    const dims = [768, 512, 256, 128, 64].map((d) => (d * shape.hidden) / 768);
    const fin = JSON.parse(fs.readFileSync(path.join(DATA, 'llamaindex-10k-uber-lyft', 'train_dataset.json'), 'utf8'));
    // Two training questions point at an empty passage: embedforge refuses blank texts, so both sides leave them out.
    const finAll = Object.entries(fin.queries).map(([qid, anchor]) => ({ anchor, positive: fin.corpus[fin.relevant_docs[qid][0]] }));
    const finPairs = finAll.filter((r) => r.positive.trim() !== '').slice(0, QUICK ? 256 : Infinity);
    log(`financial: ${finAll.length - finAll.filter((r) => r.positive.trim() !== '').length} training pairs with an empty passage left out`);
    const val = irDataFromQueriesCorpusFile(path.join(DATA, 'llamaindex-10k-uber-lyft', 'val_dataset.json'));
    const queries = new Map([...val.queries].slice(0, QUICK ? 120 : Infinity));
    const finEval = new ef.SequentialEvaluator(dims.map((d) => new ef.InformationRetrievalEvaluator({
      queries, corpus: val.corpus, relevantDocs: val.relevantDocs, name: `dim_${d}`, truncateDim: d, scoreFunctions: ['cosine'], writeCsv: false,
    })));
    const finBefore = await finEval.evaluate(initial);
    const fr = await trainBoth('financial', modelDir, finPairs,
      { ...common, num_train_epochs: 4, per_device_train_batch_size: 32, gradient_accumulation_steps: 16 },
      { name: 'MultipleNegativesRankingLoss', scale: 20, matryoshka_dims: dims });
    const finKeys = [[dims[3], 128], [dims[0], 768]].map(([d, real]) =>
      [`dim_${d}_cosine_ndcg@10`, `dim_${d}_cosine_ndcg@10${d === real ? '' : ` (the tutorial's dim_${real})`}, ${queries.size} queries`]);
    await compareAfterTraining(`financial tutorial (${finPairs.length} pairs, ${fr.theirs.steps.length} steps):`, finEval, finKeys, finBefore, fr, 0.01);
    recordWallTime('financial tutorial', fr);

    // (b) Trivia-style RAG on the legal pairs: train split; test anchors against train + test positives.
    const train = legal('train', QUICK ? 400 : Infinity);
    const test = legal('test', QUICK ? 100 : Infinity);
    const triviaEval = ef.InformationRetrievalEvaluator.fromPairs(test, { corpusRows: train, writeCsv: false });
    const triviaBefore = await triviaEval.evaluate(initial);
    const tr = await trainBoth('trivia', modelDir, train.map((r) => ({ anchor: r.anchor, positive: r.positive })),
      { ...common, num_train_epochs: 1, per_device_train_batch_size: 16, gradient_accumulation_steps: 4 },
      { name: 'MultipleNegativesRankingLoss', scale: 20 });
    await compareAfterTraining(`trivia tutorial (${train.length} pairs, ${tr.theirs.steps.length} steps):`, triviaEval,
      [['cosine_ndcg@10', `cosine_ndcg@10, ${test.length} queries / ${train.length + test.length} passages`]], triviaBefore, tr, 0.01);
    recordWallTime('trivia tutorial', tr);
  },
};

async function main() {
  const info = ef.loadAddon().deviceInfo();
  const only = opt('only', process.env.EMBEDFORGE_CHECKS || '');
  const unknown = only.split(',').filter((n) => n && !(n in CHECKS));
  if (unknown.length) throw new Error(`--only / EMBEDFORGE_CHECKS: unknown checks ${unknown.join(', ')}; the checks are ${Object.keys(CHECKS).join(', ')}`);
  fs.writeFileSync(path.join(OUT, 'device.json'), JSON.stringify(info, null, 2));
  makeModels();
  for (const [name, fn] of Object.entries(CHECKS)) {
    if (only && !only.split(',').includes(name)) continue;
    const logFile = path.join(OUT, `${name}.log`);
    log = (line) => fs.appendFileSync(logFile, line + '\n');
    const t0 = Date.now();
    try {
      await fn();
    } catch (e) {
      record(name, 'runs', `error: ${String(e && e.message).split('\n')[0].slice(0, 120)}`, false);
      log(String(e && e.stack));
    }
    log(`${name} took ${((Date.now() - t0) / 1000).toFixed(1)}s`);
  }
  const w = Math.max(...rows.map((r) => r.check.length));
  const tw = Math.max(...rows.map((r) => r.tolerance.length));
  const table = [`device: ${info.cudaAvailable ? info.cudaDeviceName : 'cpu'} (LibTorch ${info.torchVersion}), ${new Date().toISOString()}`,
    ...rows.map((r) => `${r.ok ? 'ok  ' : 'FAIL'}  ${r.check.padEnd(w)}  ${r.tolerance.padEnd(tw)}  ${r.value}`)].join('\n');
  fs.writeFileSync(path.join(OUT, 'summary.txt'), table + '\n');
  fs.writeFileSync(path.join(OUT, 'summary.json'), JSON.stringify({ device: info, rows }, null, 2));
  process.stdout.write(table + '\n');
  process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
}

main().catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(2);
});
