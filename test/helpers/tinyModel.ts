/**
 * A tiny model and data the tests make themselves, no shared files needed: the demo's synthetic
 * retrieval pairs and its WordPiece tokenizer, and a 2-layer BERT with random weights.
 */
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { syntheticRetrievalPairs, syntheticVocabularyWords } from '../../lib/demo/syntheticRetrievalData';
import { buildVocabulary, writeWordPieceTokenizer } from '../../lib/demo/wordPieceTokenizer';
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';

export function tinyConfig(vocabSize: number, dropout = 0.1): Record<string, unknown> {
  return {
    architectures: ['BertModel'], model_type: 'bert', vocab_size: vocabSize, hidden_size: 32, num_hidden_layers: 2,
    num_attention_heads: 4, intermediate_size: 64, hidden_act: 'gelu', hidden_dropout_prob: dropout,
    attention_probs_dropout_prob: dropout, max_position_embeddings: 64, type_vocab_size: 2, initializer_range: 0.02,
    layer_norm_eps: 1e-12, pad_token_id: 0, position_embedding_type: 'absolute',
  };
}

export async function tinySetup(workDir: string, options: { numCompanies?: number; dropout?: number; seed?: number } = {}): Promise<{
  model: SentenceTransformer; dataset: Dataset; tokenizerDir: string; config: Record<string, unknown>;
}> {
  const pairs = syntheticRetrievalPairs(options.numCompanies ?? 30, 3);
  const tokenizerDir = path.join(workDir, 'tokenizer');
  const vocab = buildVocabulary(syntheticVocabularyWords(pairs));
  writeWordPieceTokenizer(tokenizerDir, vocab, 64);
  const config = tinyConfig(vocab.length, options.dropout ?? 0.1);
  const model = await SentenceTransformer.create({
    config, tokenizerDir, pooling: 'mean', normalize: true, maxSeqLength: 64, seed: options.seed ?? 0, device: 'cpu',
  });
  const dataset = Dataset.fromRecords(pairs.map((p) => ({ anchor: p.anchor, positive: p.positive })), 'synthetic pairs');
  return { model, dataset, tokenizerDir, config };
}
