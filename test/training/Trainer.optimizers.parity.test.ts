/**
 * The optimizers other than AdamW at the Trainer level: SGD (with momentum, through optim_args) and
 * Adagrad against sentence-transformers' SentenceTransformerTrainer with the same `optim` and `optim_args`
 * (transformers builds torch.optim.SGD / Adagrad over its two weight-decay groups), on the same tiny random
 * BERT, rows, batch order and arguments (trainerParity.ts machinery and tolerances: step loss within 1e-3
 * absolute, grad norm within 1e-3 relative, embeddings row cosine >= 0.9999, weights within 1e-4 relative L2).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { legalRows } from '../helpers/texts';
import { compareEmbeddings, compareSteps, compareWeights, type LossSpec, ourBatchOrder, ourLoss, ours, parityCache, reference } from './trainerParity';

describeIf(missing({ addon: true, python: true, sharedData: true }), 'Trainer parity with SentenceTransformerTrainer: sgd and adagrad', () => {
  const train = legalRows('train');
  const heldOut = legalRows('test').slice(0, 16);
  const probeTexts = [...heldOut.map((r) => r.anchor), ...heldOut.map((r) => r.positive)];
  let modelDir = '';
  let work = '';
  const common = { seed: 42, logging_steps: 1, save_strategy: 'no', per_device_train_batch_size: 16, num_train_epochs: 1, max_grad_norm: 1.0, weight_decay: 0.01 };
  const loss: LossSpec = { name: 'MultipleNegativesRankingLoss', scale: 20 };

  beforeAll(() => {
    work = tmpDir('trainer-optimizers');
    fs.mkdirSync(parityCache, { recursive: true });
    modelDir = tinyStModel();
  });

  async function runCase(name: string, rows: [number, number], hfArgs: Record<string, unknown>): Promise<void> {
    const records = train.slice(...rows).map((r) => ({ anchor: r.anchor, positive: r.positive }));
    const dataset = Dataset.fromRecords(records, `${name} rows`);
    const batches = ourBatchOrder(dataset, hfArgs);
    const { ref, savedDir } = reference(work, modelDir, records, batches, { ...hfArgs, loss }, probeTexts);
    const mine = await ours(work, modelDir, dataset, hfArgs, ourLoss(loss));
    compareSteps(name, mine.steps, ref);
    await compareEmbeddings(name, mine.model, probeTexts, ref);
    const ourDir = path.join(work, `${name.replace(/\W+/g, '-')}-ours`);
    await mine.model.save(ourDir);
    compareWeights(name, path.join(ourDir, 'model.safetensors'), path.join(savedDir, 'model.safetensors'));
  }

  test('sgd with momentum 0.9 (optim_args), 40 steps of 16, linear schedule with warmup', async () => {
    await runCase('SGD', [0, 640], { ...common, optim: 'sgd', optim_args: 'momentum=0.9', learning_rate: 0.05, lr_scheduler_type: 'linear', warmup_steps: 4 });
  }, 600_000);

  test('adagrad, 40 steps of 16, constant schedule', async () => {
    await runCase('Adagrad', [640, 1280], { ...common, optim: 'adagrad', learning_rate: 1e-2, lr_scheduler_type: 'constant' });
  }, 600_000);
});
