#!/usr/bin/env node
/*
 * The GPU run's checks, in one process: parity with sentence-transformers on the same weights and inputs,
 * the out-of-memory message, and throughput beside sentence-transformers. Needs the compiled TypeScript
 * (dist/) and the addon; runs on any device (`--device cpu --quick` is the dry run used here).
 *
 *   node scripts/gpu/checks.js --out DIR [--device cuda] [--python python3] [--models DIR] [--data DIR] [--quick]
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
  for (const s of SHAPES) {
    const dir = path.join(WORK, s.name);
    if (fs.existsSync(path.join(dir, 'modules.json'))) continue;
    py('st_models.py', ['make', '--out', dir, '--tokenizer', path.join(MODELS, s.tokenizer), '--pooling', s.pooling, '--normalize',
      '--hidden', String(s.hidden), '--layers', String(s.layers), '--heads', String(s.heads), '--intermediate', String(s.intermediate),
      '--max-seq-length', '256']);
  }
}

const CHECKS = {
  /** fp32 and bf16 embeddings against sentence-transformers on the same device; folders saved here load there. */
  async embeddings() {
    const texts = legal('test', QUICK ? 24 : 256).flatMap((r) => [r.anchor, r.positive]);
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
        model.native.configureTraining({ loss: { name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' },
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
};

async function main() {
  const info = ef.loadAddon().deviceInfo();
  const only = opt('only', '');
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
