/** The arithmetic of the benchmark, shared by both sides' results and kept apart from the runs for tests. */

export interface SideOptions {
  model: string;
  pairs: string;
  batch: number;
  steps: number;
  warmup: number;
  /** Texts encoded (the first passages of the pairs). */
  encodeTexts: number;
  encodeBatch: number;
  device?: string;
  bf16?: boolean;
  /** CPU threads of both sides (EMBEDFORGE_NUM_THREADS, torch.set_num_threads); unset: each side's default. */
  threads?: number;
  workDir: string;
}

export interface SideResult {
  device: string;
  trainPairsPerSecond: number;
  /** Share of the steady-state training time in which no step ran (the next step waited for its data). */
  dataWaitShare: number | null;
  /** Peak resident memory of the side's process after training, bytes (null where unknown). */
  peakResidentBytes: number | null;
  encodeTextsPerSecond: number;
}

/** Pairs per second between the end of step `warmup` and the end of the last step. */
export function steadyRate(stepEnds: number[], warmup: number, batch: number): number {
  const n = stepEnds.length;
  if (n < 2 || warmup >= n - 1) throw new Error(`need more than ${warmup + 1} timed steps, got ${n}`);
  return ((n - 1 - warmup) * batch * 1000) / (stepEnds[n - 1] - stepEnds[warmup]);
}

/** Of the span from the end of step `warmup` to the end of the last step, the share between one step's end and the next one's start. */
export function stepWaitShare(calls: [start: number, end: number][], warmup: number): number {
  const n = calls.length;
  if (n < 2 || warmup >= n - 1) throw new Error(`need more than ${warmup + 1} timed steps, got ${n}`);
  let waited = 0;
  for (let i = warmup + 1; i < n; i++) waited += Math.max(0, calls[i][0] - calls[i - 1][1]);
  return waited / (calls[n - 1][1] - calls[warmup][1]);
}

/** "16,32" -> [16, 32]: positive integers, comma separated. */
export function parseBatchList(text: string): number[] {
  const out = text.split(',').map((s) => s.trim());
  for (const s of out) {
    if (!/^[1-9]\d*$/.test(s)) throw new Error(`--batch takes positive integers separated by commas (e.g. 16,32), got "${text}"`);
  }
  return out.map(Number);
}
