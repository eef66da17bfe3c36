/**
 * The samplers' logic, model-free: a fake generator (a seeded TypeScript shuffle that logs every call) stands
 * in for LibTorch's, so these tests check what the samplers do with their draws and which draws they make;
 * test/data/BatchSampler.parity.test.ts checks the real order against sentence-transformers.
 */
import { execFileSync } from 'child_process';
import { SeededRandom } from '../../lib/data/SeededRandom';
import {
  BatchSampler, BatchSamplers, DefaultBatchSampler, GroupByLabelBatchSampler, NoDuplicatesBatchSampler, ProportionalBatchSampler,
  RoundRobinBatchSampler, batchCount, createBatchSampler, createMultiDatasetBatchSampler,
  type EpochSampler, type GeneratorFactory, type MultiDatasetBatch, type TorchGenerator,
} from '../../lib/data/samplers';
import { describeIf, missing, venvPython } from '../helpers/requirements';

/** Deterministic by seed like torch's, not torch's order; logs "seed s" and "randperm n" calls. */
class FakeGenerator implements TorchGenerator {
  readonly log: string[] = [];
  private rng = new SeededRandom(67280421310721);
  manualSeed(seed: number): void {
    this.log.push(`seed ${seed}`);
    this.rng = new SeededRandom(seed);
  }
  randperm(n: number): Int32Array {
    this.log.push(`randperm ${n}`);
    return this.rng.permutation(n);
  }
  dispose(): void {}
}

/** A factory of fake generators that keeps the ones it made, to read their logs. */
function fakes(): GeneratorFactory & { made: FakeGenerator[] } {
  const made: FakeGenerator[] = [];
  return Object.assign(() => { const g = new FakeGenerator(); made.push(g); return g; }, { made });
}
const generator = fakes();

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

function drain<B>(sampler: EpochSampler<B>): B[] {
  const out: B[] = [];
  for (let b = sampler.next(); b !== null; b = sampler.next()) out.push(b);
  return out;
}

describe('DefaultBatchSampler (BATCH_SAMPLER)', () => {
  const texts = [range(103).map((i) => `t${i}`)];

  test('covers every row once per epoch; fixed-size batches with a smaller last one', () => {
    const s = new DefaultBatchSampler({ texts, batchSize: 10, seed: 5, generator });
    const batches = s.epochBatches(0);
    expect(batches.map((b) => b.length)).toEqual([...Array(10).fill(10), 3]);
    expect(sorted(batches)).toEqual(range(103));
    expect(s.batchesPerEpoch()).toBe(11);
    expect(Array.from(batches[0])).not.toEqual(range(10));
  });

  test('the batches are the permutation of seed + epoch, cut in order', () => {
    const s = new DefaultBatchSampler({ texts, batchSize: 10, seed: 5, generator });
    expect(s.epochBatches(2).flatMap((b) => Array.from(b))).toEqual(Array.from(new SeededRandom(7).permutation(103)));
  });

  test('dropLast drops the smaller batch; batchCount matches sentence-transformers len()', () => {
    const s = new DefaultBatchSampler({ texts, batchSize: 10, dropLast: true, seed: 5, generator });
    expect(s.epochBatches(0).map((b) => b.length)).toEqual(Array(10).fill(10));
    expect(s.batchesPerEpoch()).toBe(10);
    expect(batchCount(100, 10, false)).toBe(10);
    expect(batchCount(101, 10, false)).toBe(11);
    expect(batchCount(109, 10, true)).toBe(10);
  });

  test('deterministic by seed; each epoch a different order', () => {
    const a = new DefaultBatchSampler({ texts, batchSize: 8, seed: 1, generator });
    const b = new DefaultBatchSampler({ texts, batchSize: 8, seed: 1, generator });
    expect(plain(a.epochBatches(3))).toEqual(plain(b.epochBatches(3)));
    expect(plain(a.epochBatches(0))).not.toEqual(plain(a.epochBatches(1)));
    expect(plain(new DefaultBatchSampler({ texts, batchSize: 8, seed: 2, generator }).epochBatches(0))).not.toEqual(plain(a.epochBatches(0)));
  });

  test('draws as torch\'s RandomSampler: the epoch\'s permutation, then one more when the rows run out', () => {
    const g = new FakeGenerator();
    const s = new DefaultBatchSampler({ texts, batchSize: 10, seed: 5, generator });
    const it = s.iterate(g, 1);
    for (let b = 0; b < 10; b++) it.next();
    expect(g.log).toEqual(['seed 6', 'randperm 103']);
    expect(it.next().value).toHaveLength(3); // the smaller batch: the extra draw comes with it
    expect(g.log).toEqual(['seed 6', 'randperm 103', 'randperm 103']);
    expect(it.next().done).toBe(true);
    // Full batches only: the extra draw comes when the batch after the last one is asked for.
    const h = new FakeGenerator();
    const full = new DefaultBatchSampler({ texts: [range(20).map(String)], batchSize: 10, seed: null, generator }).iterate(h, 0);
    full.next(); full.next();
    expect(h.log).toEqual(['randperm 20']);
    expect(full.next().done).toBe(true);
    expect(h.log).toEqual(['randperm 20', 'randperm 20']);
  });

  test('a sampler without a seed runs only inside a multi-dataset sampler', () => {
    expect(() => new DefaultBatchSampler({ texts, batchSize: 8, seed: null, generator }).epochBatches(0)).toThrow('a sampler without a seed continues a shared generator');
  });
});

describe('NoDuplicatesBatchSampler (NO_DUPLICATES)', () => {
  const columns = repetitiveColumns(600, 11);

  test('no text occurs twice within a batch, across all input columns', () => {
    const s = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 3, generator });
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
    const plainBatches = new DefaultBatchSampler({ texts: columns, batchSize: 16, seed: 3, generator }).epochBatches(0);
    const clashes = plainBatches.filter((b) => new Set(Array.from(b, (r) => columns[0][r])).size < b.length).length;
    expect(clashes).toBeGreaterThan(plainBatches.length / 2);
  });

  test('without dropLast every row is used exactly once per epoch; leftovers form smaller batches', () => {
    const s = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 3, generator });
    const batches = s.epochBatches(0);
    expect(sorted(batches)).toEqual(range(600));
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(16);
    expect(batches.length).toBeGreaterThanOrEqual(s.batchesPerEpoch());
  });

  test('with dropLast only full batches, no row twice; batchesPerEpoch is the upper bound sentence-transformers reports', () => {
    const s = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, dropLast: true, seed: 3, generator });
    const batches = s.epochBatches(0);
    for (const b of batches) expect(b.length).toBe(16);
    const rows = sorted(batches);
    expect(new Set(rows).size).toBe(rows.length);
    expect(batches.length).toBeLessThanOrEqual(s.batchesPerEpoch());
    expect(s.batchesPerEpoch()).toBe(37);
  });

  test('visits the rows in the order of one permutation, drawn after reseeding with seed + epoch', () => {
    const g = new FakeGenerator();
    const s = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 3, generator });
    const batches = [...s.iterate(g, 2)];
    expect(g.log).toEqual(['seed 5', 'randperm 600']);
    expect(plain(batches)).toEqual(plain(s.batchesInOrder(new SeededRandom(5).permutation(600))));
  });

  test('sentence-transformers semantics on a hand-checked case: a deferred row keeps its place', () => {
    const texts = [['a', 'a', 'b', 'c'], ['x', 'y', 'z', 'w']];
    const s = new NoDuplicatesBatchSampler({ texts, batchSize: 2, generator });
    // Order 0, 1, 2, 3: row 1 clashes with row 0 and waits; 2 completes the first batch; 1 and 3 the second.
    expect(plain(s.batchesInOrder(Int32Array.from([0, 1, 2, 3])))).toEqual([[0, 2], [1, 3]]);
    expect(plain(s.batchesInOrder(Int32Array.from([1, 0, 3, 2])))).toEqual([[1, 3], [0, 2]]);
    // All rows equal: one per batch; dropLast with batch size 2 keeps nothing.
    const same = [['s', 's', 's']];
    expect(plain(new NoDuplicatesBatchSampler({ texts: same, batchSize: 2, generator }).epochBatches(0)).map((b) => b.length)).toEqual([1, 1, 1]);
    expect(new NoDuplicatesBatchSampler({ texts: same, batchSize: 2, dropLast: true, generator }).epochBatches(0)).toEqual([]);
    // A row whose anchor equals its own positive is not a clash with itself.
    expect(plain(new NoDuplicatesBatchSampler({ texts: [['u', 'v'], ['u', 'w']], batchSize: 2, generator }).epochBatches(0))[0]).toHaveLength(2);
  });

  test('deterministic by seed', () => {
    const a = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 9, generator });
    const b = new NoDuplicatesBatchSampler({ texts: columns, batchSize: 16, seed: 9, generator });
    expect(plain(a.epochBatches(2))).toEqual(plain(b.epochBatches(2)));
    expect(plain(a.epochBatches(2))).not.toEqual(plain(a.epochBatches(3)));
  });
});

describe('GroupByLabelBatchSampler (GROUP_BY_LABEL)', () => {
  // Label 0: 9 rows (odd: one is left out), 1: 6, 2: 4, 3: 1 (left out), 4: 2.
  const labelOf = [0, 1, 0, 2, 0, 1, 3, 0, 1, 2, 0, 0, 1, 4, 2, 0, 1, 0, 2, 1, 4, 0];
  const labels = Float32Array.from(labelOf);
  const texts = [labelOf.map((_, i) => `sentence ${i}`)];

  test('every batch is made of pairs of rows of one label; single rows and odd leftovers never appear', () => {
    for (const dropLast of [false, true]) {
      const s = new GroupByLabelBatchSampler({ texts, labels, batchSize: 4, dropLast, generator });
      for (const epoch of [0, 1, 2]) {
        const batches = s.epochBatches(epoch);
        expect(batches.length).toBe(s.batchesPerEpoch());
        for (const batch of batches) {
          expect(batch.length % 2).toBe(0);
          for (let i = 0; i < batch.length; i += 2) expect(labelOf[batch[i]]).toBe(labelOf[batch[i + 1]]);
          // Within one round the labels differ; a batch spanning two rounds can, as in sentence-transformers,
          // meet the same label twice (4 rows of one label when the batch size is 4).
          if (batch.length === 4) expect(new Set(Array.from(batch, (r) => labelOf[r])).size).toBeLessThanOrEqual(2);
        }
        // Most batches hold two labels or more (the parity test checks the exact batches).
        const mixed = batches.filter((b) => new Set(Array.from(b, (r) => labelOf[r])).size >= 2).length;
        expect(mixed).toBeGreaterThanOrEqual(batches.length - 1);
        const rows = sorted(batches);
        expect(new Set(rows).size).toBe(rows.length);
        expect(rows).not.toContain(6); // label 3's only row
        expect(rows).not.toContain(21); // label 0's ninth row: its group is cut to 8
      }
    }
  });

  test('the stream stops when one label is left: the dominant label\'s tail is not used', () => {
    // Pairs per label (0, 1, 2, 4): 4, 3, 2, 1. Rounds go on while 2 labels have rows, so label 0 gives 3 of its
    // 4 pairs: the stream has 2 * (3 + 3 + 2 + 1) = 18 rows, 4 batches of 4 and 2 rows too few for a batch.
    const batches = new GroupByLabelBatchSampler({ texts, labels, batchSize: 4, generator }).epochBatches(0);
    expect(batches.map((b) => b.length)).toEqual([4, 4, 4, 4]);
    expect(sorted(batches).filter((r) => labelOf[r] === 0).length).toBeLessThanOrEqual(6);
  });

  test('draws: a permutation per label (in order of first appearance), then one per round of the labels left', () => {
    const g = new FakeGenerator();
    const s = new GroupByLabelBatchSampler({ texts, labels, batchSize: 4, seed: 7, generator });
    const it = s.iterate(g, 1);
    it.next();
    // Groups 0, 1, 2, 4 (label 3 dropped) cut to 8, 6, 4, 2 rows; round 1 over 4 labels gives 8 rows: 2 batches.
    expect(g.log).toEqual(['seed 8', 'randperm 8', 'randperm 6', 'randperm 4', 'randperm 2', 'randperm 4']);
    it.next();
    expect(g.log).toHaveLength(6);
    it.next(); // round 2: labels 0, 1, 2 left
    expect(g.log.slice(6)).toEqual(['randperm 3']);
  });

  test('batchesPerEpoch is sentence-transformers\' len(): the stream length over the batch size, plus a last batch of >= 4 rows', () => {
    // Stream 18 rows: with batch size 8, 2 batches and 2 rows left (dropped: fewer than 4).
    expect(new GroupByLabelBatchSampler({ texts, labels, batchSize: 8, generator }).batchesPerEpoch()).toBe(2);
    // Batch size 6: 3 batches exactly.
    expect(new GroupByLabelBatchSampler({ texts, labels, batchSize: 6, generator }).batchesPerEpoch()).toBe(3);
    // Batch size 14: 1 batch and 4 rows left: one more unless dropLast.
    expect(new GroupByLabelBatchSampler({ texts, labels, batchSize: 14, generator }).batchesPerEpoch()).toBe(2);
    expect(new GroupByLabelBatchSampler({ texts, labels, batchSize: 14, dropLast: true, generator }).batchesPerEpoch()).toBe(1);
    for (const [batchSize, dropLast] of [[8, false], [6, true], [14, false], [14, true]] as const) {
      const s = new GroupByLabelBatchSampler({ texts, labels, batchSize, dropLast, generator });
      expect(s.epochBatches(0).length).toBe(s.batchesPerEpoch());
    }
  });

  test('errors say what is missing', () => {
    expect(() => new GroupByLabelBatchSampler({ texts, labels, batchSize: 6 - 1, generator })).toThrow('the batch size must be an even number >= 4 (each batch holds pairs of rows from at least 2 labels), got 5');
    expect(() => new GroupByLabelBatchSampler({ texts, labels, batchSize: 2, generator })).toThrow('got 2');
    expect(() => new GroupByLabelBatchSampler({ texts, batchSize: 4, generator })).toThrow('group_by_label: the data has no label column (one of label, labels, score, scores)');
    const oneClass = Float32Array.from([1, 1, 1, 2, 3]);
    expect(() => new GroupByLabelBatchSampler({ texts: [['a', 'b', 'c', 'd', 'e']], labels: oneClass, batchSize: 4, generator }))
      .toThrow('group_by_label needs at least 2 distinct labels with at least 2 rows each, but only 1 of the 3 labels in the 5 rows has 2 rows or more (labels with a single row: 2, 3)');
    const allSingle = Float32Array.from([1, 2, 3]);
    expect(() => new GroupByLabelBatchSampler({ texts: [['a', 'b', 'c']], labels: allSingle, batchSize: 4, generator }))
      .toThrow('but only 0 of the 3 labels in the 3 rows have 2 rows or more');
  });
});

describe('multi-dataset samplers', () => {
  const data = (name: string, n: number) => ({ name, texts: [range(n).map((i) => `${name} ${i}`)] });
  const sizes = { a: 30, b: 53, c: 16 };
  const datasets = Object.entries(sizes).map(([name, n]) => data(name, n));

  test('ROUND_ROBIN: one batch per dataset in turn, until one has none left', () => {
    const s = createMultiDatasetBatchSampler('round_robin', 'batch_sampler', datasets, { batchSize: 8, seed: 3, generator });
    expect(s).toBeInstanceOf(RoundRobinBatchSampler);
    const batches = s.epochBatches(0);
    // c has 2 batches: a, b, c, a, b, c, then a, b and c has none left.
    expect(batches.map((b) => b.datasetName)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a', 'b']);
    expect(s.batchesPerEpoch()).toBe(6);
    for (const b of batches) for (const r of b.rows) expect(r).toBeLessThan(sizes[b.datasetName as keyof typeof sizes]);
  });

  test('PROPORTIONAL: every dataset to the end, in a shuffled order of turns drawn first', () => {
    const s = createMultiDatasetBatchSampler('proportional', 'batch_sampler', datasets, { batchSize: 8, seed: 3, generator });
    expect(s).toBeInstanceOf(ProportionalBatchSampler);
    const made = generator.made.length;
    const batches = s.epochBatches(1);
    const g = generator.made[made];
    // Reseeded with seed + epoch; the turns' order (4 + 7 + 2 batches) before any dataset's own draws.
    expect(g.log.slice(0, 3)).toEqual(['seed 4', 'randperm 13', 'randperm ' + sizes[batches[0].datasetName as keyof typeof sizes]]);
    expect(s.batchesPerEpoch()).toBe(13);
    expect(batches).toHaveLength(13);
    const byName = (name: string) => batches.filter((b) => b.datasetName === name);
    for (const [name, n] of Object.entries(sizes)) expect(sorted(byName(name).map((b) => b.rows))).toEqual(range(n));
    expect(batches.map((b) => b.datasetName)).not.toEqual([...'aaaabbbbbbbcc']);
  });

  test('datasets\' samplers run as epoch 0 every epoch, as sentence-transformers never sets their epoch', () => {
    const repetitive = [{ name: 'x', texts: repetitiveColumns(60, 1) }, { name: 'y', texts: repetitiveColumns(40, 2) }];
    const s = createMultiDatasetBatchSampler('round_robin', 'no_duplicates', repetitive, { batchSize: 8, seed: 3, generator });
    const rows = (e: number) => s.epochBatches(e).map((b: MultiDatasetBatch) => [b.datasetIndex, ...b.rows]);
    expect(rows(1)).toEqual(rows(0));
    const made = generator.made.length;
    s.epochBatches(2);
    expect(generator.made[made].log).toEqual(['seed 5', 'seed 0', 'randperm 60', 'seed 0', 'randperm 40']);
  });

  test('BATCH_SAMPLER datasets draw from the shared generator without reseeding; data_seed plays no part', () => {
    const s = createMultiDatasetBatchSampler('round_robin', 'batch_sampler', datasets, { batchSize: 8, seed: 3, dataSeed: 99, generator });
    const made = generator.made.length;
    s.epochBatches(0);
    expect(generator.made[made].log).toEqual(['seed 3', 'randperm 30', 'randperm 53', 'randperm 16', 'randperm 16']);
  });

  test('bad options', () => {
    expect(() => createMultiDatasetBatchSampler('round_robin', 'batch_sampler', [data('a', 5), data('a', 6)], { batchSize: 2, generator })).toThrow('round_robin: the dataset name "a" is given twice');
    expect(() => createMultiDatasetBatchSampler('random' as never, 'batch_sampler', [data('a', 5)], { batchSize: 2, generator })).toThrow('unknown multi_dataset_batch_sampler "random"; use one of round_robin, proportional');
    expect(() => new ProportionalBatchSampler({ datasets: [], generator })).toThrow('proportional: no datasets');
  });
});

describe('createBatchSampler seeds as sentence-transformers\' trainer', () => {
  const texts = repetitiveColumns(50, 3);
  const labels = Float32Array.from(range(50).map((i) => i % 4));
  const seedsOf = (s: BatchSampler) => { const made = generator.made.length; s.epochBatches(2); return generator.made[made].log[0]; };

  test('BATCH_SAMPLER: data_seed, else seed, plus the epoch', () => {
    expect(seedsOf(createBatchSampler('batch_sampler', { texts, batchSize: 8, seed: 42, generator }))).toBe('seed 44');
    expect(seedsOf(createBatchSampler('batch_sampler', { texts, batchSize: 8, seed: 42, dataSeed: 7, generator }))).toBe('seed 9');
  });

  test('NO_DUPLICATES and GROUP_BY_LABEL: 0 plus the epoch, whatever the seed (the trainer gives them none)', () => {
    expect(seedsOf(createBatchSampler('no_duplicates', { texts, batchSize: 8, seed: 42, dataSeed: 7, generator }))).toBe('seed 2');
    expect(seedsOf(createBatchSampler('group_by_label', { texts, labels, batchSize: 8, seed: 42, generator }))).toBe('seed 2');
    expect(createBatchSampler('group_by_label', { texts, labels, batchSize: 8, seed: 42, generator })).toBeInstanceOf(GroupByLabelBatchSampler);
  });
});

describe('sampler state: resume gives the identical sequence', () => {
  const texts = repetitiveColumns(200, 4);
  const labels = Float32Array.from(range(200).map((i) => (i * 7) % 9));
  const single = (name: (typeof BatchSamplers)[keyof typeof BatchSamplers]) => () => createBatchSampler(name, { texts, labels, batchSize: 12, seed: 42, generator });
  const multi = (name: 'round_robin' | 'proportional') => () => createMultiDatasetBatchSampler(name, 'no_duplicates',
    [{ name: 'x', texts }, { name: 'y', texts: repetitiveColumns(90, 5) }], { batchSize: 12, seed: 42, generator });
  const makers: [string, () => EpochSampler<unknown>][] = [
    ...Object.values(BatchSamplers).map((n) => [n, single(n)] as [string, () => EpochSampler<unknown>]),
    ['round_robin', multi('round_robin')], ['proportional', multi('proportional')],
  ];

  for (const [name, make] of makers) {
    test(name, () => {
      const reference = make();
      const full: unknown[] = [];
      for (let epoch = 0; epoch < 3; epoch++) { reference.setEpoch(epoch); full.push(...drain(reference)); }

      const first = make();
      const seen: unknown[] = [];
      first.setEpoch(0); seen.push(...drain(first));
      first.setEpoch(1);
      for (let k = 0; k < 3; k++) seen.push(first.next()!);
      const saved = JSON.parse(JSON.stringify(first.state));
      // The trainer's seeds: 42 for BATCH_SAMPLER and the multi-dataset samplers, 0 for the other two.
      const seed = name === 'no_duplicates' || name === 'group_by_label' ? 0 : 42;
      expect(saved).toMatchObject({ kind: name, epoch: 1, position: 3, seed });

      const resumed = make();
      resumed.restore(saved);
      seen.push(...drain(resumed));
      resumed.setEpoch(2); seen.push(...drain(resumed));
      expect(seen).toEqual(full);
    });
  }

  test('a state from another sampler or another dataset is refused', () => {
    const data = repetitiveColumns(50, 1);
    const s = createBatchSampler('no_duplicates', { texts: data, batchSize: 4, generator });
    const state = s.state;
    expect(() => createBatchSampler('batch_sampler', { texts: data, batchSize: 4, generator }).restore(state)).toThrow('cannot resume: the saved sampler had kind = "no_duplicates", this one has "batch_sampler"');
    expect(() => createBatchSampler('no_duplicates', { texts: data.map((c) => c.slice(1)), batchSize: 4, generator }).restore(state)).toThrow('numRows = 50, this one has 49');
    expect(() => s.restore({ ...state, position: 999 })).toThrow('position 999 is outside');
    const m = multi('proportional')();
    const other = createMultiDatasetBatchSampler('proportional', 'no_duplicates', [{ name: 'x', texts }, { name: 'z', texts: repetitiveColumns(90, 5) }], { batchSize: 12, seed: 42, generator });
    expect(() => other.restore(m.state)).toThrow('cannot resume: the saved sampler had datasets = [{"name":"x"');
  });

  test('bad options', () => {
    expect(() => createBatchSampler('batch_sampler', { texts: [['a']], batchSize: 0, generator })).toThrow('batchSize must be a positive integer, got 0');
    expect(() => createBatchSampler('no_duplicates_hashed' as never, { texts: [['a']], batchSize: 1, generator })).toThrow('unknown batch_sampler "no_duplicates_hashed"; use one of batch_sampler, no_duplicates, group_by_label');
    expect(() => createBatchSampler('no_duplicates', { texts: [['a', 'b'], ['c']], batchSize: 1, generator })).toThrow('input column 1 has 1 rows, column 0 has 2');
    expect(() => createBatchSampler('batch_sampler', { texts: [['a', 'b']], labels: Float32Array.from([1]), batchSize: 1, generator })).toThrow('the label column has 1 rows, the input columns 2');
    expect(() => new DefaultBatchSampler({ texts: [['a']], batchSize: 1, seed: -1, generator })).toThrow('seed must be a non-negative integer or null, got -1');
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
      const ours = new NoDuplicatesBatchSampler({ texts: c.columns, batchSize: c.batchSize, dropLast: c.dropLast, generator }).batchesInOrder(Int32Array.from(c.order));
      expect(plain(ours)).toEqual(expected[k]);
    }
    // The cases do exercise deferral: sentence-transformers made batches other than plain slices of the order.
    expect(expected[0][0]).not.toEqual(cases[0].order.slice(0, 16));
  });
});
