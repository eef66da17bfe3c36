/**
 * Throughput of embedforge beside sentence-transformers on the same model folder, the same pairs and
 * the same batch size, measured in one run so that the ratio means something (absolute figures drift
 * from run to run and machine to machine). Training: steady-state (anchor, positive) pairs per second
 * of the MNRL step after warm-up steps, through the real Trainer. Encoding: texts per second over all
 * passages.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../data/Dataset';
import { MultipleNegativesRankingLoss } from '../losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../models/SentenceTransformer';
import { Trainer } from '../training/Trainer';

export interface BenchOptions {
  model: string;
  pairs: string;
  batch: number;
  steps: number;
  warmup: number;
  device?: string;
  bf16?: boolean;
  /** Python with sentence-transformers for the reference; null to measure embedforge alone. */
  python: string | null;
  workDir: string;
}

export interface BenchResult {
  device: string;
  embedforge: { trainPairsPerSecond: number; encodeTextsPerSecond: number };
  sentenceTransformers: { trainPairsPerSecond: number; encodeTextsPerSecond: number } | null;
}

export async function runBenchmark(o: BenchOptions): Promise<BenchResult> {
  const model = await SentenceTransformer.load(o.model, { device: o.device });
  const data = (await Dataset.load(o.pairs)).selectColumns(['anchor', 'positive']);
  const stamps: number[] = [];
  const trainer = new Trainer({
    model, trainDataset: data, loss: new MultipleNegativesRankingLoss(),
    args: {
      output_dir: path.join(o.workDir, 'bench-run'), max_steps: o.steps, per_device_train_batch_size: o.batch, learning_rate: 2e-5,
      warmup_ratio: 0.1, save_strategy: 'no', logging_steps: 1_000_000, bf16: !!o.bf16, tf32: !!o.bf16,
    },
    callbacks: { onStep: () => { stamps.push(performance.now()); } },
  });
  await trainer.train();
  const w = Math.min(o.warmup, o.steps - 2);
  const trainPairsPerSecond = ((stamps.length - 1 - w) * o.batch * 1000) / (stamps[stamps.length - 1] - stamps[w]);
  const texts = data.column('positive') as string[];
  await model.encode(texts.slice(0, 256), { batchSize: 128 });
  const t0 = performance.now();
  await model.encode(texts, { batchSize: 128 });
  const encodeTextsPerSecond = (texts.length * 1000) / (performance.now() - t0);
  const device = model.device;
  await model.dispose(); // frees its memory before the reference run

  let reference: BenchResult['sentenceTransformers'] = null;
  if (o.python) {
    const script = path.join(__dirname, '..', '..', 'scripts', 'reference', 'st_bench.py');
    const out = execFileSync(o.python, [script, '--model', o.model, '--pairs', o.pairs, '--batch', String(o.batch), '--steps', String(o.steps),
      '--warmup', String(o.warmup), '--device', device, ...(o.bf16 ? ['--bf16', '--tf32'] : [])],
    { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' } });
    const line = out.split('\n').find((l) => l.startsWith('RESULT '));
    if (!line) throw new Error(`st_bench.py printed no RESULT line:\n${out}`);
    const r = JSON.parse(line.slice(7)) as { train_pairs_per_s: number; encode_texts_per_s: number };
    reference = { trainPairsPerSecond: r.train_pairs_per_s, encodeTextsPerSecond: r.encode_texts_per_s };
  }
  return { device, embedforge: { trainPairsPerSecond, encodeTextsPerSecond }, sentenceTransformers: reference };
}

export function benchTable(r: BenchResult): string {
  const f = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));
  const rows: [string, number, number | undefined][] = [
    ['train pairs/s', r.embedforge.trainPairsPerSecond, r.sentenceTransformers?.trainPairsPerSecond],
    ['encode texts/s', r.embedforge.encodeTextsPerSecond, r.sentenceTransformers?.encodeTextsPerSecond],
  ];
  const lines = [`device: ${r.device}`, `${'metric'.padEnd(16)}${'embedforge'.padStart(12)}${'sent-transf.'.padStart(14)}${'ratio'.padStart(8)}`];
  for (const [name, ours, theirs] of rows) {
    lines.push(`${name.padEnd(16)}${f(ours).padStart(12)}${f(theirs).padStart(14)}${(theirs ? (ours / theirs).toFixed(2) + 'x' : '-').padStart(8)}`);
  }
  return lines.join('\n');
}

/** The venv's python when set up, else null (the benchmark then measures embedforge alone). */
export function defaultPython(): string | null {
  if (process.env.EMBEDFORGE_PYTHON) return process.env.EMBEDFORGE_PYTHON;
  try {
    const venv = execFileSync('bash', [path.join(__dirname, '..', '..', 'scripts', 'setup-python.sh'), '--print-path'], { encoding: 'utf8' }).trim();
    const py = path.join(venv, 'bin', 'python');
    return fs.existsSync(py) ? py : null;
  } catch {
    return null;
  }
}
