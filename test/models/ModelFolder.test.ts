/**
 * Reading model folders: both sentence-transformers layouts (classic and 6.x), plain Hugging Face
 * folders, and a clear error for each kind of incomplete or unsupported folder.
 */
import * as fs from 'fs';
import * as path from 'path';
import { readModelFolder } from '../../lib/models/ModelFolder';
import { tmpDir } from '../helpers/requirements';

function folder(files: Record<string, unknown>): string {
  const dir = tmpDir('folder');
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

const BERT = { model_type: 'bert', hidden_size: 32, max_position_embeddings: 512 };
const classic = {
  'config.json': BERT, 'model.safetensors': 'x', 'tokenizer.json': '{}',
  'modules.json': [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
    { idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' },
  ],
  'sentence_bert_config.json': { max_seq_length: 256, do_lower_case: true },
  '1_Pooling/config.json': { word_embedding_dimension: 32, pooling_mode_cls_token: true, pooling_mode_mean_tokens: false },
};

describe('readModelFolder', () => {
  test('classic layout: pooling flags, Normalize, max_seq_length and do_lower_case from sentence_bert_config.json', () => {
    const info = readModelFolder(folder(classic));
    expect([info.pooling, info.normalize, info.maxSeqLength, info.doLowerCase]).toEqual(['cls', true, 256, true]);
  });

  test('6.x layout: pooling_mode, max length from tokenizer_config.json capped at the position table', () => {
    const info = readModelFolder(folder({
      ...classic,
      'modules.json': [
        { idx: 0, name: '0', path: '', type: 'sentence_transformers.base.modules.transformer.Transformer' },
        { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.sentence_transformer.modules.pooling.Pooling' },
      ],
      'sentence_bert_config.json': { transformer_task: 'feature-extraction' },
      'tokenizer_config.json': { model_max_length: 1000000000000000019884624838656 },
      '1_Pooling/config.json': { embedding_dimension: 32, pooling_mode: 'lasttoken' },
      'config_sentence_transformers.json': { similarity_fn_name: 'dot' },
    }));
    expect([info.pooling, info.normalize, info.maxSeqLength, info.similarityFunction]).toEqual(['lasttoken', false, 512, 'dot']);
  });

  test('every architecture of the engine is accepted, by model_type or by "architectures"; the text limit is the position table less its offset', () => {
    const limit = (config: Record<string, unknown>) => readModelFolder(folder({ ...classic, 'config.json': config, 'sentence_bert_config.json': {} })).maxSeqLength;
    expect(limit({ model_type: 'bert', max_position_embeddings: 512 })).toBe(512);
    expect(limit({ model_type: 'roberta', max_position_embeddings: 514 })).toBe(512);
    expect(limit({ model_type: 'xlm-roberta', max_position_embeddings: 514, pad_token_id: 1 })).toBe(512);
    expect(limit({ architectures: ['XLMRobertaModel'], max_position_embeddings: 514 })).toBe(512);
    expect(limit({ model_type: 'mpnet', max_position_embeddings: 514 })).toBe(512);
    expect(limit({ model_type: 'mpnet', max_position_embeddings: 514, pad_token_id: 0 })).toBe(512);
    expect(limit({ architectures: ['MPNetForMaskedLM'] })).toBe(510);
    expect(limit({ model_type: 'modernbert', max_position_embeddings: 8192 })).toBe(8192);
    expect(limit({ architectures: ['ModernBertModel'] })).toBe(8192);
  });

  test('a plain Hugging Face folder gets mean pooling', () => {
    const info = readModelFolder(folder({ 'config.json': BERT, 'model.safetensors': 'x', 'tokenizer.json': '{}' }));
    expect([info.pooling, info.normalize]).toEqual(['mean', false]);
  });

  test.each([
    ['no config.json', { ...classic, 'config.json': undefined }, /has no config\.json/],
    ['no weights', { ...classic, 'model.safetensors': undefined }, /has no model\.safetensors/],
    ['pickle weights only', { ...classic, 'model.safetensors': undefined, 'pytorch_model.bin': 'x' }, /only pytorch_model\.bin: embedforge reads safetensors only/],
    ['no tokenizer', { ...classic, 'tokenizer.json': undefined }, /has no tokenizer\.json/],
    ['malformed config', { ...classic, 'config.json': '{"model_type": ' }, /config\.json is not valid JSON/],
    ['unsupported module', { ...classic, 'modules.json': [...classic['modules.json'], { idx: 3, name: '3', path: '3_Dense', type: 'sentence_transformers.models.Dense' }] }, /module type "sentence_transformers\.models\.Dense" is not supported/],
    ['two pooling modes', { ...classic, '1_Pooling/config.json': { pooling_mode_cls_token: true, pooling_mode_mean_tokens: true } }, /exactly one of cls, mean, max or lasttoken.*pooling_mode_cls_token, pooling_mode_mean_tokens/],
    ['max_seq_length beyond the positions', { ...classic, 'sentence_bert_config.json': { max_seq_length: 1024 } }, /max_seq_length 1024 exceeds the 512 tokens the model's position table holds/],
  ])('%s', (_name, files, message) => {
    const present = Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined));
    expect(() => readModelFolder(folder(present))).toThrow(message as RegExp);
  });

  test('errors name the file and the key (issue 12, finding 12)', () => {
    const withModules = (modules: unknown[]) => ({ ...classic, 'modules.json': modules });
    const tr = (p: unknown) => ({ idx: 0, name: '0', path: p, type: 'sentence_transformers.models.Transformer' });
    const pool = classic['modules.json'][1];
    const check = (files: Record<string, unknown>, message: (dir: string) => string) => {
      const dir = folder(Object.fromEntries(Object.entries(files).filter(([, v]) => v !== undefined)));
      expect(() => readModelFolder(dir)).toThrow(message(dir));
    };
    check(withModules([tr('0_Transformer'), pool]),
      (d) => `${d}/modules.json: entry 0 (sentence_transformers.models.Transformer) has "path": "0_Transformer", but ${d}/0_Transformer is not a folder`);
    check(withModules([tr(''), { ...pool, path: '1_Pool' }]),
      (d) => `${d}/modules.json: entry 1 (sentence_transformers.models.Pooling) has "path": "1_Pool", but ${d}/1_Pool is not a folder`);
    check({ ...classic, '1_Pooling/config.json': undefined, '1_Pooling/other.json': {} },
      (d) => `${d}/modules.json: entry 1 (sentence_transformers.models.Pooling) has "path": "1_Pooling", but ${d}/1_Pooling/config.json does not exist`);
    check(withModules([tr(3)]), (d) => `${d}/modules.json: entry 0 ("sentence_transformers.models.Transformer"): "path" must be a string, got 3`);
    check(withModules([null]), (d) => `${d}/modules.json: entry 0 must be an object with a "type" string, got null`);
    check({ ...classic, 'config.json': { ...BERT, hidden_size: '32' } }, (d) => `${d}/config.json: "hidden_size" must be an integer >= 1, got "32"`);
    check({ ...classic, 'config.json': { ...BERT, num_attention_heads: 0 } }, (d) => `${d}/config.json: "num_attention_heads" must be an integer >= 1, got 0`);
    check({ ...classic, 'config.json': { ...BERT, layer_norm_eps: null, hidden_dropout_prob: 'x' } }, (d) => `${d}/config.json: "hidden_dropout_prob" must be a number, got "x"`);
    check({ ...classic, 'config.json': { ...BERT, num_attention_heads: 5 } }, (d) => `${d}/config.json: "hidden_size" 32 is not a multiple of "num_attention_heads" 5`);
    check({ ...classic, 'config.json': { model_type: 'gpt2' } }, (d) => `${d}/config.json: "model_type" is "gpt2"; embedforge supports BERT-family (model_type "bert"), RoBERTa (model_type "roberta"), XLM-RoBERTa (model_type "xlm-roberta"), MPNet (model_type "mpnet") and ModernBERT (model_type "modernbert")`);
    check({ ...classic, 'config.json': { architectures: ['T5EncoderModel'] } }, (d) => `${d}/config.json: "architectures" names T5EncoderModel; embedforge supports BERT-family`);
    // RoBERTa's table of 514 rows starts at pad_token_id + 1 = 2: 512 tokens fit, 513 do not.
    check({ ...classic, 'config.json': { model_type: 'roberta', max_position_embeddings: 514 }, 'sentence_bert_config.json': { max_seq_length: 513 } },
      (d) => `${d}/sentence_bert_config.json: max_seq_length 513 exceeds the 512 tokens the model's position table holds (${d}/config.json)`);
    check({ ...classic, 'config.json': { hidden_size: 32 } }, (d) => `${d}/config.json: neither "model_type" nor "architectures" is given`);
    check({ ...classic, 'config.json': [1] }, (d) => `${d}/config.json: expected a JSON object`);
    check({ ...classic, 'config.json': '{\n  "model_type": "bert",\n  "hidden_size": 32,,\n}' }, (d) => `model config: ${d}/config.json is not valid JSON (at line 3)`);
    check({ ...classic, 'sentence_bert_config.json': { max_seq_length: '256' } }, (d) => `${d}/sentence_bert_config.json: "max_seq_length" must be a positive integer, got "256"`);
    check({ ...classic, 'sentence_bert_config.json': { max_seq_length: 1024 } }, (d) => `${d}/sentence_bert_config.json: max_seq_length 1024 exceeds the 512 tokens the model's position table holds (${d}/config.json)`);
    check({ ...classic, 'config.json': undefined }, (d) => `model folder ${d} has no config.json (the Transformer's Hugging Face config): ${d}/config.json does not exist`);
  });

  test('a folder that does not exist', () => {
    expect(() => readModelFolder('/nonexistent/model')).toThrow('model folder /nonexistent/model does not exist');
  });
});
