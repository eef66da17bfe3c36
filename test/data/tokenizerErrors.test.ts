/**
 * A malformed tokenizer.json is named in the error with the key the tokenizer library missed (issue 12,
 * finding 12); before, the library's message ('Tokenizer must contain a "model" property') named no file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { TextTokenizer } from '../../lib/data/TextTokenizer';
import { tmpDir } from '../helpers/requirements';

const dir = tmpDir('tokenizer-errors');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const WORDPIECE = { type: 'WordPiece', vocab: { '[UNK]': 0, '[CLS]': 1, '[SEP]': 2, a: 3 }, unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100 };

function folderWith(name: string, tokenizerJson: unknown): string {
  const folder = path.join(dir, name);
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'tokenizer.json'), typeof tokenizerJson === 'string' ? tokenizerJson : JSON.stringify(tokenizerJson));
  fs.writeFileSync(path.join(folder, 'sentence_bert_config.json'), JSON.stringify({ max_seq_length: 16 }));
  return folder;
}

test.each([
  ['empty object', {}, 'Tokenizer must contain a "model" property'],
  ['a list', [1, 2], 'Tokenizer must contain a "model" property'],
  ['no decoder', { model: WORDPIECE }, 'Tokenizer must contain a "decoder" property'],
  ['normalizer Sequence without its list', { model: WORDPIECE, decoder: { type: 'WordPiece', prefix: '##' }, normalizer: { type: 'Sequence' } }, ''],
])('%s', (name, json, libraryMessage) => {
  const folder = folderWith(name.replace(/\W+/g, '-'), json);
  let message = '';
  try {
    TextTokenizer.fromFolder(folder, { doLowerCase: true });
  } catch (e) {
    message = (e as Error).message;
  }
  expect(message.startsWith(`${path.join(folder, 'tokenizer.json')}: not a tokenizer file embedforge can read: `)).toBe(true);
  expect(message).toContain(libraryMessage);
});

test('invalid JSON names the file', () => {
  const folder = folderWith('bad-json', '{"model": ');
  expect(() => TextTokenizer.fromFolder(folder)).toThrow(`${path.join(folder, 'tokenizer.json')}: `);
});
