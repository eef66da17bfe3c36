/** The benchmark's arithmetic and its table (no timing: the numbers are given). */
import * as fs from 'fs';
import * as path from 'path';
import { benchTable, type BenchResult } from '../../lib/bench/benchmark';
import { peakResidentBytes } from '../../lib/bench/benchSide';
import { parseBatchList, steadyRate, stepWaitShare } from '../../lib/bench/measure';
import { tmpDir } from '../helpers/requirements';

const side = (train: number, peakGiB: number | null, wait: number | null, encode: number) => ({
  device: 'cpu', trainPairsPerSecond: train, peakResidentBytes: peakGiB === null ? null : peakGiB * 2 ** 30, dataWaitShare: wait,
  encodeTextsPerSecond: encode,
});

describe('bench table', () => {
  test('a row per batch: both sides, their ratios, peak memory, data wait', () => {
    const r: BenchResult = { device: 'cpu', steps: 12, warmup: 3, encodeTexts: 512, encodeBatch: 32, rows: [
      { batch: 16, embedforge: side(30, 1.5, 0.002, 400), sentenceTransformers: side(20, 2.25, 0.05, 100) },
      { batch: 32, embedforge: side(45, 1.9, null, 410), sentenceTransformers: side(30, 3, 0.04, 102.5) },
    ] };
    const lines = benchTable(r).split('\n');
    expect(lines[0]).toBe('device: cpu; 12 training steps, the first 3 left out of the rates; 512 texts encoded at batch 32');
    expect(lines[2].trim().split(/\s{2,}/)).toEqual(['batch', 'train ef', 'train st', 'ratio', 'peak GiB ef', 'peak GiB st', 'wait ef',
      'wait st', 'encode ef', 'encode st', 'ratio']);
    expect(lines[3].trim().split(/\s+/)).toEqual(['16', '30.0', '20.0', '1.50x', '1.50', '2.25', '0.2%', '5.0%', '400.0', '100.0', '4.00x']);
    expect(lines[4].trim().split(/\s+/)).toEqual(['32', '45.0', '30.0', '1.50x', '1.90', '3.00', '-', '4.0%', '410.0', '102.5', '4.00x']);
    // Columns line up: every row as wide as the header.
    expect(new Set(lines.slice(2).map((l) => l.length)).size).toBe(1);
  });

  test('without the reference, its cells and the ratios are dashes', () => {
    const r: BenchResult = { device: 'cpu', steps: 5, warmup: 1, encodeTexts: 8, encodeBatch: 4,
      rows: [{ batch: 8, embedforge: side(10, null, 0, 50), sentenceTransformers: null }] };
    expect(benchTable(r).split('\n')[3].trim().split(/\s+/)).toEqual(['8', '10.0', '-', '-', '-', '-', '0.0%', '-', '50.0', '-', '-']);
  });
});

describe('bench arithmetic', () => {
  test('steady rate: pairs after the warm-up steps over their time', () => {
    // Step ends at 0, 1000, 1500, 2000 ms; warm-up 1: 2 steps of 8 pairs in 1 s.
    expect(steadyRate([0, 1000, 1500, 2000], 1, 8)).toBeCloseTo(16, 12);
    expect(() => steadyRate([0, 1000], 1, 8)).toThrow('need more than 2 timed steps, got 2');
  });

  test('data wait: the gaps between one step and the next over the steady span', () => {
    // Steps [0,100], [110,200], [200,300], [340,400]: after step 0, gaps 10 + 0 + 40 of 300 ms.
    expect(stepWaitShare([[0, 100], [110, 200], [200, 300], [340, 400]], 0)).toBeCloseTo(50 / 300, 12);
    expect(stepWaitShare([[0, 100], [110, 200], [200, 300], [340, 400]], 1)).toBeCloseTo(40 / 200, 12);
  });

  test('batch lists', () => {
    expect(parseBatchList('16,32')).toEqual([16, 32]);
    expect(parseBatchList(' 8 ')).toEqual([8]);
    for (const bad of ['', '16,', '0', '1.5', 'x', '16;32']) expect(() => parseBatchList(bad)).toThrow(`got "${bad}"`);
  });

  test('peak resident memory from a status file; null without one', () => {
    const dir = tmpDir('bench-status-');
    const status = path.join(dir, 'status');
    fs.writeFileSync(status, 'Name:\tnode\nVmPeak:\t 9999 kB\nVmHWM:\t  1234 kB\nVmRSS:\t 1000 kB\n');
    expect(peakResidentBytes(status)).toBe(1234 * 1024);
    expect(peakResidentBytes(path.join(dir, 'absent'))).toBeNull();
  });
});
