/**
 * The machinery of the Trainer-level parity tests: runs sentence-transformers' own SentenceTransformerTrainer
 * (scripts/reference/st_trainer_reference.py, cached in test/.cache keyed by the scripts and inputs) and our
 * Trainer on the same weights, rows, batch order and arguments, and compares them step by step.
 *
 * Tolerances (fp32, CPU): step loss within 1e-3 absolute, learning rate within 1e-9 relative, grad norm
 * within 1e-3 relative, trained embeddings row cosine >= 0.9999, and trained weights within 1e-4 relative L2
 * per tensor.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { createBatchSampler } from '../../lib/data/samplers';
import { Dataset } from '../../lib/data/Dataset';
import { trainingColumns } from '../../lib/data/inputColumns';
import type { Loss } from '../../lib/losses/Loss';
import { MatryoshkaLoss } from '../../lib/losses/MatryoshkaLoss';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { MultipleNegativesSymmetricRankingLoss } from '../../lib/losses/MultipleNegativesSymmetricRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { parseTrainingArguments } from '../../lib/training/TrainingArguments';
import { planTraining } from '../../lib/training/trainingSteps';
import { isKeyBias } from '../engine/encoderParity';
import { readSafetensors } from '../engine/safetensors';
import { rowCosines } from '../helpers/npy';
import { cacheDir, repoRoot, runPython } from '../helpers/requirements';

export const TOL = { loss: 1e-3, lrRelative: 1e-9, gradNormRelative: 1e-3, cosine: 0.9999, weightsRelative: 1e-4 };
/** --engine loop against --engine trainer: the same computation in the same order, so agreement to rounding. */
export const LOOP_TOL = { loss: 1e-5, gradNormRelative: 1e-5, cosine: 0.99999 };

/** What st_trainer_reference.py reads as --args: the loss spec plus training arguments by their HF names. */
export interface LossSpec { name: 'MultipleNegativesRankingLoss' | 'MultipleNegativesSymmetricRankingLoss'; scale: number; matryoshka_dims?: number[]; matryoshka_weights?: number[] }

export interface ReferenceStep { step: number; loss: number; group_size: number; learning_rate: number; grad_norm: number; epoch: number }
export interface Reference {
  steps: ReferenceStep[]; global_step: number; train_loss: number; embeddings: number[][];
  engine: 'trainer' | 'loop'; imported: Record<'datasets' | 'accelerate', boolean>;
}
export type Engine = Reference['engine'];

export interface OurStep { loss: number; learningRate: number; gradNorm: number; epoch: number }

/** A large model (BERT-large with EMBEDFORGE_FULL_TESTS) on a loaded 2-core machine takes minutes a side. */
const REFERENCE_TIMEOUT_MS = 1_800_000;

export const parityCache = path.join(cacheDir, 'trainer-parity');
const sha = (...parts: string[]): string => parts.reduce((h, p) => h.update(p).update('\0'), createHash('sha256')).digest('hex').slice(0, 16);
const scriptText = (name: string): string => fs.readFileSync(path.join(repoRoot, 'scripts', 'reference', name), 'utf8');

export function ourLoss(spec: LossSpec): Loss {
  const inner = spec.name === 'MultipleNegativesSymmetricRankingLoss'
    ? new MultipleNegativesSymmetricRankingLoss({ scale: spec.scale }) : new MultipleNegativesRankingLoss({ scale: spec.scale });
  return spec.matryoshka_dims ? new MatryoshkaLoss(inner, { matryoshkaDims: spec.matryoshka_dims, matryoshkaWeights: spec.matryoshka_weights }) : inner;
}

/** Every epoch's batches exactly as our Trainer draws them (same sampler, same texts, same plan). */
export function ourBatchOrder(dataset: Dataset, hfArgs: Record<string, unknown>): number[][][] {
  const args = parseTrainingArguments(hfArgs);
  const sampler = createBatchSampler(args.batchSampler, {
    texts: trainingColumns(dataset).texts, batchSize: args.perDeviceTrainBatchSize, dropLast: args.dataloaderDropLast, seed: args.seed, dataSeed: args.dataSeed,
  });
  const plan = planTraining({
    batchesPerEpoch: sampler.batchesPerEpoch(), gradientAccumulationSteps: args.gradientAccumulationSteps,
    numTrainEpochs: args.numTrainEpochs, maxSteps: args.maxSteps,
  });
  return Array.from({ length: plan.numTrainEpochs }, (_, e) => sampler.epochBatches(e).map((b) => Array.from(b)));
}

/**
 * st_trainer_reference.py on these inputs (cached): its per-step record, and the folder of its trained model.
 * The loop engine runs with `datasets` and `accelerate` hidden, as on the GPU machine.
 */
export function reference(work: string, modelDir: string, records: Record<string, string>[], batches: number[][][], argsWithLoss: Record<string, unknown>, texts: string[],
  engine: Engine = 'trainer'): { ref: Reference; savedDir: string } {
  const pairs = records.map((r) => JSON.stringify(r)).join('\n') + '\n';
  const inputs = [JSON.stringify(batches), JSON.stringify(argsWithLoss), JSON.stringify(texts)];
  const scripts = engine === 'loop' ? ['st_trainer_reference.py', 'st_training_loop.py', 'without_packages.py'] : ['st_trainer_reference.py'];
  const key = sha(...scripts.map(scriptText), engine, modelDir, pairs, ...inputs);
  const out = path.join(parityCache, `reference-${key}.json`);
  const savedDir = path.join(parityCache, `reference-${key}-model`);
  if (!fs.existsSync(out) || !fs.existsSync(path.join(savedDir, 'model.safetensors'))) {
    const files = ['pairs.jsonl', 'batches.json', 'args.json', 'texts.json'].map((f) => path.join(work, `${key}-${f}`));
    [pairs, ...inputs].forEach((text, i) => fs.writeFileSync(files[i], text));
    fs.rmSync(savedDir, { recursive: true, force: true });
    const args = ['--engine', engine, '--model', modelDir, '--pairs', files[0], '--batches', files[1], '--args', files[2],
      // One torch thread: on the shared 2-core machine more threads spin against each other (~30x slower).
      '--encode', files[3], '--device', 'cpu', '--threads', '1', '--out', out, '--save', savedDir];
    if (engine === 'loop') {
      runPython('without_packages.py', ['datasets,accelerate', path.join(repoRoot, 'scripts', 'reference', 'st_trainer_reference.py'), ...args], REFERENCE_TIMEOUT_MS);
    } else {
      runPython('st_trainer_reference.py', args, REFERENCE_TIMEOUT_MS);
    }
  }
  return { ref: JSON.parse(fs.readFileSync(out, 'utf8')) as Reference, savedDir };
}

/** Our Trainer on a fresh copy of the same weights; per-step loss, learning rate, grad norm and epoch. */
export async function ours(work: string, modelDir: string, dataset: Dataset, hfArgs: Record<string, unknown>, loss: Loss): Promise<{ steps: OurStep[]; model: SentenceTransformer }> {
  const model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
  const steps: OurStep[] = [];
  const trainer = new Trainer({
    model, loss, trainDataset: dataset, args: { ...hfArgs, output_dir: path.join(work, 'out') },
    callbacks: {
      onStep: (s) => { steps.push({ loss: s.loss, learningRate: s.learningRate, epoch: s.epoch, gradNorm: NaN }); },
      // logging_steps 1: every step logs its grad norm (the final summary has none).
      onLog: (r) => { if (typeof r.grad_norm === 'number') steps[(r.step as number) - 1].gradNorm = r.grad_norm; },
    },
  });
  await trainer.train();
  return { steps, model };
}

export function relative(a: number, b: number): number {
  return a === b ? 0 : Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
}

/** Compares both runs step by step, prints the figures, and asserts the tolerances. */
export function compareSteps(name: string, mine: OurStep[], ref: Reference): void {
  expect(mine.length).toBe(ref.steps.length);
  expect(ref.global_step).toBe(ref.steps.length);
  let lossDiff = 0, lrRel = 0, gradRel = 0, epochDiff = 0, worstStep = 0;
  ref.steps.forEach((r, i) => {
    const d = Math.abs(mine[i].loss - r.loss);
    if (d > lossDiff) [lossDiff, worstStep] = [d, r.step];
    lrRel = Math.max(lrRel, relative(mine[i].learningRate, r.learning_rate));
    gradRel = Math.max(gradRel, relative(mine[i].gradNorm, r.grad_norm));
    epochDiff = Math.max(epochDiff, Math.abs(mine[i].epoch - r.epoch));
  });
  const groups = ref.steps.map((s) => s.group_size);
  console.log(`${name}: ${ref.steps.length} steps (accumulation groups of ${[...new Set(groups)].join('/')} batches); `
    + `loss ${ref.steps[0].loss.toFixed(4)} -> ${ref.steps[ref.steps.length - 1].loss.toFixed(4)}; max |loss - ST| ${lossDiff.toExponential(2)} (step ${worstStep}); `
    + `max lr rel diff ${lrRel.toExponential(2)}; max grad-norm rel diff ${gradRel.toExponential(2)}; max epoch diff ${epochDiff.toExponential(2)}`);
  for (const [i, r] of ref.steps.entries()) {
    // Checked per step so that a failure names the step where the trajectories part.
    if (!(Math.abs(mine[i].loss - r.loss) <= TOL.loss)) throw new Error(`${name}: step ${r.step} loss ${mine[i].loss}, ST ${r.loss}`);
    if (!(relative(mine[i].learningRate, r.learning_rate) <= TOL.lrRelative)) throw new Error(`${name}: step ${r.step} learning rate ${mine[i].learningRate}, ST ${r.learning_rate}`);
    if (!(relative(mine[i].gradNorm, r.grad_norm) <= TOL.gradNormRelative)) throw new Error(`${name}: step ${r.step} grad norm ${mine[i].gradNorm}, ST ${r.grad_norm}`);
  }
  // TrainerState.epoch after each step: the same formula on both sides, so equal to rounding.
  expect(epochDiff).toBeLessThanOrEqual(1e-12);
}

export async function compareEmbeddings(name: string, model: SentenceTransformer, texts: string[], ref: Reference): Promise<void> {
  const dim = model.embeddingDim;
  const mine = await model.encode(texts, { batchSize: 32 });
  expect(ref.embeddings.length).toBe(texts.length);
  const worst = Math.min(...rowCosines(mine, Float32Array.from(ref.embeddings.flat()), texts.length, dim));
  console.log(`${name}: min row cosine of trained embeddings vs ST's trained model ${worst.toFixed(8)} over ${texts.length} texts`);
  expect(worst).toBeGreaterThanOrEqual(TOL.cosine);
}

/**
 * Trained weights, tensor by tensor: relative L2 error |ours - ST| / |ST|. An addition to the checks,
 * because weight decay barely moves the loss (LayerNorm makes the model nearly blind to uniform shrinking):
 * matched runs agree within 2e-5, while weight_decay off by 10% gives 3e-4 in the weight_decay 0.5 case.
 */
export function compareWeights(name: string, oursFile: string, stFile: string): void {
  const mine = readSafetensors(oursFile);
  const st = readSafetensors(stFile);
  expect(Object.keys(mine).sort()).toEqual(Object.keys(st).sort());
  let worst = 0, worstName = '';
  for (const [key, t] of Object.entries(st)) {
    // The key bias adds q·b to every score of a softmax row, so its true gradient is zero: it gets only
    // rounding noise, which Adam scales up to full-size steps, differently in each engine.
    if (isKeyBias(key)) continue;
    const x = mine[key].data as Float32Array, y = t.data as Float32Array;
    let d = 0, n = 0;
    for (let i = 0; i < y.length; i++) { d += (x[i] - y[i]) ** 2; n += y[i] ** 2; }
    const rel = Math.sqrt(d / n);
    if (rel > worst) [worst, worstName] = [rel, key];
  }
  console.log(`${name}: trained weights, max relative L2 error over tensors ${worst.toExponential(2)} (${worstName})`);
  expect(worst).toBeLessThanOrEqual(TOL.weightsRelative);
}

