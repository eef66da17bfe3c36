/**
 * Fine-tuning works on real data: a small random BERT with the real all-MiniLM-L6-v2 tokenizer,
 * trained one epoch with MultipleNegativesRankingLoss on ../shared/data/legal-anchor-positive, retrieves
 * clearly better on the test split than untrained (queries = test anchors, corpus = train + test
 * positives, as the tutorials evaluate).
 */
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { InformationRetrievalEvaluator } from '../../lib/evaluation/InformationRetrievalEvaluator';
import { MultipleNegativesRankingLoss } from '../../lib/losses/MultipleNegativesRankingLoss';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { Trainer } from '../../lib/training/Trainer';
import { describeIf, missing, sharedData, tmpDir } from '../helpers/requirements';
import { legalRows } from '../helpers/texts';
import { tinyConfig } from '../helpers/tinyModel';

describeIf(missing({ addon: true, sharedData: true }), 'fine-tuning on the legal anchor/positive data', () => {
  test('NDCG@10 on the test split rises clearly above the untrained model', async () => {
    const work = tmpDir('legal');
    const train = legalRows('train');
    const test = legalRows('test');
    const model = await SentenceTransformer.create({
      config: { ...tinyConfig(30522), hidden_size: 64, intermediate_size: 128, max_position_embeddings: 512 },
      tokenizerDir: path.join(sharedData, 'models', 'all-MiniLM-L6-v2'),
      pooling: 'mean', normalize: true, maxSeqLength: 96, seed: 0, device: 'cpu',
    });
    const evaluator = InformationRetrievalEvaluator.fromPairs(test, { corpusRows: train, name: 'legal', writeCsv: false, batchSize: 64 });
    const before = await evaluator.evaluate(model);
    const trainer = new Trainer({
      model, loss: new MultipleNegativesRankingLoss(),
      trainDataset: Dataset.fromRecords(train.map((r) => ({ anchor: r.anchor, positive: r.positive })), 'legal train'),
      args: {
        output_dir: path.join(work, 'out'), num_train_epochs: 1, per_device_train_batch_size: 32, learning_rate: 1e-3,
        warmup_ratio: 0.1, lr_scheduler_type: 'linear', batch_sampler: 'no_duplicates', save_strategy: 'no', logging_steps: 50, seed: 42,
      },
    });
    const out = await trainer.train();
    const after = await evaluator.evaluate(model);
    const key = 'legal_cosine_ndcg@10';
    console.log(`legal: ${out.globalStep} steps in ${out.metrics.train_runtime}s; ${key} ${before[key].toFixed(4)} -> ${after[key].toFixed(4)}; legal_cosine_mrr@10 ${before['legal_cosine_mrr@10'].toFixed(4)} -> ${after['legal_cosine_mrr@10'].toFixed(4)}`);
    expect(after[key]).toBeGreaterThan(before[key] + 0.1);
    expect(after[key]).toBeGreaterThan(2 * before[key]);
  });
});
