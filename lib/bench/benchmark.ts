/**
 * Throughput and memory of embedforge beside sentence-transformers on the same model folder, the same pairs
 * and the same batch sizes, measured in one run so that the ratios mean something (absolute figures drift
 * with the machine and its load). Per batch size, each side runs in its own process (its peak resident
 * memory is its own): embedforge through the real Trainer (lib/bench/benchSide.ts), sentence-transformers
 * through the MNRL step its trainer runs (scripts/reference/st_bench.py). Training: steady-state
 * (anchor, positive) pairs per second after the warm-up steps, the share of that time a step waited for its
 * data, and the peak resident memory after training. Encoding: texts per second over the first passages.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SideOptions, SideResult } from './measure';

export interface BenchOptions {
  model: string;
  pairs: string;
  batches: number[];
  steps: number;
  warmup: number;
  encodeTexts: number;
  /** encode's batch size on both sides (each library's default is 32). */
  encodeBatch: number;
  device?: string;
  bf16?: boolean;
  threads?: number;
  /** Python with sentence-transformers for the reference; null to measure embedforge alone. */
  python: string | null;
  workDir: string;
}

export interface BenchRow {
  batch: number;
  embedforge: SideResult;
  sentenceTransformers: SideResult | null;
}

export interface BenchResult {
  device: string;
  steps: number;
  warmup: number;
  encodeTexts: number;
  encodeBatch: number;
  /** CPU threads both sides ran with; undefined: each side's default. */
  threads?: number;
  rows: BenchRow[];
}

const resultLine = (out: string, who: string): string => {
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`${who} printed no RESULT line:\n${out}`);
  return line.slice(7);
};

function runEmbedforgeSide(o: SideOptions): SideResult {
  const script = path.join(__dirname, 'benchSide.js');
  const env = o.threads ? { ...process.env, EMBEDFORGE_NUM_THREADS: String(o.threads) } : process.env;
  const out = execFileSync(process.execPath, [script, JSON.stringify(o)], { encoding: 'utf8', maxBuffer: 1 << 26, stdio: ['ignore', 'pipe', 'inherit'], env });
  return JSON.parse(resultLine(out, 'benchSide.js')) as SideResult;
}

function runReferenceSide(python: string, o: SideOptions, device: string): SideResult {
  const script = path.join(__dirname, '..', '..', 'scripts', 'reference', 'st_bench.py');
  const out = execFileSync(python, [script, '--model', o.model, '--pairs', o.pairs, '--batch', String(o.batch), '--steps', String(o.steps),
    '--warmup', String(o.warmup), '--encode-texts', String(o.encodeTexts), '--encode-batch', String(o.encodeBatch), '--device', device, ...(o.threads ? ['--threads', String(o.threads)] : []), ...(o.bf16 ? ['--bf16', '--tf32'] : [])],
  { encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, HF_HUB_OFFLINE: '1', TOKENIZERS_PARALLELISM: 'false' } });
  const r = JSON.parse(resultLine(out, 'st_bench.py')) as {
    train_pairs_per_s: number; encode_texts_per_s: number; data_wait_share: number; peak_rss_bytes: number | null;
  };
  return { device, trainPairsPerSecond: r.train_pairs_per_s, dataWaitShare: r.data_wait_share, peakResidentBytes: r.peak_rss_bytes,
    encodeTextsPerSecond: r.encode_texts_per_s };
}

export async function runBenchmark(o: BenchOptions, progress: (line: string) => void = () => {}): Promise<BenchResult> {
  const rows: BenchRow[] = [];
  let device = o.device ?? 'cpu';
  for (const batch of o.batches) {
    const side: SideOptions = { model: o.model, pairs: o.pairs, batch, steps: o.steps, warmup: o.warmup, encodeTexts: o.encodeTexts, encodeBatch: o.encodeBatch,
      device: o.device, bf16: o.bf16, threads: o.threads, workDir: fs.mkdtempSync(path.join(o.workDir, `b${batch}-`)) };
    progress(`batch ${batch}: embedforge`);
    const ours = runEmbedforgeSide(side);
    device = ours.device;
    progress(`batch ${batch}: sentence-transformers`);
    const theirs = o.python ? runReferenceSide(o.python, side, ours.device) : null;
    rows.push({ batch, embedforge: ours, sentenceTransformers: theirs });
  }
  return { device, steps: o.steps, warmup: o.warmup, encodeTexts: o.encodeTexts, encodeBatch: o.encodeBatch, threads: o.threads, rows };
}

const rate = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(1));
const ratio = (ours: number, theirs: number | undefined): string => (theirs ? `${(ours / theirs).toFixed(2)}x` : '-');
const gib = (bytes: number | null | undefined): string => (bytes == null ? '-' : (bytes / 2 ** 30).toFixed(2));
const share = (x: number | null | undefined): string => (x == null ? '-' : `${(100 * x).toFixed(1)}%`);

/** One table: a row per batch size, embedforge (ef) beside sentence-transformers (st). */
export function benchTable(r: BenchResult): string {
  const columns: [string, number][] = [['batch', 6], ['train ef', 10], ['train st', 10], ['ratio', 7], ['peak GiB ef', 12],
    ['peak GiB st', 12], ['wait ef', 8], ['wait st', 8], ['encode ef', 10], ['encode st', 10], ['ratio', 7]];
  const line = (cells: string[]): string => cells.map((c, i) => c.padStart(columns[i][1])).join(' ');
  const lines = [
    `device: ${r.device}${r.threads ? ` (${r.threads} CPU thread${r.threads === 1 ? '' : 's'} each side)` : ''}; ${r.steps} training steps, the first ${r.warmup} left out of the rates; ${r.encodeTexts} texts encoded at batch ${r.encodeBatch}`,
    'train: pairs/s; peak: resident memory after training; wait: share of the training time a step waited for data; encode: texts/s',
    line(columns.map((c) => c[0])),
  ];
  for (const row of r.rows) {
    const ef = row.embedforge, st = row.sentenceTransformers ?? undefined;
    lines.push(line([String(row.batch), rate(ef.trainPairsPerSecond), rate(st?.trainPairsPerSecond), ratio(ef.trainPairsPerSecond, st?.trainPairsPerSecond),
      gib(ef.peakResidentBytes), gib(st?.peakResidentBytes), share(ef.dataWaitShare), share(st?.dataWaitShare),
      rate(ef.encodeTextsPerSecond), rate(st?.encodeTextsPerSecond), ratio(ef.encodeTextsPerSecond, st?.encodeTextsPerSecond)]));
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
