import { BatchSampler, BatchSamplers, DefaultBatchSampler, NoDuplicatesBatchSampler, batchCount, createBatchSampler } from '../../lib/data/BatchSampler';
import { SeededRandom } from '../../lib/data/SeededRandom';
import { execFileSync } from 'child_process';
import { describeIf, missing, venvPython } from '../helpers/requirements';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const sorted = (batches: Int32Array[]) => batches.flatMap((b) => Array.from(b)).sort((a, b) => a - b);
const plain = (batches: Int32Array[]) => batches.map((b) => Array.from(b));

/** Anchors drawn from a small pool (many repeats), positives sometimes equal to another row's anchor. */
function repetitiveColumns(n: number, seed: number): string[][] {
  const rng = new SeededRandom(seed);
  const anchors = range(n).map(() => `query ${rng.nextInt(40)}`);
  const positives = range(n).map((i) => (i % 7 === 0 ? `query ${rng.nextInt(40)}` : `passage ${rng.nextInt(150)}`));
  return [anchors, positives];
}

function drain(sampler: BatchSampler): Int32Array[] {
  const out: Int32Array[] = [];
  for (let b = sampler.next(); b !== null; b = sampler.next()) out.push(b);
  return out;
}

describe('SeededRandom', () => {
  test('deterministic, seed-dependent, unbiased-looking permutations', () => {
    expect(Array.from(new SeededRandom(1).permutation(20))).toEqual(Array.from(new SeededRandom(1).permutation(20)));
    expect(Array.from(new SeededRandom(1).permutation(20))).not.toEqual(Array.from(new SeededRandom(2).permutation(20)));
    // Each of 4 values lands at position 0 about a quarter of the time.
    const counts = [0, 0, 0, 0];
    for (let s = 0; s < 4000; s++) counts[new SeededRandom(s).permutation(4)[0]]++;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(120);
  });
});

describe('DefaultBatchSampler (BATCH_SAMPLER)', () => {
  const texts = [range(103).map((i) => `t${i}`)];

  test('covers every row once per epoch; fixed-size batches with a smaller last one', () => {
    const s = new DefaultBatchSampler({ texts, batchSize: 10, seed: 5 });
    const batches = s.epochBatches(0);
    expect(batches.map((b) => b.length)).toEqual([...Array(10).fill(10), 3]);
    expect(sorted(batches)).toEqual(range(103));
    expect(s.batchesPerEpoch()).toBe(11);
    expect(Array.from(batches[0])).not.toEqual(range(10));
  });

  test('dropLast drops the smaller batch; batchCount matches sentence-transformers len()', () => {
    const s = new DefaultBatchSampler({ texts, batchSize: 10, dropLast: true, seed: 5 });
    expect(s.epochBatches(0).map((b) => b.length)).toEqual(Array(10).fill(10));
    expect(s.batchesPerEpoch()).toBe(10);
    expect(batchCount(100, 10, false)).toBe(10);
    expect(batchCount(101, 10, false)).toBe(11);
    expect(batchCount(109, 10, true)).toBe(10);
  });

  test('deterministic by seed; each epoch a different order', () => {
    const a = new DefaultBatchSampler({ texts, batchSize: 8, seed: 1 });
    const b = new DefaultBatchSampler({ texts, batchSize: 8, seed: 1 });
    expect(plain(a.epochBatches(3))).toEqual(plain(b.epochBatches(3)));
    expect(plain(a.epochBatches(0))).not.toEqual(plain(a.epochBatches(1)));
    expect(plain(new DefaultBatchSampler({ texts, batchSize: 8, seed: 2 }).epochBatches(0))).not.toEqual(plain(a.epochBatches(0)));
  });
});

describe('NoDuplicatesBatchSampler (NO_DUPLICATES)', () => {
  const columns = repetitiveColumns(600, 11);

  test('no text occurs twice within a batch, across all input columns', () => {
    const s = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 3 });
    for (const epoch of [0, 1]) {
      const batches = s.epochBatches(epoch);
      for (const batch of batches) {
        const seen = new Map<string, number>();
        for (const row of batch) {
          for (const text of new Set(columns.map((col) => col[row]))) {
            expect(seen.get(text)).toBeUndefined();
            seen.set(text, row);
          }
        }
      }
    }
  });

  test('the data does have duplicates a plain shuffle would put together', () => {
    const plainBatches = new DefaultBatchSampler({ texts: columns, batchSize: 16, seed: 3 }).epochBatches(0);
    const clashes = plainBatches.filter((b) => new Set(Array.from(b, (r) => columns[0][r])).size < b.length).length;
    expect(clashes).toBeGreaterThan(plainBatches.length / 2);
  });

  test('without dropLast every row is used exactly once per epoch; leftovers form smaller batches', () => {
    const s = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 3 });
    const batches = s.epochBatches(0);
    expect(sorted(batches)).toEqual(range(600));
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(16);
    expect(batches.length).toBeGreaterThanOrEqual(s.batchesPerEpoch());
  });

  test('with dropLast only full batches, no row twice; batchesPerEpoch is the upper bound sentence-transformers reports', () => {
    const s = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, dropLast: true, seed: 3 });
    const batches = s.epochBatches(0);
    for (const b of batches) expect(b.length).toBe(16);
    const rows = sorted(batches);
    expect(new Set(rows).size).toBe(rows.length);
    expect(batches.length).toBeLessThanOrEqual(s.batchesPerEpoch());
    expect(s.batchesPerEpoch()).toBe(37);
  });

  test('sentence-transformers semantics on a hand-checked case: a deferred row keeps its place', () => {
    // Rows 0 and 1 share the anchor "a"; every order puts one of them in the first batch and
    // the other in the second. With a batch size of 2 and 3 rows the second batch holds the
    // deferred row plus whatever is left.
    const texts = [['a', 'a', 'b'], ['x', 'y', 'z']];
    for (let seed = 0; seed < 20; seed++) {
      const batches = plain(new NoDuplicatesBatchSampler({ texts, batchSize: 2, seed }).epochBatches(0));
      for (const b of batches) expect(b.includes(0) && b.includes(1)).toBe(false);
      expect(batches.flat().sort()).toEqual([0, 1, 2]);
    }
    // All rows equal: one per batch; dropLast with batch size 2 keeps nothing.
    const same = [['s', 's', 's']];
    expect(plain(new NoDuplicatesBatchSampler({ texts: same, batchSize: 2, seed: 0 }).epochBatches(0)).map((b) => b.length)).toEqual([1, 1, 1]);
    expect(new NoDuplicatesBatchSampler({ texts: same, batchSize: 2, dropLast: true, seed: 0 }).epochBatches(0)).toEqual([]);
    // A row whose anchor equals its own positive is not a clash with itself.
    expect(plain(new NoDuplicatesBatchSampler({ texts: [['u', 'v'], ['u', 'w']], batchSize: 2, seed: 0 }).epochBatches(0))[0]).toHaveLength(2);
  });

  test('deterministic by seed', () => {
    const a = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 9 });
    const b = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 9 });
    expect(plain(a.epochBatches(2))).toEqual(plain(b.epochBatches(2)));
    expect(plain(a.epochBatches(2))).not.toEqual(plain(a.epochBatches(3)));
  });
});

describe('sampler state: resume gives the identical sequence', () => {
  for (const name of [BatchSamplers.BATCH_SAMPLER, BatchSamplers.NO_DUPLICATES]) {
    test(name, () => {
      const texts = repetitiveColumns(200, 4);
      const options = { texts, batchSize: 12, seed: 42 };
      const reference = createBatchSampler(name, options);
      const full: Int32Array[] = [];
      for (let epoch = 0; epoch < 3; epoch++) { reference.setEpoch(epoch); full.push(...drain(reference)); }

      const first = createBatchSampler(name, options);
      const seen: Int32Array[] = [];
      first.setEpoch(0); seen.push(...drain(first));
      first.setEpoch(1);
      for (let k = 0; k < 5; k++) seen.push(first.next()!);
      const saved = JSON.parse(JSON.stringify(first.state));
      expect(saved).toMatchObject({ kind: name, epoch: 1, position: 5, numRows: 200, batchSize: 12, seed: 42, dropLast: false });

      const resumed = createBatchSampler(name, options);
      resumed.restore(saved);
      seen.push(...drain(resumed));
      resumed.setEpoch(2); seen.push(...drain(resumed));
      expect(plain(seen)).toEqual(plain(full));
    });
  }

  test('a state from another sampler or another dataset is refused', () => {
    const texts = repetitiveColumns(50, 1);
    const s = createBatchSampler('no_duplicates', { texts, batchSize: 4 });
    const state = s.state;
    expect(() => createBatchSampler('batch_sampler', { texts, batchSize: 4 }).restore(state)).toThrow('cannot resume: the saved sampler had kind = "no_duplicates", this one has "batch_sampler"');
    expect(() => createBatchSampler('no_duplicates', { texts: texts.map((c) => c.slice(1)), batchSize: 4 }).restore(state)).toThrow('numRows = 50, this one has 49');
    expect(() => s.restore({ ...state, position: 999 })).toThrow('position 999 is outside');
  });

  test('bad options', () => {
    expect(() => createBatchSampler('batch_sampler', { texts: [['a']], batchSize: 0 })).toThrow('batchSize must be a positive integer, got 0');
    expect(() => createBatchSampler('group_by_label' as never, { texts: [['a']], batchSize: 1 })).toThrow('unknown batch_sampler "group_by_label"; use one of batch_sampler, no_duplicates');
    expect(() => createBatchSampler('no_duplicates', { texts: [['a', 'b'], ['c']], batchSize: 1 })).toThrow('input column 1 has 1 rows, column 0 has 2');
  });
});

/** sentence-transformers' own NoDuplicatesBatchSampler, fed our visiting order in place of torch.randperm. */
const ST_NO_DUPLICATES = `
import json, sys, torch
from sentence_transformers.base.sampler import NoDuplicatesBatchSampler
cases = json.load(sys.stdin)
class Rows:
    def __init__(self, columns): self.columns = columns; self.column_names = [f"c{k}" for k in range(len(columns))]
    def __len__(self): return len(self.columns[0])
    def __getitem__(self, i): return {name: col[i] for name, col in zip(self.column_names, self.columns)}
out = []
for case in cases:
    torch.randperm = lambda n, generator=None, dtype=None, order=case["order"]: torch.tensor(order, dtype=dtype)
    sampler = NoDuplicatesBatchSampler(Rows(case["columns"]), batch_size=case["batchSize"], drop_last=case["dropLast"], valid_label_columns=["label"])
    out.append(list(sampler))
print(json.dumps(out))
`;

describeIf(missing({ python: true }), 'NoDuplicatesBatchSampler matches sentence-transformers 6.0.1 batch for batch, given the same order', () => {
  test('repetitive data, several batch sizes, with and without dropLast', () => {
    const cases: { columns: string[][]; order: number[]; batchSize: number; dropLast: boolean }[] = [];
    for (const [n, batchSize, dropLast, seed] of [[300, 16, false, 1], [300, 16, true, 2], [120, 7, false, 3], [50, 64, false, 4], [200, 32, true, 5]] as const) {
      const columns = repetitiveColumns(n, seed);
      cases.push({ columns, order: Array.from(new SeededRandom(seed * 13).permutation(n)), batchSize, dropLast });
    }
    const expected: number[][][] = JSON.parse(execFileSync(venvPython()!, ['-c', ST_NO_DUPLICATES], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 26 }));
    for (const [k, c] of cases.entries()) {
      const ours = new NoDuplicatesBatchSampler({ texts: c.columns, batchSize: c.batchSize, dropLast: c.dropLast }).batchesInOrder(Int32Array.from(c.order));
      expect(plain(ours)).toEqual(expected[k]);
    }
    // The cases do exercise deferral: sentence-transformers made batches other than plain slices of the order.
    expect(expected[0][0]).not.toEqual(cases[0].order.slice(0, 16));
  });
});
