/**
 * Loss trajectories through the real Trainer against sentence-transformers' own SentenceTransformerTrainer
 * (6.0.1), each side drawing its own batches from the same seed (nothing is handed from one to the other): the
 * tiny model of test/helpers/stModel.ts (real all-MiniLM-L6-v2 tokenizer, dropout 0), fp32, CPU, 30 optimizer
 * steps per case, for the pair losses, a cached loss, a modifier, several datasets with a loss each, and
 * eval_loss on an eval_dataset.
 *
 * Checked per case: the batches sentence-transformers drew are ours; every step's loss within 1e-3; the trained
 * models' embeddings of held-out texts within row cosine 0.9999; every logged eval_loss (eval_<name>_loss for a
 * dict) within 1e-5 relative. Plain MultipleNegativesRankingLoss on our side runs the cached case's run again and
 * must give its trajectory (1e-5 per step). The reference's answers are cached in test/.cache, keyed by the
 * scripts and inputs.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { trainingColumns } from '../../lib/data/inputColumns';
import { createBatchSampler, createMultiDatasetBatchSampler } from '../../lib/data/samplers';
import { CachedMultipleNegativesRankingLoss } from '../../lib/losses/CachedMultipleNegativesRankingLoss';
import { CoSENTLoss } from '../../lib/losses/CoSENTLoss';
import type { Loss } from '../../lib/losses/Loss';
import { MatryoshkaLoss } from '../../lib/losses/MatryoshkaLoss';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { OnlineContrastiveLoss } from '../../lib/losses/OnlineContrastiveLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { parseTrainingArguments } from '../../lib/training/TrainingArguments';
import { rowCosines } from '../helpers/npy';
import { cacheDir, describeIf, missing, repoRoot, runPython, sharedData, tmpDir } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { legalRows } from '../helpers/texts';

const TOL = { loss: 1e-3, cosine: 0.9999, evalLossRelative: 1e-5 };
/** Our cached loss against our plain one on the same batches: the same sums in another order (measured 1.1e-6). */
const CACHED_VS_PLAIN = { loss: 1e-5, cosine: 0.99999 };
const STEPS = 30;

type Row = Record<string, string | number>;
/** One dataset, or a dict of named ones (as the Trainer and sentence-transformers take them). */
type Rows = Row[] | Record<string, Row[]>;
/** A loss as scripts/reference/loss_reference.py's make_loss builds it. */
interface StLossSpec { class: string; kwargs?: Record<string, unknown>; loss?: StLossSpec }
type EvalEntry = Record<string, number>;

interface Reference {
  steps: { step: number; loss: number }[]; global_step: number; embeddings: number[][];
  batches: number[][][]; eval_log: EvalEntry[];
}

const cache = path.join(cacheDir, 'trainer-loss-trajectories');
const sha = (...parts: string[]): string => parts.reduce((h, p) => h.update(p).update('\0'), createHash('sha256')).digest('hex').slice(0, 16);
const scriptText = (name: string): string => fs.readFileSync(path.join(repoRoot, 'scripts', 'reference', name), 'utf8');
const isDict = (rows: Rows): rows is Record<string, Row[]> => !Array.isArray(rows);
const jsonl = (rows: Row[]): string => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

/** STS benchmark pairs (tab-separated: genre, file, year, id, score 0..5, sentence1, sentence2), score scaled to [0, 1]. */
function stsRows(split: 'train' | 'dev', offset: number, count: number): Row[] {
  const rows: Row[] = [];
  for (const line of fs.readFileSync(path.join(sharedData, 'stsbenchmark', `sts-${split}.csv`), 'utf8').split('\n')) {
    const f = line.replace(/\r$/, '').split('\t');
    if (f.length < 7) continue;
    const score = Number(f[4]);
    if (!(score >= 0 && score <= 5)) throw new Error(`sts-${split}.csv: score ${JSON.stringify(f[4])} is not in 0..5`);
    rows.push({ sentence1: f[5], sentence2: f[6], score: score / 5 });
  }
  return rows.slice(offset, offset + count);
}

/** The args of --pairs / --eval-pairs: FILE for one dataset, NAME=FILE per dataset of a dict. */
function datasetFiles(work: string, key: string, role: string, rows: Rows): string[] {
  const named: [string | null, Row[]][] = isDict(rows) ? Object.entries(rows) : [[null, rows]];
  return named.map(([name, r]) => {
    const file = path.join(work, `${key}-${role}-${name ?? 'rows'}.jsonl`);
    fs.writeFileSync(file, jsonl(r));
    return name === null ? file : `${name}=${file}`;
  });
}

/** sentence-transformers' trainer with its own samplers (--own-batches), cached by scripts and inputs. */
function reference(work: string, modelDir: string, train: Rows, evalRows: Rows | null, argsWithLoss: Record<string, unknown>, probes: string[]): Reference {
  const inputs = [JSON.stringify(train), JSON.stringify(evalRows), JSON.stringify(argsWithLoss), JSON.stringify(probes)];
  const key = sha(scriptText('st_trainer_reference.py'), scriptText('loss_reference.py'), modelDir, ...inputs);
  const out = path.join(cache, `reference-${key}.json`);
  if (!fs.existsSync(out)) {
    const argsFile = path.join(work, `${key}-args.json`);
    const probesFile = path.join(work, `${key}-texts.json`);
    fs.writeFileSync(argsFile, JSON.stringify(argsWithLoss));
    fs.writeFileSync(probesFile, JSON.stringify(probes));
    const pairs = datasetFiles(work, key, 'train', train).flatMap((f) => ['--pairs', f]);
    const evals = evalRows ? datasetFiles(work, key, 'eval', evalRows).flatMap((f) => ['--eval-pairs', f]) : [];
    runPython('st_trainer_reference.py', ['--engine', 'trainer', '--own-batches', '--model', modelDir, ...pairs, ...evals, '--args', argsFile,
      '--encode', probesFile, '--device', 'cpu', '--threads', '1', '--out', out]);
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Reference;
}

function toDatasets(rows: Rows, role: string): Dataset | Record<string, Dataset> {
  if (!isDict(rows)) return Dataset.fromRecords(rows, `${role} rows`);
  return Object.fromEntries(Object.entries(rows).map(([n, r]) => [n, Dataset.fromRecords(r, `${role} rows "${n}"`)]));
}

/** Our samplers' batches for epoch e, as rows of the datasets concatenated in order (sentence-transformers' indices). */
function ourBatches(rows: Rows, hfArgs: Record<string, unknown>): (epoch: number) => number[][] {
  const args = parseTrainingArguments(hfArgs);
  const common = { batchSize: args.perDeviceTrainBatchSize, dropLast: args.dataloaderDropLast, seed: args.seed, dataSeed: args.dataSeed };
  if (!isDict(rows)) {
    const columns = trainingColumns(Dataset.fromRecords(rows, 'rows'));
    const sampler = createBatchSampler(args.batchSampler, { texts: columns.texts, labels: columns.labels, ...common });
    return (e) => sampler.epochBatches(e).map((b) => Array.from(b));
  }
  const datasets = Object.entries(rows).map(([name, r]) => ({ name, ...trainingColumns(Dataset.fromRecords(r, name)) }));
  const sampler = createMultiDatasetBatchSampler(args.multiDatasetBatchSampler, args.batchSampler, datasets, common);
  const offsets = sampler.globalOffsets();
  return (e) => sampler.epochBatches(e).map((b) => Array.from(b.rows, (i) => i + offsets[b.datasetIndex]));
}

interface Outcome { losses: number[]; embeddings: Float32Array; evalLog: EvalEntry[] }

/** Our Trainer on the same data and arguments: every step's loss, the probes' embeddings, the logged eval losses. */
async function ours(modelDir: string, work: string, train: Rows, evalRows: Rows | null, hfArgs: Record<string, unknown>,
  loss: Loss | Record<string, Loss>, probes: string[]): Promise<Outcome> {
  const model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
  const losses: number[] = [];
  const evalLog: EvalEntry[] = [];
  const trainer = new Trainer({
    model, loss, trainDataset: toDatasets(train, 'train'), evalDataset: evalRows ? toDatasets(evalRows, 'eval') : undefined,
    args: { ...hfArgs, output_dir: path.join(work, 'out') },
    callbacks: {
      onStep: (s) => { losses.push(s.loss); },
      onLog: (entry) => {
        const evalKeys = Object.keys(entry).filter((k) => k.startsWith('eval_') && k.endsWith('_loss'));
        if (evalKeys.length) evalLog.push(Object.fromEntries(['step', ...evalKeys].map((k) => [k, entry[k] as number])));
      },
    },
  });
  await trainer.train();
  return { losses, embeddings: await model.encode(probes, { batchSize: 32 }), evalLog };
}

/** Eval losses by step: {step: {eval_..._loss: value}} (entries of one step merged). */
function byStep(entries: EvalEntry[]): Map<number, Record<string, number>> {
  const out = new Map<number, Record<string, number>>();
  for (const { step, epoch: _epoch, ...losses } of entries) out.set(step, { ...out.get(step), ...losses });
  return out;
}

interface Figures { name: string; steps: number; maxLossDiff: number; minCosine: number; evalLossRel: number | null }
const table: Figures[] = [];

describeIf(missing({ addon: true, python: true, sharedData: true }), 'loss trajectories as SentenceTransformerTrainer\'s (each draws its own batches)', () => {
  const legal = legalRows('train');
  const heldOut = legalRows('test').slice(0, 16);
  const probes = [...heldOut.map((r) => r.anchor), ...heldOut.map((r) => r.positive), ...stsRows('dev', 200, 16).map((r) => r.sentence1 as string)];
  const common = {
    max_steps: STEPS, learning_rate: 5e-4, lr_scheduler_type: 'linear', warmup_steps: 3, max_grad_norm: 1.0, weight_decay: 0.01,
    logging_steps: 1, save_strategy: 'no', per_device_train_batch_size: 16,
  };
  let work = '';
  let modelDir = '';
  const pairs = (from: number, to: number): Row[] => legal.slice(from, to).map((r) => ({ anchor: r.anchor, positive: r.positive }));

  beforeAll(() => {
    work = tmpDir('loss-trajectories');
    fs.mkdirSync(cache, { recursive: true });
    modelDir = tinyStModel();
  });

  afterAll(() => {
    if (!table.length) return;
    const lines = table.map((f) => `| ${f.name} | ${f.steps} | ${f.maxLossDiff.toExponential(2)} | ${f.minCosine.toFixed(8)} | ${f.evalLossRel === null ? '-' : f.evalLossRel.toExponential(2)} |`);
    console.log(['| case | steps | max abs loss diff | min row cosine | max eval_loss rel diff |', '|---|---|---|---|---|', ...lines].join('\n'));
  });

  interface Case {
    name: string; train: Rows; eval?: Rows; hfArgs: Record<string, unknown>;
    loss: Loss | Record<string, Loss>; stLoss: StLossSpec | Record<string, StLossSpec>;
  }

  /** Runs both sides, checks batches, per-step losses, trained embeddings and eval losses; returns our outcome. */
  async function runCase(c: Case): Promise<Outcome> {
    const ref = reference(work, modelDir, c.train, c.eval ?? null, { ...c.hfArgs, loss: c.stLoss }, probes);

    // The batches sentence-transformers drew are our samplers' (the last epoch: as far as it got).
    const batchesOf = ourBatches(c.train, c.hfArgs);
    expect(ref.batches.length).toBeGreaterThanOrEqual(2);
    ref.batches.forEach((epoch, e) => {
      expect({ name: c.name, epoch: e, batches: batchesOf(e).slice(0, epoch.length) }).toEqual({ name: c.name, epoch: e, batches: epoch });
    });

    const mine = await ours(modelDir, work, c.train, c.eval ?? null, c.hfArgs, c.loss, probes);
    expect(mine.losses.length).toBe(STEPS);
    expect(ref.global_step).toBe(STEPS);
    let worst = 0, worstStep = 0;
    ref.steps.forEach((r, i) => { const d = Math.abs(mine.losses[i] - r.loss); if (d > worst) [worst, worstStep] = [d, r.step]; });
    const dim = mine.embeddings.length / probes.length;
    const cosine = Math.min(...rowCosines(mine.embeddings, Float32Array.from(ref.embeddings.flat()), probes.length, dim));

    let evalRel: number | null = null;
    let evaluations = 0;
    if (c.eval) {
      // Same evaluations (steps and keys), same values, and as many log entries (one per dataset of an eval dict).
      expect(mine.evalLog.length).toBe(ref.eval_log.length);
      const theirs = byStep(ref.eval_log);
      const mineByStep = byStep(mine.evalLog);
      expect([...mineByStep.entries()].map(([s, e]) => [s, Object.keys(e).sort()])).toEqual([...theirs.entries()].map(([s, e]) => [s, Object.keys(e).sort()]));
      evalRel = 0;
      for (const [step, r] of theirs) {
        for (const [k, v] of Object.entries(r)) {
          const rel = Math.abs(mineByStep.get(step)![k] - v) / Math.abs(v);
          evalRel = Math.max(evalRel, rel);
          if (!(rel <= TOL.evalLossRelative)) throw new Error(`${c.name}: step ${step} ${k} ${mineByStep.get(step)![k]}, ST ${v}`);
        }
      }
      evaluations = theirs.size;
    }
    table.push({ name: c.name, steps: STEPS, maxLossDiff: worst, minCosine: cosine, evalLossRel: evalRel });
    console.log(`${c.name}: ${STEPS} steps over ${ref.batches.length} epochs, loss ${ref.steps[0].loss.toFixed(4)} -> ${ref.steps[STEPS - 1].loss.toFixed(4)}; `
      + `max |loss - ST| ${worst.toExponential(2)} (step ${worstStep}); min row cosine ${cosine.toFixed(8)} over ${probes.length} texts`
      + (evalRel === null ? '' : `; ${evaluations} evaluations, max eval loss rel diff ${evalRel.toExponential(2)}`));
    for (const [i, r] of ref.steps.entries()) {
      if (!(Math.abs(mine.losses[i] - r.loss) <= TOL.loss)) throw new Error(`${c.name}: step ${r.step} loss ${mine.losses[i]}, ST ${r.loss}`);
    }
    expect(cosine).toBeGreaterThanOrEqual(TOL.cosine);
    return mine;
  }

  const cosent = { class: 'CoSENTLoss', kwargs: { scale: 20, similarity_fct: '@util.pairwise_cos_sim' } };
  const mnrl = { class: 'MultipleNegativesRankingLoss', kwargs: { scale: 20, similarity_fct: '@util.cos_sim' } };

  test('OnlineContrastiveLoss on (query, chunk, 1/0) rows', async () => {
    // Each question with its own passage (1) and with another question's passage (0), in file order.
    const rows = legal.slice(600, 720).flatMap((r, i) => [
      { query: r.anchor, chunk: r.positive, label: 1 },
      { query: r.anchor, chunk: legal[600 + ((i + 41) % 120)].positive, label: 0 },
    ]);
    expect(rows.every((r, i) => r.label === 1 || r.chunk !== legal[600 + Math.floor(i / 2)].positive)).toBe(true);
    await runCase({
      name: 'OnlineContrastiveLoss', train: rows, hfArgs: { ...common, seed: 11, learning_rate: 1e-3 },
      loss: new OnlineContrastiveLoss({ distanceMetric: 'cosine_distance', margin: 0.5 }),
      stLoss: { class: 'OnlineContrastiveLoss', kwargs: { distance_metric: '@losses.SiameseDistanceMetric.COSINE_DISTANCE', margin: 0.5 } },
    });
  }, 180_000);

  test('CoSENTLoss on STS benchmark pairs, with eval_loss on an eval_dataset every 10 steps', async () => {
    // 30 eval rows at per_device_eval_batch_size 8: a last batch of 6.
    await runCase({
      name: 'CoSENTLoss + eval_dataset', train: stsRows('train', 0, 250), eval: stsRows('dev', 0, 30),
      hfArgs: { ...common, seed: 13, eval_strategy: 'steps', eval_steps: 10, per_device_eval_batch_size: 8 },
      loss: new CoSENTLoss({ scale: 20, similarity: 'cosine' }), stLoss: cosent,
    });
  }, 180_000);

  test('CachedMultipleNegativesRankingLoss (mini_batch_size 4 of 16) and plain MultipleNegativesRankingLoss: the same trajectory', async () => {
    const rows = pairs(1000, 1240);
    // eval_loss too, on 30 questions over 6 passages: NO_DUPLICATES makes batches of at most 6 rows at
    // per_device_eval_batch_size 8, which the HF Trainer weights as 8 rows each but the last (30 % 8 = 6).
    const evalRows = legal.slice(3100, 3130).map((r, i) => ({ anchor: r.anchor, positive: legal[3100 + (i % 6)].positive }));
    const hfArgs = { ...common, seed: 17, batch_sampler: 'no_duplicates', eval_strategy: 'steps', eval_steps: 15, per_device_eval_batch_size: 8 };
    const cached = await runCase({
      name: 'CachedMNRL (mini_batch_size 4) + eval_dataset', train: rows, eval: evalRows, hfArgs,
      loss: new CachedMultipleNegativesRankingLoss({ scale: 20, similarity: 'cosine', miniBatchSize: 4 }),
      stLoss: { class: 'CachedMultipleNegativesRankingLoss', kwargs: { scale: 20, similarity_fct: '@util.cos_sim', mini_batch_size: 4 } },
    });
    // Plain MNRL against it (its own parity with sentence-transformers: Trainer.parity / Trainer.seedParity).
    const plain = await ours(modelDir, work, rows, evalRows, hfArgs, new MultipleNegativesRankingLoss({ scale: 20 }), probes);
    expect(plain.losses.length).toBe(STEPS);
    const diff = Math.max(...cached.losses.map((l, i) => Math.abs(l - plain.losses[i])));
    const cos = Math.min(...rowCosines(cached.embeddings, plain.embeddings, probes.length, cached.embeddings.length / probes.length));
    const evalDiff = Math.max(...cached.evalLog.flatMap((e, i) => Object.keys(e).filter((k) => k !== 'step').map((k) => Math.abs(e[k] - plain.evalLog[i][k]) / Math.abs(e[k]))));
    expect(plain.evalLog.map((e) => e.step)).toEqual(cached.evalLog.map((e) => e.step));
    table.push({ name: 'MNRL vs CachedMNRL (ours, same run)', steps: STEPS, maxLossDiff: diff, minCosine: cos, evalLossRel: evalDiff });
    console.log(`ours, cached vs plain MNRL: max |loss diff| ${diff.toExponential(2)} over ${STEPS} steps, min row cosine ${cos.toFixed(8)}, `
      + `max eval loss rel diff ${evalDiff.toExponential(2)}`);
    expect(evalDiff).toBeLessThanOrEqual(TOL.evalLossRelative);
    expect(diff).toBeLessThanOrEqual(CACHED_VS_PLAIN.loss);
    expect(cos).toBeGreaterThanOrEqual(CACHED_VS_PLAIN.cosine);
  }, 240_000);

  test('MatryoshkaLoss over CoSENTLoss (64, 32, 16); eval_loss with dataloader_drop_last', async () => {
    // dataloader_drop_last drops the eval dataset's last 6 rows too, yet the HF Trainer weights the last full
    // batch by 30 % 8 = 6 rows (accelerate's remainder does not know the batch sampler dropped them).
    await runCase({
      name: 'MatryoshkaLoss(CoSENTLoss) + eval_dataset, drop_last', train: stsRows('train', 1000, 250), eval: stsRows('dev', 300, 30),
      hfArgs: { ...common, seed: 19, dataloader_drop_last: true, eval_strategy: 'steps', eval_steps: 10, per_device_eval_batch_size: 8 },
      loss: new MatryoshkaLoss(new CoSENTLoss({ scale: 20 }), { matryoshkaDims: [64, 32, 16] }),
      stLoss: { class: 'MatryoshkaLoss', kwargs: { matryoshka_dims: [64, 32, 16] }, loss: cosent },
    });
  }, 180_000);

  // Two datasets with a loss each: MNRL on (anchor, positive), CoSENT on scored STS pairs (160 and 200 rows: 10 and 13 batches).
  const twoDatasets = (): Rows => ({ pairs: pairs(2000, 2160), sts: stsRows('train', 2000, 200) });
  const twoLosses = (): Record<string, Loss> => ({ pairs: new MultipleNegativesRankingLoss({ scale: 20 }), sts: new CoSENTLoss({ scale: 20 }) });

  test('two datasets, ROUND_ROBIN, a loss each; eval_loss per dataset of an eval_dataset dict', async () => {
    await runCase({
      name: 'ROUND_ROBIN {pairs: MNRL, sts: CoSENT} + eval dict', train: twoDatasets(),
      eval: { pairs: pairs(3000, 3025), sts: stsRows('dev', 100, 30) },
      hfArgs: { ...common, seed: 23, multi_dataset_batch_sampler: 'round_robin', eval_strategy: 'steps', eval_steps: 12, per_device_eval_batch_size: 8 },
      loss: twoLosses(), stLoss: { pairs: mnrl, sts: cosent },
    });
  }, 180_000);

  test('two datasets, PROPORTIONAL, a loss each', async () => {
    await runCase({
      name: 'PROPORTIONAL {pairs: MNRL, sts: CoSENT}', train: twoDatasets(),
      hfArgs: { ...common, seed: 29, multi_dataset_batch_sampler: 'proportional' },
      loss: twoLosses(), stLoss: { pairs: mnrl, sts: cosent },
    });
  }, 180_000);
});
