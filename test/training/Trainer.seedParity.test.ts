/**
 * Same seed, same run: our Trainer and sentence-transformers' own SentenceTransformerTrainer (6.0.1), each
 * drawing its own batches from the same seed (nothing is handed from one to the other), train the same tiny
 * model (real all-MiniLM-L6-v2 tokenizer, dropout 0, fp32, CPU) for 30 steps per batch sampler.
 *
 * Checked: the batches sentence-transformers drew are the ones our sampler draws; every step's loss within
 * 1e-3; the trained models' embeddings of held-out texts within row cosine 0.9999. The reference's answers are
 * cached in test/.cache, keyed by the scripts and the inputs.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { trainingColumns } from '../../lib/data/inputColumns';
import { createBatchSampler } from '../../lib/data/samplers';
import { BatchSemiHardTripletLoss } from '../../lib/losses/BatchSemiHardTripletLoss';
import type { Loss } from '../../lib/losses/Loss';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { parseTrainingArguments } from '../../lib/training/TrainingArguments';
import { rowCosines } from '../helpers/npy';
import { cacheDir, describeIf, missing, repoRoot, runPython, tmpDir } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { legalRows } from '../helpers/texts';

const TOL = { loss: 1e-3, cosine: 0.9999 };
const STEPS = 30;

interface ReferenceStep { step: number; loss: number }
interface Reference { steps: ReferenceStep[]; global_step: number; embeddings: number[][]; batches: number[][][] }
type Row = Record<string, string | number>;

const cache = path.join(cacheDir, 'trainer-seed-parity');
const sha = (...parts: string[]): string => parts.reduce((h, p) => h.update(p).update('\0'), createHash('sha256')).digest('hex').slice(0, 16);
const scriptText = (name: string): string => fs.readFileSync(path.join(repoRoot, 'scripts', 'reference', name), 'utf8');

/** sentence-transformers' trainer with its own samplers (--own-batches), cached. */
function reference(work: string, modelDir: string, rows: Row[], argsWithLoss: Record<string, unknown>, probes: string[]): Reference {
  const inputs = [rows.map((r) => JSON.stringify(r)).join('\n') + '\n', JSON.stringify(argsWithLoss), JSON.stringify(probes)];
  const key = sha(scriptText('st_trainer_reference.py'), modelDir, ...inputs);
  const out = path.join(cache, `reference-${key}.json`);
  if (!fs.existsSync(out)) {
    const files = ['rows.jsonl', 'args.json', 'texts.json'].map((f) => path.join(work, `${key}-${f}`));
    inputs.forEach((text, i) => fs.writeFileSync(files[i], text));
    runPython('st_trainer_reference.py', ['--engine', 'trainer', '--own-batches', '--model', modelDir, '--pairs', files[0], '--args', files[1],
      '--encode', files[2], '--device', 'cpu', '--threads', '1', '--out', out]);
  }
  return JSON.parse(fs.readFileSync(out, 'utf8')) as Reference;
}

describeIf(missing({ addon: true, python: true, sharedData: true }), 'same seed, same run as SentenceTransformerTrainer (each draws its own batches)', () => {
  const train = legalRows('train');
  const heldOut = legalRows('test').slice(0, 20);
  const probes = [...heldOut.map((r) => r.anchor), ...heldOut.map((r) => r.positive)];
  const common = { max_steps: STEPS, learning_rate: 5e-4, lr_scheduler_type: 'linear', warmup_steps: 3, max_grad_norm: 1.0, weight_decay: 0.01, logging_steps: 1, save_strategy: 'no' };
  let work = '';
  let modelDir = '';

  beforeAll(() => {
    work = tmpDir('seed-parity');
    fs.mkdirSync(cache, { recursive: true });
    modelDir = tinyStModel();
  });

  async function runCase(name: string, rows: Row[], hfArgs: Record<string, unknown>, loss: Loss, lossSpec: Record<string, unknown>): Promise<void> {
    const ref = reference(work, modelDir, rows, { ...hfArgs, loss: lossSpec }, probes);
    const dataset = Dataset.fromRecords(rows, `${name} rows`);

    // The batches sentence-transformers drew are our sampler's (the epoch it stopped in: as far as it got).
    const args = parseTrainingArguments(hfArgs);
    const columns = trainingColumns(dataset);
    const sampler = createBatchSampler(args.batchSampler, {
      texts: columns.texts, labels: columns.labels, batchSize: args.perDeviceTrainBatchSize, dropLast: args.dataloaderDropLast, seed: args.seed, dataSeed: args.dataSeed,
    });
    expect(ref.batches.length).toBeGreaterThanOrEqual(2);
    ref.batches.forEach((epoch, e) => {
      const ours = sampler.epochBatches(e).slice(0, epoch.length).map((b) => Array.from(b));
      expect({ name, epoch: e, batches: ours }).toEqual({ name, epoch: e, batches: epoch });
    });

    const model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
    const losses: number[] = [];
    const trainer = new Trainer({ model, loss, trainDataset: dataset, args: { ...hfArgs, output_dir: path.join(work, 'out') }, callbacks: { onStep: (s) => { losses.push(s.loss); } } });
    await trainer.train();

    expect(losses.length).toBe(STEPS);
    expect(ref.global_step).toBe(STEPS);
    let worst = 0, worstStep = 0;
    ref.steps.forEach((r, i) => { const d = Math.abs(losses[i] - r.loss); if (d > worst) [worst, worstStep] = [d, r.step]; });
    const mine = await model.encode(probes, { batchSize: 32 });
    const cosine = Math.min(...rowCosines(mine, Float32Array.from(ref.embeddings.flat()), probes.length, model.embeddingDim));
    console.log(`${name}: ${STEPS} steps over ${ref.batches.length} epochs, loss ${ref.steps[0].loss.toFixed(4)} -> ${ref.steps[STEPS - 1].loss.toFixed(4)}; `
      + `max |loss - ST| ${worst.toExponential(2)} (step ${worstStep}); min row cosine of trained embeddings ${cosine.toFixed(8)} over ${probes.length} texts`);
    for (const [i, r] of ref.steps.entries()) {
      if (!(Math.abs(losses[i] - r.loss) <= TOL.loss)) throw new Error(`${name}: step ${r.step} loss ${losses[i]}, ST ${r.loss}`);
    }
    expect(cosine).toBeGreaterThanOrEqual(TOL.cosine);
  }

  test('BATCH_SAMPLER (seed 3, dataloader_drop_last), MultipleNegativesRankingLoss', async () => {
    // 250 rows / 16: 15 batches per epoch (the last 10 rows dropped), so 30 steps run two differently shuffled epochs.
    const rows = train.slice(0, 250).map((r) => ({ anchor: r.anchor, positive: r.positive }));
    await runCase('BATCH_SAMPLER', rows, { ...common, seed: 3, per_device_train_batch_size: 16, dataloader_drop_last: true },
      new MultipleNegativesRankingLoss({ scale: 20 }), { name: 'MultipleNegativesRankingLoss', scale: 20 });
  }, 180_000);

  test('NO_DUPLICATES on repeated passages (seed 5, data_seed 9: neither moves this sampler), MultipleNegativesRankingLoss', async () => {
    // 200 questions over 50 passages: every passage four times, so batches defer rows.
    const rows = train.slice(300, 500).map((r, i) => ({ anchor: r.anchor, positive: train[300 + (i % 50)].positive }));
    await runCase('NO_DUPLICATES', rows, { ...common, seed: 5, data_seed: 9, per_device_train_batch_size: 16, batch_sampler: 'no_duplicates' },
      new MultipleNegativesRankingLoss({ scale: 20 }), { name: 'MultipleNegativesRankingLoss', scale: 20 });
  }, 180_000);

  test('GROUP_BY_LABEL (seed 7), BatchSemiHardTripletLoss on questions labelled by their passage', async () => {
    // Questions of the passages that have two or more, labelled by passage (some with an odd count).
    const byChunk = new Map<number, string[]>();
    for (const r of train.slice(0, 1500)) byChunk.set(r.global_chunk_id, [...(byChunk.get(r.global_chunk_id) ?? []), r.anchor]);
    const groups = [...byChunk.values()].filter((g) => g.length >= 2).slice(0, 60);
    const rows = groups.flatMap((g, label) => g.map((sentence) => ({ sentence, label })));
    // Interleave the groups as a file would have them (not sorted by label).
    rows.sort((a, b) => (a.sentence < b.sentence ? -1 : 1));
    // A higher learning rate than the other cases: the triplet loss of the untrained tiny model starts near its margin.
    await runCase('GROUP_BY_LABEL', rows, { ...common, learning_rate: 3e-3, seed: 7, per_device_train_batch_size: 16, batch_sampler: 'group_by_label' },
      new BatchSemiHardTripletLoss({ distanceMetric: 'euclidean_distance', margin: 1 }),
      { name: 'BatchSemiHardTripletLoss', distance_metric: 'euclidean_distance', margin: 1 });
  }, 180_000);
});
