/**
 * The module configs of a saved folder, in the classic sentence-transformers layout, which every
 * sentence-transformers release from 2.x to 6.x loads: modules.json, sentence_bert_config.json,
 * 1_Pooling/config.json, 2_Normalize/, config_sentence_transformers.json.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { PoolingMode, SimilarityFunction } from '../binding/AddonTypes';
import { packageVersion } from './packageVersion';

export interface FolderConfigs {
  embeddingDim: number;
  pooling: PoolingMode;
  normalize: boolean;
  maxSeqLength: number;
  doLowerCase: boolean;
  similarityFunction: SimilarityFunction;
  /** config_sentence_transformers.json of the loaded model, whose prompts are kept. */
  previous: Record<string, unknown>;
}

const json = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

export function writeModelFolderConfigs(dir: string, c: FolderConfigs): void {
  const modules = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  if (c.normalize) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
  fs.writeFileSync(path.join(dir, 'modules.json'), json(modules));
  fs.writeFileSync(path.join(dir, 'sentence_bert_config.json'), json({ max_seq_length: c.maxSeqLength, do_lower_case: c.doLowerCase }));
  fs.mkdirSync(path.join(dir, '1_Pooling'), { recursive: true });
  fs.writeFileSync(path.join(dir, '1_Pooling', 'config.json'), json({
    word_embedding_dimension: c.embeddingDim,
    pooling_mode_cls_token: c.pooling === 'cls',
    pooling_mode_mean_tokens: c.pooling === 'mean',
    pooling_mode_max_tokens: c.pooling === 'max',
    pooling_mode_mean_sqrt_len_tokens: false,
    pooling_mode_weightedmean_tokens: false,
    pooling_mode_lasttoken: c.pooling === 'lasttoken',
    include_prompt: true,
  }));
  if (c.normalize) fs.mkdirSync(path.join(dir, '2_Normalize'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'config_sentence_transformers.json'), json({
    __version__: { embedforge: packageVersion() },
    model_type: 'SentenceTransformer',
    prompts: c.previous.prompts ?? {},
    default_prompt_name: c.previous.default_prompt_name ?? null,
    similarity_fn_name: c.similarityFunction,
  }));
}
