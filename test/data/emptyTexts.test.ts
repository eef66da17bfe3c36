/**
 * Empty and blank texts are trained on as sentence-transformers does (issue 12, finding 13): the tokenizer
 * gives only the special tokens (their ids equal sentence-transformers' in TextTokenizer.test.ts's edge
 * cases), the engine embeds them to finite vectors, and a training run over data holding them completes.
 */
import * as fs from 'fs';
import { Dataset } from '../../lib/data/Dataset';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, tmpDir } from '../helpers/requirements';
import { tinySetup } from '../helpers/tinyModel';

describeIf(missing({ addon: true }), 'empty texts through the tokenizer, the engine and the Trainer', () => {
  const work = tmpDir('empty-texts');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('[CLS] [SEP] only; finite embeddings; training completes with one warning', async () => {
    const { model, dataset } = await tinySetup(work);
    const vocab = (model as unknown as { tokenizer: { vocab(): Map<string, number> } }).tokenizer.vocab();
    const [cls, sep] = [vocab.get('[CLS]')!, vocab.get('[SEP]')!];
    expect(model.tokenize(['', ' ', '\n\t']).map((ids) => Array.from(ids))).toEqual([[cls, sep], [cls, sep], [cls, sep]]);

    const embeddings = await model.encode(['', ' ', 'a real sentence']);
    const dim = model.embeddingDim;
    expect(embeddings.every(Number.isFinite)).toBe(true);
    expect(Array.from(embeddings.subarray(0, dim))).toEqual(Array.from(embeddings.subarray(dim, 2 * dim)));
    expect(Math.hypot(...embeddings.subarray(0, dim))).toBeCloseTo(1, 5); // normalized like any other text

    const rows = Array.from({ length: dataset.numRows }, (_, i) => dataset.row(i));
    const withEmpty = Dataset.fromRecords(rows.map((r, i) => (i % 5 === 0 ? { ...r, positive: '' } : r)), 'with-empty');
    const warnings: string[] = [];
    const write = process.stderr.write;
    process.stderr.write = ((chunk: string) => { warnings.push(String(chunk)); return true; }) as typeof process.stderr.write;
    let trainLoss: number;
    try {
      const trainer = new Trainer({
        model, args: { output_dir: `${work}/out`, max_steps: 3, per_device_train_batch_size: 8, save_strategy: 'no', seed: 1 },
        trainDataset: withEmpty, loss: new MultipleNegativesRankingLoss(),
      });
      trainLoss = (await trainer.train()).trainingLoss;
    } finally {
      process.stderr.write = write;
    }
    expect(Number.isFinite(trainLoss)).toBe(true);
    expect(warnings.filter((w) => w.includes('empty or blank text'))).toEqual([expect.stringContaining(`with-empty: ${Math.ceil(rows.length / 5)} empty or blank texts`)]);

    const strict = new Trainer({
      model, args: { output_dir: `${work}/out2`, max_steps: 1, per_device_train_batch_size: 8, save_strategy: 'no' },
      trainDataset: withEmpty.withEmptyTexts('error'), loss: new MultipleNegativesRankingLoss(),
    });
    await expect(strict.train()).rejects.toThrow("empty text in column 'positive' at row 0 of with-empty");
  }, 60_000);
});
