/**
 * BERT-large shapes (UAE-Large-V1 and bge-large in tutorial 004: hidden 1024, 16 heads of 64, intermediate 4096,
 * the bge vocabulary, CLS pooling + Normalize) as sentence-transformers makes them: the same embeddings (row
 * cosine >= 0.99999) and the same first training steps (trainerParity.ts' tolerances). Two layers in CI; all 24
 * with EMBEDFORGE_FULL_TESTS=1 (1.3 GB of weights, minutes on this machine).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readNpy, rowCosines } from '../helpers/npy';
import { cacheDir, describeIf, missing, runPython, sharedData, tmpDir } from '../helpers/requirements';
import { legalRows, sampleTexts } from '../helpers/texts';
import { compareSteps, type LossSpec, ourBatchOrder, ourLoss, ours, reference } from './trainerParity';

const LAYERS = process.env.EMBEDFORGE_FULL_TESTS === '1' ? 24 : 2;

describeIf(missing({ addon: true, python: true, sharedData: true }), `BERT-large shapes (${LAYERS} layers)`, () => {
  const work = tmpDir('bert-large');
  const modelDir = path.join(work, 'model');

  beforeAll(() => {
    fs.mkdirSync(path.join(cacheDir, 'trainer-parity'), { recursive: true });
    runPython('st_models.py', ['make', '--tokenizer', path.join(sharedData, 'models', 'bge-base-en-v1.5'), '--pooling', 'cls', '--normalize',
      '--hidden', '1024', '--heads', '16', '--intermediate', '4096', '--layers', String(LAYERS), '--max-seq-length', '128', '--dropout', '0',
      '--seed', '3', '--out', modelDir]);
  });

  test('embeddings match sentence-transformers', async () => {
    const texts = sampleTexts(24);
    fs.writeFileSync(path.join(work, 'texts.json'), JSON.stringify(texts));
    runPython('st_models.py', ['encode', '--texts', path.join(work, 'texts.json'), '--model', modelDir, '--out', path.join(work, 'st.npy')]);
    const model = await SentenceTransformer.load(modelDir, { device: 'cpu' });
    expect(model.embeddingDim).toBe(1024);
    const ref = readNpy(path.join(work, 'st.npy'));
    const worst = Math.min(...rowCosines(await model.encode(texts, { batchSize: 8 }), ref.data, ref.rows, ref.cols));
    console.log(`BERT-large shapes, ${LAYERS} layers: min row cosine vs sentence-transformers ${worst.toFixed(9)} over ${texts.length} texts`);
    expect(worst).toBeGreaterThanOrEqual(0.99999);
    await model.dispose();
  });

  test('the first MNRL steps match SentenceTransformerTrainer', async () => {
    const records = legalRows('train').slice(0, 64).map((r) => ({ anchor: r.anchor, positive: r.positive }));
    const args = {
      seed: 42, logging_steps: 1, save_strategy: 'no', per_device_train_batch_size: 8, max_steps: 4, learning_rate: 2e-5,
      lr_scheduler_type: 'linear', warmup_steps: 1, max_grad_norm: 1.0, weight_decay: 0.01,
    };
    const loss: LossSpec = { name: 'MultipleNegativesRankingLoss', scale: 20 };
    const dataset = Dataset.fromRecords(records, 'legal rows');
    const { ref } = reference(work, modelDir, records, ourBatchOrder(dataset, args), { ...args, loss }, []);
    const mine = await ours(work, modelDir, dataset, args, ourLoss(loss));
    compareSteps(`BERT-large shapes, ${LAYERS} layers`, mine.steps, ref);
    await mine.model.dispose();
  });
});
