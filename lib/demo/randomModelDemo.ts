/**
 * The built-in demo when the real all-MiniLM-L6-v2 is not installed: it makes a small BERT model (random
 * weights, a WordPiece tokenizer over the data's words) and a synthetic (question, passage) dataset,
 * then fine-tunes exactly as the Matryoshka tutorial does (MNRL inside MatryoshkaLoss, NO_DUPLICATES
 * batches, cosine schedule with warmup, evaluation each epoch, best model by dim_32 NDCG@10) and
 * prints the retrieval metrics before and after.
 */
import * as fs from 'fs';
import * as path from 'path';
import { SentenceTransformer } from '../models/SentenceTransformer';
import { runTrainJob, type TrainJobResult } from '../cli/trainJob';
import { validateTrainConfig } from '../cli/trainConfig';
import { syntheticRetrievalPairs, syntheticVocabularyWords } from './syntheticRetrievalData';
import type { DemoOptions } from './runDemo';
import { buildVocabulary, writeWordPieceTokenizer } from './wordPieceTokenizer';

const MAX_LENGTH = 64;

export async function runRandomModelDemo(o: DemoOptions): Promise<TrainJobResult> {
  const workDir = path.resolve(o.workDir);
  const pairs = syntheticRetrievalPairs();
  const dataFile = path.join(workDir, 'data', 'pairs.jsonl');
  fs.mkdirSync(path.dirname(dataFile), { recursive: true });
  fs.writeFileSync(dataFile, pairs.map((p) => JSON.stringify(p)).join('\n') + '\n');

  const tokDir = path.join(workDir, 'tokenizer');
  const vocab = buildVocabulary(syntheticVocabularyWords(pairs));
  writeWordPieceTokenizer(tokDir, vocab, MAX_LENGTH);
  const config = {
    architectures: ['BertModel'], model_type: 'bert', vocab_size: vocab.length, hidden_size: 64, num_hidden_layers: 2,
    num_attention_heads: 4, intermediate_size: 256, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1,
    max_position_embeddings: MAX_LENGTH, type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
    position_embedding_type: 'absolute',
  };
  const baseDir = path.join(workDir, 'base-model');
  const model = await SentenceTransformer.create({
    config, tokenizerDir: tokDir, pooling: 'mean', normalize: true, maxSeqLength: MAX_LENGTH, seed: 0, device: o.device,
  });
  await model.save(baseDir);
  const say = o.log ?? ((line: string) => process.stderr.write(line + '\n'));
  say(`demo: ${pairs.length} synthetic (question, passage) pairs in ${dataFile}; a random ${config.num_hidden_layers}-layer BERT (hidden ${config.hidden_size}) in ${baseDir}`);

  const dims = [64, 32, 16];
  const trainConfig = validateTrainConfig({
    model: baseDir,
    train_data: { path: dataFile, columns: ['anchor', 'positive'], test_size: 0.1, seed: 42 },
    loss: { name: 'MatryoshkaLoss', loss: 'MultipleNegativesRankingLoss', matryoshka_dims: dims },
    evaluator: { matryoshka_dims: dims },
    args: {
      output_dir: path.join(workDir, 'output'), num_train_epochs: o.epochs ?? 4, max_steps: o.maxSteps ?? -1, per_device_train_batch_size: 64,
      learning_rate: 1e-3, warmup_ratio: 0.1, lr_scheduler_type: 'cosine', weight_decay: 0.01,
      batch_sampler: 'no_duplicates', eval_strategy: 'epoch', save_strategy: 'epoch', save_total_limit: 2,
      load_best_model_at_end: true, metric_for_best_model: 'eval_dim_32_cosine_ndcg@10', logging_steps: 10, seed: o.seed ?? 42,
      bf16: true, tf32: true,
    },
  }, 'built-in demo');
  try {
    return await runTrainJob(trainConfig, workDir, { json: o.json, model, log: o.log });
  } finally {
    await model.dispose(); // the demo made this model: its native memory goes now
  }
}
