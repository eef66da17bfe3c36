/**
 * Builds the files of a BERT-style WordPiece tokenizer (tokenizer.json, tokenizer_config.json,
 * vocab.txt) over a given word list, for the built-in demo model. Whole words are vocabulary entries;
 * letters and digits (and their "##" continuations) let any other word be spelled out.
 */
import * as fs from 'fs';
import * as path from 'path';

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

export function buildVocabulary(words: Iterable<string>): string[] {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789'.split('');
  const punct = '.,?!\'"-:;()$%&/'.split('');
  const vocab = [...SPECIAL, ...punct, ...chars, ...chars.map((c) => `##${c}`)];
  const seen = new Set(vocab);
  for (const w of words) {
    const lw = w.toLowerCase();
    if (!seen.has(lw)) {
      seen.add(lw);
      vocab.push(lw);
    }
  }
  return vocab;
}

export function writeWordPieceTokenizer(dir: string, vocab: string[], maxLength: number): void {
  const id = (t: string): number => vocab.indexOf(t);
  const special = (t: string) => ({ SpecialToken: { id: t, type_id: 0 } });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map((t) => ({ id: id(t), content: t, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]'), { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((t, i) => [t, i])),
    },
  };
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
  fs.writeFileSync(path.join(dir, 'vocab.txt'), vocab.join('\n') + '\n');
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
    tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: maxLength,
    cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]',
  }, null, 2));
  fs.writeFileSync(path.join(dir, 'special_tokens_map.json'), JSON.stringify({
    cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]',
  }, null, 2));
}
