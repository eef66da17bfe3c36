#!/usr/bin/env node
/*
 * The GPU benchmark table (issue 8): for each batch of the bge-base shape on st_anchor's length mix
 * (queries 8-32, passages 48-320 words, word-level vocabulary, so tokens = words + 2), bf16 autocast:
 * embedforge beside sentence-transformers (st_anchor.py) and beside the packed torch.compile reference
 * (packed_reference.py), all in one run on one machine; then CachedMultipleNegativesRankingLoss at a large
 * batch against plain MNRL per pair. Every configuration runs in its own process, so that each peak memory
 * figure is that process's own.
 *
 *   node scripts/gpu/bench.js --out DIR --profile quick|full|dry [--python python3] [--device cuda]
 *        [--anchor .device/st_anchor.py] [--reference .device/packed_reference.py] [--peak-tflops 790]
 *
 * Figures, per batch:
 * - pairs/s: steady state, (steps - warmup) * batch / time from the end of step `warmup` to the last step's
 *   end (st_anchor's own definition, with its 10 warm-up steps; ours times the real Trainer.train loop).
 * - MFU on real tokens: FLOPs = 6 * N * T + 12 * L * H * sum(len^2) per step (N = L * (4 H^2 + 2 H * FF)
 *   non-embedding matmul weights, T the real (unpadded) tokens, len each text's tokens; forward + backward =
 *   3x forward, attention scores and weighted sum 4 * H * len^2 per layer forward), the formula of
 *   packed_reference.py, over the peak bf16 dense rate --peak-tflops (790 by default, as that script assumes).
 * - peak memory: the process's peak GPU memory as nvidia-smi reports it (CUDA context and the caching
 *   allocator's reserve included), sampled every 100 ms, the same way for both sides (where the pids are hidden,
 *   the device's peak during the run less its use at the start); st_anchor's own
 *   max_memory_allocated is printed beside it for sentence-transformers.
 * - data wait: the share of the timed wall clock in which the engine had no step to run (between one
 *   trainStep's resolution and the next call: collation not hidden behind the step, the Trainer's bookkeeping).
 * - encode: texts/s of model.encode over all passages at batch 128, after a warm-up call.
 * The table is printed last and written to DIR/bench.txt and DIR/bench.json; logs to DIR/bench-*.log.
 */
'use strict';
const { spawn, execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');
const root = path.resolve(__dirname, '..', '..');

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const OUT = path.resolve(opt('out', '/tmp/embedforge-bench'));
const PROFILE = opt('profile', 'quick');
const DEVICE = opt('device', PROFILE === 'dry' ? 'cpu' : 'cuda');
const PYTHON = opt('python', 'python3');
const ANCHOR = path.resolve(opt('anchor', path.join(root, '.device', 'st_anchor.py')));
const REFERENCE = path.resolve(opt('reference', path.join(root, '.device', 'packed_reference.py')));
const PEAK_TFLOPS = Number(opt('peak-tflops', '790'));
// Epoch seconds past which no part starts that would not end in time (gpu-run.sh --quick sets it).
const DEADLINE = Number(process.env.EMBEDFORGE_DEADLINE || 0);

/**
 * What each profile runs. quick: the whole table within about 4 minutes of an H100/H200 (estimate in
 * DEVELOPERS notes of scripts/gpu/gpu-run.sh); full: more steps, sentence-transformers at 256 too, the eager
 * reference; dry: the same code paths on the CPU with a MiniLM-L6 shape and short texts, in seconds.
 */
const PROFILES = {
  quick: { shape: 'bge-base', batches: [64, 128, 256], stBatches: [64, 128], steps: 30, warmup: 10, pairs: 8192, qlen: '8,32', plen: '48,320',
    referenceVariants: 'compiled', cached: { batch: 16384, miniBatch: 1024, steps: 3 },
    // Seconds each part takes on an H100/H200, rounded up (see gpu-run.sh): a part that would end past the deadline is skipped.
    estimates: { st: 35, ours: 30, reference: 170, cached: 70 } },
  full: { shape: 'bge-base', batches: [64, 128, 256], stBatches: [64, 128, 256], steps: 60, warmup: 10, pairs: 8192, qlen: '8,32', plen: '48,320',
    referenceVariants: 'eager,compiled', cached: { batch: 16384, miniBatch: 1024, steps: 4 } },
  dry: { shape: 'minilm-l6', batches: [4, 8], stBatches: [4, 8], steps: 12, warmup: 10, pairs: 96, qlen: '4,8', plen: '8,24',
    referenceVariants: null, cached: { batch: 64, miniBatch: 16, steps: 3 } },
};
const SHAPES = {
  'bge-base': { hidden: 768, layers: 12, intermediate: 3072 },
  'minilm-l6': { hidden: 384, layers: 6, intermediate: 1536 },
};

// ---------------------------------------------------------------------------------------------------------
// Child mode: one embedforge configuration in its own process; prints "RESULT {json}".

async function child() {
  const ef = require(path.join(root, 'dist'));
  const kind = opt('child');
  const batch = Number(opt('batch'));
  const steps = Number(opt('steps'));
  const warmup = Number(opt('warmup'));
  const stDir = opt('model');
  const model = await ef.SentenceTransformer.load(stDir, { device: DEVICE });
  const records = fs.readFileSync(opt('pairs'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
  const data = ef.Dataset.fromRecords(records.map((r) => ({ anchor: r.anchor, positive: r.positive })), 'bench pairs');
  // The engine's busy intervals: from each trainStep call to its resolution; the tokens of each call.
  const native = model.native;
  const calls = [];
  const trainStep = native.trainStep.bind(native);
  // An own property shadows the addon's (non-writable) prototype method.
  Object.defineProperty(native, 'trainStep', { value: (request) => {
    const cu = request.texts.cuSeqlens;
    let sq = 0;
    for (let i = 1; i < cu.length; i++) sq += (cu[i] - cu[i - 1]) ** 2;
    const c = { start: performance.now(), end: 0, tokens: cu[cu.length - 1], sumSq: sq };
    calls.push(c);
    return trainStep(request).then((r) => { c.end = performance.now(); return r; });
  } });
  const loss = kind === 'cached'
    ? new ef.CachedMultipleNegativesRankingLoss({ miniBatchSize: Number(opt('mini-batch')) })
    : new ef.MultipleNegativesRankingLoss();
  const stamps = [];
  const bf16 = DEVICE.startsWith('cuda');
  const trainer = new ef.Trainer({
    model, trainDataset: data, loss,
    args: {
      output_dir: path.join(OUT, 'work', `ours-${kind}-${batch}`), max_steps: steps, per_device_train_batch_size: batch, learning_rate: 2e-5,
      warmup_ratio: 0.1, lr_scheduler_type: 'cosine', save_strategy: 'no', logging_steps: 1_000_000, bf16, tf32: bf16, max_grad_norm: 1.0,
      seed: 0,
    },
    callbacks: { onStep: () => { stamps.push(performance.now()); } },
  });
  await trainer.train();
  const w = Math.min(warmup, steps - 2);
  const t0 = stamps[w - 1] ?? calls[0].start;
  const t1 = stamps[stamps.length - 1];
  const timed = calls.filter((c) => c.start >= t0 && c.end <= t1 + 1e-3);
  const busy = timed.reduce((s, c) => s + (c.end - c.start), 0);
  const res = {
    kind, batch, steps, pairsPerSecond: ((stamps.length - w) * batch * 1000) / (t1 - t0),
    seconds: (t1 - t0) / 1000, tokens: timed.reduce((s, c) => s + c.tokens, 0), sumSq: timed.reduce((s, c) => s + c.sumSq, 0),
    dataWaitShare: 1 - busy / (t1 - t0), firstLoss: trainer.stepLosses[0], lastLoss: trainer.stepLosses[trainer.stepLosses.length - 1],
  };
  if (kind !== 'cached') {
    const texts = records.map((r) => r.positive);
    await model.encode(texts.slice(0, 256), { batchSize: 128 });
    const e0 = performance.now();
    await model.encode(texts, { batchSize: 128 });
    res.encodeTextsPerSecond = (texts.length * 1000) / (performance.now() - e0);
  }
  await model.dispose();
  process.stdout.write(`RESULT ${JSON.stringify(res)}\n`);
}

// ---------------------------------------------------------------------------------------------------------
// Parent: runs the children and the Python references, samples their GPU memory, prints the table.

/**
 * Peak GPU memory from nvidia-smi, sampled every 100 ms: per pid (--query-compute-apps), and, where a container
 * hides the pids, the device's used memory over a run's time window less what was in use when it started.
 */
function memoryPoller() {
  const peaks = new Map();
  const device = [];  // [ms, MiB used on the device]
  const procs = [];
  const poll = (args, onLine) => {
    try {
      const proc = spawn('nvidia-smi', [...args, '--format=csv,noheader,nounits', '-lms', '100'], { stdio: ['ignore', 'pipe', 'ignore'] });
      proc.on('error', () => {});
      let buf = '';
      proc.stdout.on('data', (d) => {
        buf += d;
        const lines = buf.split('\n');
        buf = lines.pop();
        lines.forEach(onLine);
      });
      procs.push(proc);
    } catch { /* no nvidia-smi: no peaks */ }
  };
  if (DEVICE.startsWith('cuda')) {
    poll(['--query-compute-apps=pid,used_memory'], (line) => {
      const [pid, mib] = line.split(',').map((x) => Number(x.trim()));
      if (Number.isFinite(pid) && Number.isFinite(mib)) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, mib));
    });
    poll(['--query-gpu=memory.used', '-i', '0'], (line) => {
      const mib = Number(line.trim());
      if (Number.isFinite(mib)) device.push([Date.now(), mib]);
    });
  }
  const peakGiB = (pid, t0, t1) => {
    if (peaks.has(pid)) return peaks.get(pid) / 1024;
    const before = device.filter(([t]) => t <= t0).pop();
    const during = device.filter(([t]) => t >= t0 && t <= t1).map(([, m]) => m);
    return before && during.length ? (Math.max(...during) - before[1]) / 1024 : null;
  };
  return { peakGiB, stop: () => procs.forEach((p) => p.kill()) };
}

/** Runs a command to its end, logging its output; resolves { out, pid }. */
function run(cmd, args, logName, env = {}) {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const started = t0;
    const p = spawn(cmd, args, { env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false', ...env } });
    let out = '';
    const log = fs.createWriteStream(path.join(OUT, `bench-${logName}.log`));
    p.stdout.on('data', (d) => { out += d; log.write(d); });
    p.stderr.on('data', (d) => log.write(d));
    p.on('error', reject);
    p.on('close', (code) => {
      log.end(`\n[exit ${code} after ${((Date.now() - t0) / 1000).toFixed(1)}s]\n`);
      if (code !== 0) reject(new Error(`${logName} exited with ${code}: see ${path.join(OUT, `bench-${logName}.log`)}`));
      else resolve({ out, pid: p.pid, t0: started, t1: Date.now() });
    });
  });
}

const results = (out) => out.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => JSON.parse(l.slice(7)));

/** st_anchor's recipe for synthetic pairs (one word = one token), for the large cached batch. */
function syntheticPairs(file, n, qlen, plen) {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const text = ([lo, hi]) => Array.from({ length: lo + Math.floor(rand() * (hi - lo + 1)) }, () => `w${Math.floor(rand() * 30000)}`).join(' ');
  const q = qlen.split(',').map(Number), p = plen.split(',').map(Number);
  const lines = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ anchor: text(q), positive: text(p) }));
  fs.writeFileSync(file, lines.join('\n') + '\n');
}

function mfu(r, shape) {
  const { hidden: H, layers: L, intermediate: FF } = SHAPES[shape];
  const n = L * (4 * H * H + 2 * H * FF);
  const flops = 6 * n * r.tokens + 12 * L * H * r.sumSq;
  return flops / r.seconds / (PEAK_TFLOPS * 1e12);
}

async function main() {
  const P = PROFILES[PROFILE];
  if (!P) throw new Error(`--profile must be one of ${Object.keys(PROFILES).join(', ')}, got ${PROFILE}`);
  if (!fs.existsSync(ANCHOR)) throw new Error(`st_anchor.py not found at ${ANCHOR} (copy ../shared/device/st_anchor.py there or pass --anchor)`);
  fs.mkdirSync(path.join(OUT, 'work'), { recursive: true });
  const mem = memoryPoller();
  const cuda = DEVICE.startsWith('cuda');
  const rows = [];
  const notes = [];
  const started = Date.now();
  // Whether a part estimated to take `seconds` still fits before the deadline; a skipped part is noted.
  const fits = (part, what) => {
    const seconds = P.estimates?.[part] ?? 0;
    if (!DEADLINE || Date.now() / 1000 + seconds <= DEADLINE) return true;
    notes.push(`${what} not run: it would end past the run's time budget (EMBEDFORGE_DEADLINE)`);
    return false;
  };
  const anchorDir = path.join(OUT, 'work', 'anchor');
  try {
    // sentence-transformers, then ours, at each batch (st_anchor leaves the model and pairs we train on).
    for (const batch of P.batches) {
      let st = null, stPeak = null;
      const needModel = !fs.existsSync(path.join(anchorDir, 'st-model'));
      const runSt = needModel || (P.stBatches.includes(batch) && fits('st', `sentence-transformers at batch ${batch}`));
      if (runSt) {
        const r = await run(PYTHON, [ANCHOR, '--out', anchorDir, '--shape', P.shape, '--batch', String(batch), '--steps', String(P.steps),
          '--pairs', String(P.pairs), '--qlen', P.qlen, '--plen', P.plen, '--device', cuda ? 'cuda' : 'cpu'], `st-${batch}`,
          cuda ? {} : { OMP_NUM_THREADS: '1' });
        if (P.stBatches.includes(batch)) [st, stPeak] = [results(r.out)[0], mem.peakGiB(r.pid, r.t0, r.t1)];
      }
      if (!fits('ours', `embedforge at batch ${batch}`)) continue;
      const o = await run(process.execPath, [__filename, '--child', 'mnrl', '--out', OUT, '--device', DEVICE, '--batch', String(batch),
        '--steps', String(P.steps), '--warmup', String(P.warmup), '--model', path.join(anchorDir, 'st-model'),
        '--pairs', path.join(anchorDir, 'pairs.jsonl')], `ours-${batch}`);
      const ours = results(o.out)[0];
      rows.push({ batch, ours, oursPeakGiB: mem.peakGiB(o.pid, o.t0, o.t1), st, stPeakGiB: stPeak });
    }
    // The packed reference (CUDA only): eager and/or torch.compile at 64/128/256, one process.
    let reference = [];
    if (cuda && P.referenceVariants && fs.existsSync(REFERENCE) && fits('reference', 'the packed reference')) {
      const r = await run(PYTHON, [path.join(__dirname, 'packed_reference_variants.py'), REFERENCE, P.referenceVariants], 'packed-reference');
      reference = results(r.out);
    } else if (!cuda || !P.referenceVariants || !fs.existsSync(REFERENCE)) {
      notes.push(cuda ? `packed reference not run (${P.referenceVariants ? `no ${REFERENCE}` : 'profile'})` : 'packed reference not run: it needs CUDA');
    }
    // CachedMultipleNegativesRankingLoss at a large batch, against plain MNRL per pair at 128 (or the profile's middle batch).
    const c = P.cached;
    const cachedPairs = path.join(OUT, 'work', 'cached-pairs.jsonl');
    if (!DEADLINE || Date.now() / 1000 + (P.estimates?.cached ?? 0) <= DEADLINE) syntheticPairs(cachedPairs, c.batch * c.steps, P.qlen, P.plen);
    let cached = null, cachedPeak = null, cachedError = null;
    if (!fits('cached', `CachedMNRL at batch ${c.batch}`)) cachedError = 'not run (time budget)';
    else try {
      const r = await run(process.execPath, [__filename, '--child', 'cached', '--out', OUT, '--device', DEVICE, '--batch', String(c.batch),
        '--mini-batch', String(c.miniBatch), '--steps', String(c.steps), '--warmup', '1', '--model', path.join(anchorDir, 'st-model'),
        '--pairs', cachedPairs], `ours-cached-${c.batch}`);
      cached = results(r.out)[0];
      cachedPeak = mem.peakGiB(r.pid, r.t0, r.t1);
    } catch (e) {
      cachedError = e.message;
    }
    print({ P, rows, reference, cached, cachedPeak, cachedError, notes, seconds: (Date.now() - started) / 1000 });
  } finally {
    mem.stop();
  }
}

function print({ P, rows, reference, cached, cachedPeak, cachedError, notes, seconds }) {
  const f = (x, d = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const ratio = (a, b) => (a && b ? `${(a / b).toFixed(2)}x` : '-');
  let info = {};
  try { info = require(path.join(root, 'dist')).loadAddon().deviceInfo(); } catch { /* the table still prints */ }
  const ref = (compiled, batch) => reference.find((r) => r.compiled === compiled && r.batch === batch && !r.error);
  const header = ['batch', 'ours pairs/s', 'ST pairs/s', 'ours/ST', 'compile ref', 'ours/compile', 'eager ref', 'ours MFU', 'ref MFU',
    'ours peak GiB', 'ST peak GiB (alloc)', 'ref peak GiB', 'data wait', 'ours enc/s', 'ST enc/s', 'enc ratio'];
  const lines = rows.map(({ batch, ours, oursPeakGiB, st, stPeakGiB }) => {
    const rc = ref(true, batch), re = ref(false, batch);
    return [String(batch), f(ours.pairsPerSecond), f(st?.train_samples_per_s_steady), ratio(ours.pairsPerSecond, st?.train_samples_per_s_steady),
      f(rc?.pairs_per_s), ratio(ours.pairsPerSecond, rc?.pairs_per_s), f(re?.pairs_per_s),
      cuda() ? `${f(100 * mfu(ours, P.shape))}%` : '-', rc ? `${f(100 * rc.mfu_real_tokens)}%` : '-',
      f(oursPeakGiB, 2), st ? `${f(stPeakGiB, 2)} (${f(st.peak_mem_gib, 2)})` : '-', f(rc?.peak_gib, 2),
      `${f(100 * ours.dataWaitShare)}%`, f(ours.encodeTextsPerSecond), f(st?.encode_passages_per_s), ratio(ours.encodeTextsPerSecond, st?.encode_passages_per_s)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => c.padStart(widths[i])).join(' | ');
  const plain = rows.find((r) => r.batch === 128) ?? rows[Math.floor(rows.length / 2)];  // undefined when no row ran
  const out = [
    `embedforge GPU benchmark (${PROFILE}): ${info.cudaAvailable ? info.cudaDeviceName : DEVICE}, LibTorch ${info.torchVersion ?? '?'}, ${new Date().toISOString()}`,
    `shape ${P.shape}, queries ${P.qlen} and passages ${P.plen} words (+2 tokens), ${cuda() ? 'bf16 autocast' : 'fp32'}, ${P.steps} steps (${P.warmup} warm-up), MNRL`,
    fmt(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt),
    cached && plain
      ? `CachedMNRL batch ${P.cached.batch} (mini-batch ${P.cached.miniBatch}): ${f(cached.pairsPerSecond)} pairs/s, peak ${f(cachedPeak, 2)} GiB; ` +
        `time per pair ${ratio(plain.ours.pairsPerSecond, cached.pairsPerSecond)} plain MNRL's at batch ${plain.batch}`
      : `CachedMNRL batch ${P.cached.batch}: ${cachedError ?? 'no plain MNRL row to compare with'}`,
    `MFU: (6 N T + 12 L H sum len^2) / time / ${PEAK_TFLOPS} TFLOP/s, real tokens only; peaks: nvidia-smi per process (ST: its max_memory_allocated in brackets)`,
    ...(PROFILE === 'dry' ? ['dry run: the code paths only (tiny shape on a shared CPU, sentence-transformers on one thread): its figures mean nothing'] : []),
    ...notes, `bench took ${seconds.toFixed(0)}s; logs in ${OUT}`,
  ].join('\n');
  fs.writeFileSync(path.join(OUT, 'bench.txt'), out + '\n');
  fs.writeFileSync(path.join(OUT, 'bench.json'), JSON.stringify({ profile: PROFILE, device: info, rows, reference, cached, cachedPeak, cachedError }, null, 2));
  process.stdout.write(out + '\n');
}

function cuda() {
  return DEVICE.startsWith('cuda');
}

(opt('child') ? child() : main()).catch((e) => {
  process.stderr.write(`${e.stack}\n`);
  process.exit(2);
});
