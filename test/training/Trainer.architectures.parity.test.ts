/**
 * Every architecture beside BERT against sentence-transformers' own SentenceTransformerTrainer: a tiny random
 * RoBERTa, XLM-RoBERTa, MPNet and ModernBERT (made by transformers' classes, scripts/reference/st_models.py,
 * the real all-MiniLM-L6-v2 tokenizer, mean pooling + Normalize, dropout 0) trained 30 steps with MNRL on real
 * legal pairs in the same batch order. Per step: loss within 1e-3, learning rate and grad norm as in
 * trainerParity.ts; the trained embeddings and weights too. Interop both ways: the folder sentence-transformers
 * saved loads here with our trained model's embeddings, and the folder saved here loads in sentence-transformers
 * with the same embeddings (row cosine >= 0.99999).
 */
import * as fs from 'fs';
import * as path from 'path';
import { loadAddon } from '../../lib/binding/addon';
import { Dataset } from '../../lib/data/Dataset';
import { ARCHITECTURES } from '../../lib/models/architectures';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { readNpy, rowCosines } from '../helpers/npy';
import { describeIf, missing, runPython, tmpDir } from '../helpers/requirements';
import { type Arch, tinyStModel } from '../helpers/stModel';
import { legalRows } from '../helpers/texts';
import { compareEmbeddings, compareSteps, compareWeights, type LossSpec, ourBatchOrder, ourLoss, ours, parityCache, reference, TOL } from './trainerParity';

const ARCHS: Arch[] = ['roberta', 'xlm-roberta', 'mpnet', 'modernbert'];

describeIf(missing({ addon: true, python: true, sharedData: true }), 'every architecture trains as with SentenceTransformerTrainer', () => {
  const train = legalRows('train');
  const heldOut = legalRows('test').slice(0, 16);
  const probeTexts = [...heldOut.map((r) => r.anchor), ...heldOut.map((r) => r.positive)];
  const records = train.slice(0, 480).map((r) => ({ anchor: r.anchor, positive: r.positive }));
  const args = {
    seed: 42, logging_steps: 1, save_strategy: 'no', per_device_train_batch_size: 16, max_steps: 30, learning_rate: 5e-4,
    lr_scheduler_type: 'linear', warmup_steps: 3, max_grad_norm: 1.0, weight_decay: 0.01, batch_sampler: 'no_duplicates',
  };
  const loss: LossSpec = { name: 'MultipleNegativesRankingLoss', scale: 20 };
  let work = '';

  beforeAll(() => {
    work = tmpDir('arch-parity');
    fs.mkdirSync(parityCache, { recursive: true });
  });

  test('the model folder and the engine list the same architectures', () => {
    expect([...loadAddon().supportedModelTypes()].sort()).toEqual(ARCHITECTURES.map((a) => a.modelType).sort());
  });

  test.each(ARCHS)('%s: 30 MNRL steps, trained embeddings and weights, folders both ways', async (arch) => {
    const modelDir = tinyStModel(arch);
    expect(JSON.parse(fs.readFileSync(path.join(modelDir, 'config.json'), 'utf8')).model_type).toBe(arch);
    const dataset = Dataset.fromRecords(records, `${arch} rows`);
    const batches = ourBatchOrder(dataset, args);
    const { ref, savedDir } = reference(work, modelDir, records, batches, { ...args, loss }, probeTexts);
    const mine = await ours(work, modelDir, dataset, args, ourLoss(loss));
    compareSteps(arch, mine.steps, ref);
    await compareEmbeddings(arch, mine.model, probeTexts, ref);
    const ourDir = path.join(work, `${arch}-ours`);
    await mine.model.save(ourDir);
    compareWeights(arch, path.join(ourDir, 'model.safetensors'), path.join(savedDir, 'model.safetensors'));

    // Interop: sentence-transformers' trained folder here, and ours there.
    const trained = await mine.model.encode(probeTexts);
    const dim = mine.model.embeddingDim;
    const loaded = await SentenceTransformer.load(savedDir, { device: 'cpu' });
    const here = Math.min(...rowCosines(await loaded.encode(probeTexts), trained, probeTexts.length, dim));
    fs.writeFileSync(path.join(work, `${arch}-texts.json`), JSON.stringify(probeTexts));
    runPython('st_models.py', ['encode', '--texts', path.join(work, `${arch}-texts.json`), '--model', ourDir, '--out', path.join(work, `${arch}-ours.npy`)]);
    const there = readNpy(path.join(work, `${arch}-ours.npy`));
    const back = Math.min(...rowCosines(trained, there.data, there.rows, there.cols));
    console.log(`${arch}: ST's trained folder loaded here ${here.toFixed(8)}; our folder loaded in ST ${back.toFixed(8)} (min row cosine vs our trained model)`);
    expect(here).toBeGreaterThanOrEqual(TOL.cosine);
    expect(back).toBeGreaterThanOrEqual(0.99999);
    await loaded.dispose();
    await mine.model.dispose();
  });
});
