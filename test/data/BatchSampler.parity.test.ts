/**
 * Batch order parity with sentence-transformers 6.0.1: for every sampler, our batches (drawn with LibTorch's
 * generator through the addon) equal, batch for batch and epoch for epoch, the batches that
 * SentenceTransformerTrainer's own train dataloader yields on the same rows with the same arguments
 * (scripts/reference/sampler_reference.py, run live and cached in test/.cache by the script and the cases).
 * The length the Trainer plans with (len(dataloader)) is compared too.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { SeededRandom } from '../../lib/data/SeededRandom';
import {
  createBatchSampler, createMultiDatasetBatchSampler, type BatchSamplerName, type MultiDatasetBatchSamplerName,
} from '../../lib/data/samplers';
import { cacheDir, describeIf, missing, repoRoot, runPython } from '../helpers/requirements';

const SCRIPT = 'sampler_reference.py';
const EPOCHS = 3;

interface Data { name: string; texts: string[][]; labels: number[] | null }
interface Case {
  title: string;
  sampler: BatchSamplerName;
  multi?: MultiDatasetBatchSamplerName;
  datasets: Data[];
  batchSize: number;
  dropLast: boolean;
  seed: number;
  dataSeed?: number;
}
interface Answer { length: number; epochs: number[][][] }

const COLUMN_NAMES = ['anchor', 'positive', 'negative'];

/** Pairs whose anchors come from a small pool and whose positives sometimes repeat an anchor: duplicate-heavy. */
function repetitive(name: string, n: number, seed: number, columns = 2): Data {
  const rng = new SeededRandom(seed);
  const texts = [Array.from({ length: n }, () => `query ${rng.nextInt(Math.max(4, n >> 2))}`)];
  texts.push(Array.from({ length: n }, (_, i) => (i % 5 === 0 ? `query ${rng.nextInt(20)}` : `passage ${rng.nextInt(n)}`)));
  if (columns === 3) texts.push(Array.from({ length: n }, () => `passage ${rng.nextInt(n)}`));
  return { name, texts, labels: null };
}

/** Distinct texts. */
function distinct(name: string, n: number): Data {
  return { name, texts: [Array.from({ length: n }, (_, i) => `${name} a${i}`), Array.from({ length: n }, (_, i) => `${name} p${i}`)], labels: null };
}

/** Single sentences with class labels of uneven sizes: some labels with one row, some with an odd count. */
function labelled(name: string, n: number, numLabels: number, seed: number): Data {
  const rng = new SeededRandom(seed);
  // Skewed: low labels are frequent, high ones rare (the top ones often single).
  const labels = Array.from({ length: n }, () => Math.floor(numLabels * rng.nextFloat() ** 2));
  return { name, texts: [Array.from({ length: n }, (_, i) => `${name} sentence ${i}`)], labels };
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const seed of [0, 42, 1234]) {
    for (const [n, batchSize] of [[50, 8], [64, 16], [37, 37]] as const) {
      for (const dropLast of [false, true]) {
        out.push({ title: `BATCH_SAMPLER n=${n} bs=${batchSize}`, sampler: 'batch_sampler', datasets: [distinct('d', n)], batchSize, dropLast, seed });
      }
    }
    out.push({ title: 'BATCH_SAMPLER with data_seed', sampler: 'batch_sampler', datasets: [distinct('d', 45)], batchSize: 8, dropLast: false, seed, dataSeed: 7 + seed });
    for (const dropLast of [false, true]) {
      out.push({ title: 'NO_DUPLICATES duplicate-heavy pairs', sampler: 'no_duplicates', datasets: [repetitive('d', 120, seed + 1)], batchSize: 16, dropLast, seed });
      out.push({ title: 'NO_DUPLICATES triplets', sampler: 'no_duplicates', datasets: [repetitive('d', 90, seed + 2, 3)], batchSize: 7, dropLast, seed });
      out.push({ title: 'GROUP_BY_LABEL bs=8', sampler: 'group_by_label', datasets: [labelled('d', 100, 9, seed + 3)], batchSize: 8, dropLast, seed });
      out.push({ title: 'GROUP_BY_LABEL bs=6', sampler: 'group_by_label', datasets: [labelled('d', 61, 5, seed + 4)], batchSize: 6, dropLast, seed });
    }
    for (const multi of ['round_robin', 'proportional'] as const) {
      for (const dropLast of [false, true]) {
        const label = multi.toUpperCase();
        out.push({ title: `${label} of BATCH_SAMPLER`, sampler: 'batch_sampler', multi, datasets: [distinct('a', 30), distinct('b', 53), distinct('c', 16)], batchSize: 8, dropLast, seed });
        out.push({ title: `${label} of NO_DUPLICATES`, sampler: 'no_duplicates', multi, datasets: [repetitive('a', 70, seed + 5), repetitive('b', 41, seed + 6)], batchSize: 8, dropLast, seed });
        out.push({ title: `${label} of GROUP_BY_LABEL`, sampler: 'group_by_label', multi, datasets: [labelled('a', 60, 6, seed + 7), labelled('b', 35, 4, seed + 8)], batchSize: 4, dropLast, seed });
      }
    }
  }
  return out;
}

function toReferenceCase(c: Case): unknown {
  const datasets = c.datasets.map((d) => {
    const columns: Record<string, unknown[]> = {};
    d.texts.forEach((col, k) => { columns[d.labels ? 'sentence' : COLUMN_NAMES[k]] = col; });
    if (d.labels) columns.label = d.labels;
    return { name: d.name, columns };
  });
  const args: Record<string, unknown> = {
    per_device_train_batch_size: c.batchSize, batch_sampler: c.sampler, dataloader_drop_last: c.dropLast, seed: c.seed,
  };
  if (c.multi) args.multi_dataset_batch_sampler = c.multi;
  if (c.dataSeed !== undefined) args.data_seed = c.dataSeed;
  return { datasets, args, epochs: EPOCHS };
}

/** The reference's answers for all cases, cached by the script and the cases. */
function reference(all: Case[]): Answer[] {
  const input = JSON.stringify(all.map(toReferenceCase));
  const script = fs.readFileSync(path.join(repoRoot, 'scripts', 'reference', SCRIPT), 'utf8');
  const key = createHash('sha256').update(script).update(input).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, 'samplers');
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `reference-${key}.json`);
  if (!fs.existsSync(out)) {
    const file = path.join(dir, `cases-${key}.json`);
    fs.writeFileSync(file, input);
    const answer = runPython(SCRIPT, [file]);
    fs.rmSync(file);
    fs.writeFileSync(out, answer);
  }
  const answers = JSON.parse(fs.readFileSync(out, 'utf8')) as Answer[];
  if (answers.length !== all.length) throw new Error(`${SCRIPT}: ${answers.length} answers for ${all.length} cases`);
  return answers;
}

/** Our batches of every epoch, as global row indices (datasets concatenated in order), and our planned length. */
function ours(c: Case): Answer {
  const options = { batchSize: c.batchSize, dropLast: c.dropLast, seed: c.seed, dataSeed: c.dataSeed };
  const data = (d: Data) => ({ texts: d.texts, labels: d.labels ? Float32Array.from(d.labels) : null });
  if (!c.multi) {
    const sampler = createBatchSampler(c.sampler, { ...data(c.datasets[0]), ...options });
    return { length: sampler.batchesPerEpoch(), epochs: Array.from({ length: EPOCHS }, (_, e) => sampler.epochBatches(e).map((b) => Array.from(b))) };
  }
  const sampler = createMultiDatasetBatchSampler(c.multi, c.sampler, c.datasets.map((d) => ({ name: d.name, ...data(d) })), options);
  const offsets = sampler.globalOffsets();
  const epochs = Array.from({ length: EPOCHS }, (_, e) => sampler.epochBatches(e).map((b) => {
    expect(b.datasetName).toBe(c.datasets[b.datasetIndex].name);
    return Array.from(b.rows, (r) => r + offsets[b.datasetIndex]);
  }));
  return { length: sampler.batchesPerEpoch(), epochs };
}

describeIf(missing({ addon: true, python: true }), 'batch order parity with SentenceTransformerTrainer (6.0.1)', () => {
  const all = cases();
  let answers: Answer[] = [];
  beforeAll(() => { answers = reference(all); }, 300_000);

  const kinds = [...new Set(all.map((c) => (c.multi ? `${c.multi.toUpperCase()} of ${c.sampler.toUpperCase()}` : c.sampler.toUpperCase())))];
  for (const kind of kinds) {
    test(kind, () => {
      const mine = all.map((c, i) => [c, i] as const).filter(([c]) => (c.multi ? `${c.multi.toUpperCase()} of ${c.sampler.toUpperCase()}` : c.sampler.toUpperCase()) === kind);
      const seeds = new Set<number>();
      let batches = 0;
      for (const [c, i] of mine) {
        const label = `${c.title}, seed ${c.seed}${c.dataSeed !== undefined ? `, data_seed ${c.dataSeed}` : ''}, drop_last ${c.dropLast}`;
        const got = ours(c);
        expect({ label, length: got.length }).toEqual({ label, length: answers[i].length });
        for (let e = 0; e < EPOCHS; e++) expect({ label, epoch: e, batches: got.epochs[e] }).toEqual({ label, epoch: e, batches: answers[i].epochs[e] });
        seeds.add(c.seed);
        batches += got.epochs.reduce((s, ep) => s + ep.length, 0);
      }
      // Epochs differ from one another, except where sentence-transformers repeats them: in a multi-dataset
      // run it never calls set_epoch on the datasets' samplers, so NO_DUPLICATES and GROUP_BY_LABEL datasets
      // reseed with 0 every epoch, and ROUND_ROBIN adds no randomness of its own.
      const repeats = kind === 'ROUND_ROBIN of NO_DUPLICATES' || kind === 'ROUND_ROBIN of GROUP_BY_LABEL';
      const reshuffled = mine.map(([, i]) => JSON.stringify(answers[i].epochs[0]) !== JSON.stringify(answers[i].epochs[1]));
      expect(reshuffled).toEqual(mine.map(() => !repeats));
      console.log(`${kind}: ${mine.length} cases (seeds ${[...seeds].join(', ')}; drop_last both), ${EPOCHS} epochs each, ${batches} batches: all equal`);
    });
  }

  test('resume restores the exact next batch (LibTorch\'s generator)', () => {
    for (const c of all.filter((x) => x.seed === 42 && !x.dropLast)) {
      const make = () => (c.multi
        ? createMultiDatasetBatchSampler(c.multi, c.sampler, c.datasets.map((d) => ({ name: d.name, texts: d.texts, labels: d.labels && Float32Array.from(d.labels) })), { batchSize: c.batchSize, seed: c.seed })
        : createBatchSampler(c.sampler, { texts: c.datasets[0].texts, labels: c.datasets[0].labels && Float32Array.from(c.datasets[0].labels), batchSize: c.batchSize, seed: c.seed, dataSeed: c.dataSeed }));
      const first = make();
      first.setEpoch(1);
      first.next(); first.next();
      const resumed = make();
      resumed.restore(JSON.parse(JSON.stringify(first.state)));
      const label = `${c.title}, seed ${c.seed}`;
      expect({ label, next: resumed.next() }).toEqual({ label, next: first.next() });
      expect({ label, next: resumed.next() }).toEqual({ label, next: first.next() });
    }
  });

  test('the cases exercise what they are about', () => {
    // NO_DUPLICATES defers rows (its batches are not plain slices of a permutation), and runs short with drop_last.
    const noDup = all.findIndex((c) => c.sampler === 'no_duplicates' && !c.multi && c.dropLast);
    expect(answers[noDup].epochs[0].length).toBeLessThan(answers[noDup].length);
    expect(answers[noDup].epochs[0].length).toBeGreaterThan(0);
    for (const [i, c] of all.entries()) {
      if (c.sampler === 'no_duplicates' && !c.dropLast) expect(answers[i].epochs[0].some((b) => b.length < c.batchSize)).toBe(true);
    }
    // GROUP_BY_LABEL leaves rows out (labels with one row, odd counts, the dominant label's tail).
    const group = all.findIndex((c) => c.sampler === 'group_by_label' && !c.multi);
    expect(answers[group].epochs[0].flat().length).toBeLessThan(all[group].datasets[0].texts[0].length);
    // PROPORTIONAL interleaves the datasets; ROUND_ROBIN alternates them.
    const proportional = all.findIndex((c) => c.multi === 'proportional' && c.sampler === 'batch_sampler');
    expect(new Set(answers[proportional].epochs[0].map((b) => (b[0] < 30 ? 0 : b[0] < 83 ? 1 : 2))).size).toBe(3);
  });
});
