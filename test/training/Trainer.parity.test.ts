/**
 * Trainer-level parity with sentence-transformers' own SentenceTransformerTrainer (6.0.1, transformers 5.17):
 * the same initial weights (a tiny random BERT with the real all-MiniLM-L6-v2 tokenizer, dropout 0 so no
 * random masks), the same legal pairs in the same batch order (ours, handed to the reference), and the same
 * arguments give the same per-step losses, learning rates, grad norms and trained embeddings.
 *
 * Tolerances (trainerParity.ts, fp32, CPU): step loss within 1e-3 absolute, learning rate within 1e-9 relative,
 * grad norm within 1e-3 relative, trained embeddings row cosine >= 0.9999 (also for ST's saved folder loaded here),
 * and trained weights within 1e-4 relative L2 per tensor. The reference's answers are cached in test/.cache, keyed
 * by the scripts and the inputs.
 *
 * The reference's `--engine loop` (a plain PyTorch loop over sentence-transformers' losses, for the GPU machine,
 * which has neither `datasets` nor `accelerate`) is checked against `--engine trainer` here, with those two
 * packages hidden from it: per-step loss within 1e-5, in fp32 and with bf16 autocast (which accelerate applies
 * on the CPU too).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { rowCosines } from '../helpers/npy';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { legalRows } from '../helpers/texts';
import {
  compareEmbeddings, compareSteps, compareWeights, LOOP_TOL, type LossSpec, ourBatchOrder, ourLoss, ours, parityCache, reference, relative, TOL,
} from './trainerParity';

describeIf(missing({ addon: true, python: true, sharedData: true }), 'Trainer parity with SentenceTransformerTrainer', () => {
  const train = legalRows('train');
  const heldOut = legalRows('test').slice(0, 24);
  const probeTexts = [...heldOut.map((r) => r.anchor), ...heldOut.map((r) => r.positive)];
  let modelDir = '';
  let work = '';
  // Shared by every case: the arguments that are not the subject of the case.
  const common = { seed: 42, logging_steps: 1, save_strategy: 'no', adam_beta1: 0.9, adam_beta2: 0.999, adam_epsilon: 1e-8 };

  beforeAll(() => {
    work = tmpDir('trainer-parity');
    fs.mkdirSync(parityCache, { recursive: true });
    modelDir = tinyStModel();
  });

  async function runCase(name: string, records: Record<string, string>[], hfArgs: Record<string, unknown>, loss: LossSpec): Promise<void> {
    const dataset = Dataset.fromRecords(records, `${name} rows`);
    const batches = ourBatchOrder(dataset, hfArgs);
    const { ref, savedDir } = reference(work, modelDir, records, batches, { ...hfArgs, loss }, probeTexts);
    const mine = await ours(work, modelDir, dataset, hfArgs, ourLoss(loss));
    compareSteps(name, mine.steps, ref);
    await compareEmbeddings(name, mine.model, probeTexts, ref);
    // The folder sentence-transformers saved after training loads here with the embeddings of our trained model.
    const loaded = await SentenceTransformer.load(savedDir, { device: 'cpu' });
    const worst = Math.min(...rowCosines(await loaded.encode(probeTexts), await mine.model.encode(probeTexts), probeTexts.length, loaded.embeddingDim));
    console.log(`${name}: ST's saved trained folder loaded here vs our trained model: min row cosine ${worst.toFixed(8)}`);
    expect(worst).toBeGreaterThanOrEqual(TOL.cosine);
    const ourDir = path.join(work, `${name.replace(/\W+/g, '-')}-ours`);
    await mine.model.save(ourDir);
    compareWeights(name, path.join(ourDir, 'model.safetensors'), path.join(savedDir, 'model.safetensors'));
  }

  const pairs = (from: number, to: number): Record<string, string>[] => train.slice(from, to).map((r) => ({ anchor: r.anchor, positive: r.positive }));

  test('MNRL, 200 steps of 16, linear schedule with warmup, clipping, weight decay, NO_DUPLICATES', async () => {
    await runCase('MNRL', pairs(0, 3200), {
      ...common, per_device_train_batch_size: 16, num_train_epochs: 1, gradient_accumulation_steps: 1, learning_rate: 5e-4,
      lr_scheduler_type: 'linear', warmup_steps: 20, max_grad_norm: 1.0, weight_decay: 0.01, batch_sampler: 'no_duplicates',
    }, { name: 'MultipleNegativesRankingLoss', scale: 20 });
  });

  // 1000 rows / 16 = 63 batches per epoch: 15 groups of 4 and a last group of 3.
  const matryoshka = {
    rows: () => pairs(3200, 4200),
    args: {
      ...common, per_device_train_batch_size: 16, num_train_epochs: 2, gradient_accumulation_steps: 4, learning_rate: 5e-4,
      lr_scheduler_type: 'cosine', warmup_ratio: 0.1, max_grad_norm: 1.0, weight_decay: 0.01,
    },
    loss: { name: 'MultipleNegativesRankingLoss', scale: 20, matryoshka_dims: [64, 32, 16] } as LossSpec,
  };

  test('MatryoshkaLoss(MNRL, [64, 32, 16]), accumulation 4 with a partial last group, cosine schedule, 2 epochs', async () => {
    await runCase('Matryoshka', matryoshka.rows(), matryoshka.args, matryoshka.loss);
  });

  // bf16 too: on the CPU, accelerate's bf16 autocast runs as on CUDA, so the loop's autocast wrapper is checked here.
  test('the reference\'s --engine loop, without datasets and accelerate, gives --engine trainer\'s steps (Matryoshka, accumulation; fp32 and bf16)', () => {
    const records = matryoshka.rows();
    const batches = ourBatchOrder(Dataset.fromRecords(records, 'Matryoshka rows'), matryoshka.args);
    for (const precision of [{}, { bf16: true }]) {
      const name = `--engine loop vs --engine trainer, ${'bf16' in precision ? 'bf16 autocast' : 'fp32'}`;
      const argsWithLoss = { ...matryoshka.args, ...precision, loss: matryoshka.loss };
      const { ref: trainer } = reference(work, modelDir, records, batches, argsWithLoss, probeTexts, 'trainer');
      const { ref: loop } = reference(work, modelDir, records, batches, argsWithLoss, probeTexts, 'loop');
      expect(loop.engine).toBe('loop');
      expect(loop.imported).toEqual({ datasets: false, accelerate: false });
      expect(loop.global_step).toBe(trainer.global_step);
      expect(loop.steps.map((s) => s.group_size)).toEqual(trainer.steps.map((s) => s.group_size));
      let lossDiff = 0, gradRel = 0, lrRel = 0, epochDiff = 0;
      trainer.steps.forEach((t, i) => {
        const l = loop.steps[i];
        lossDiff = Math.max(lossDiff, Math.abs(l.loss - t.loss));
        gradRel = Math.max(gradRel, relative(l.grad_norm, t.grad_norm));
        lrRel = Math.max(lrRel, relative(l.learning_rate, t.learning_rate));
        epochDiff = Math.max(epochDiff, Math.abs(l.epoch - t.epoch));
        if (!(Math.abs(l.loss - t.loss) <= LOOP_TOL.loss)) throw new Error(`${name}: step ${t.step}: loop loss ${l.loss}, trainer ${t.loss}`);
      });
      const dim = loop.embeddings[0].length;
      const cos = Math.min(...rowCosines(Float32Array.from(loop.embeddings.flat()), Float32Array.from(trainer.embeddings.flat()), probeTexts.length, dim));
      console.log(`${name}: ${trainer.steps.length} steps, loss ${trainer.steps[0].loss.toFixed(4)} -> ${trainer.steps[trainer.steps.length - 1].loss.toFixed(4)}; `
        + `max |loss diff| ${lossDiff.toExponential(2)}, max grad-norm rel diff ${gradRel.toExponential(2)}, max lr rel diff ${lrRel.toExponential(2)}, `
        + `min row cosine of trained embeddings ${cos.toFixed(8)}`);
      expect(gradRel).toBeLessThanOrEqual(LOOP_TOL.gradNormRelative);
      expect(lrRel).toBeLessThanOrEqual(TOL.lrRelative);
      expect(epochDiff).toBeLessThanOrEqual(1e-12);
      expect(cos).toBeGreaterThanOrEqual(LOOP_TOL.cosine);
    }
  });

  test('MultipleNegativesSymmetricRankingLoss, stopped by max_steps part-way through the epoch, strong weight decay', async () => {
    // weight_decay 0.5 makes a wrong decay (rate, or which parameters) visible in the trained weights.
    await runCase('MNSRL', pairs(4200, 4680), {
      ...common, per_device_train_batch_size: 16, max_steps: 25, learning_rate: 5e-4, lr_scheduler_type: 'linear',
      warmup_steps: 5, max_grad_norm: 1.0, weight_decay: 0.5, batch_sampler: 'no_duplicates',
    }, { name: 'MultipleNegativesSymmetricRankingLoss', scale: 20 });
  });

  test('NO_DUPLICATES running out of batches (drop_last, accumulation 4): a short last group waits for the next step, as HF does', async () => {
    // 40 distinct passages over 240 rows: a batch of 16 never holds a passage twice, so the sampler runs out
    // before its nominal 15 batches and the epoch's last accumulation group comes up short.
    const rows = train.slice(5200, 5440).map((r, i) => ({ anchor: r.anchor, positive: train[5200 + (i % 40)].positive }));
    const args = {
      ...common, per_device_train_batch_size: 16, num_train_epochs: 3, gradient_accumulation_steps: 4, learning_rate: 5e-4,
      lr_scheduler_type: 'linear', warmup_steps: 2, max_grad_norm: 1.0, weight_decay: 0.01, batch_sampler: 'no_duplicates',
      dataloader_drop_last: true,
    };
    const epochs = ourBatchOrder(Dataset.fromRecords(rows, 'duplicate-heavy rows'), args);
    const nominal = Math.floor(rows.length / 16);
    console.log(`duplicate-heavy: batches per epoch ${epochs.map((e) => e.length).join(', ')} of a nominal ${nominal}`);
    expect(epochs.some((e) => e.length < nominal && e.length % 4 !== 0)).toBe(true);
    await runCase('NO_DUPLICATES short epochs', rows, args, { name: 'MultipleNegativesRankingLoss', scale: 20 });
  });

  test('MNRL with a hard-negative column, constant schedule, no clipping', async () => {
    // Negatives: positives of rows outside the slice; NO_DUPLICATES keeps a text shared by two rows out of one batch.
    const rows = train.slice(4680, 5160).map((r, i) => ({ anchor: r.anchor, positive: r.positive, negative: train[5160 + i].positive }));
    await runCase('MNRL + hard negatives', rows, {
      ...common, per_device_train_batch_size: 16, num_train_epochs: 1, learning_rate: 3e-4, lr_scheduler_type: 'constant',
      max_grad_norm: 0, weight_decay: 0.0, batch_sampler: 'no_duplicates',
    }, { name: 'MultipleNegativesRankingLoss', scale: 20 });
  });
});
