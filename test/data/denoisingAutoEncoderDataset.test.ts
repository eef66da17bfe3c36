/**
 * TSDAE's deletion noise (DenoisingAutoEncoderDataset): NLTK's word split and join (treebankWords.ts) on
 * NLTK's own documented examples; the words kept equal to sentence-transformers' delete() run live with the
 * same seed and words (numpy's draws, its keep rule, its "at least one word" fallback); same seed, same
 * pairs; the deletion ratio.
 */
import * as fs from 'fs';
import * as path from 'path';

import { DenoisingAutoEncoderDataset, deleteWords, keepWords } from '../../lib/data/DenoisingAutoEncoderDataset';
import { NumpyRandomState } from '../../lib/data/NumpyRandomState';
import { treebankDetokenize, treebankTokenize, wordTokenize } from '../../lib/data/treebankWords';
import { describeIf, missing, runPython, tmpDir } from '../helpers/requirements';

const MUFFINS = 'Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.';

describe('treebankWords: NLTK word_tokenize / TreebankWordDetokenizer rules', () => {
  test("NLTKWordTokenizer's docstring example (one sentence: only the final period is split off)", () => {
    expect(treebankTokenize(MUFFINS)).toEqual([
      'Good', 'muffins', 'cost', '$', '3.88', '(', 'roughly', '3,36', 'euros', ')', 'in', 'New', 'York.', 'Please', 'buy', 'me', 'two',
      'of', 'them.', 'Thanks', '.',
    ]);
  });

  test("word_tokenize's docstring example (sentences first: every sentence's period is split off)", () => {
    expect(wordTokenize(MUFFINS)).toEqual([
      'Good', 'muffins', 'cost', '$', '3.88', '(', 'roughly', '3,36', 'euros', ')', 'in', 'New', 'York', '.', 'Please', 'buy', 'me', 'two',
      'of', 'them', '.', 'Thanks', '.',
    ]);
  });

  test('quotes, clitics and contractions', () => {
    expect(wordTokenize("I can't believe they're gonna do it.")).toEqual(['I', 'ca', "n't", 'believe', 'they', "'re", 'gon', 'na', 'do', 'it', '.']);
    expect(wordTokenize('He said "hi" to me.')).toEqual(['He', 'said', '``', 'hi', "''", 'to', 'me', '.']);
    expect(wordTokenize('')).toEqual([]);
  });

  test("TreebankWordDetokenizer's docstring examples", () => {
    expect(treebankDetokenize(['hello', ',', 'i', 'ca', "n't", 'feel', 'my', 'feet', '!', 'Help', '!', '!'])).toBe("hello, i can't feel my feet! Help!!");
    expect(treebankDetokenize(['hello', ',', 'i', "can't", 'feel', ';', 'my', 'feet', '!', 'Help', '!', '!', 'He', 'said', ':', 'Help', ',', 'help', '?', '!']))
      .toBe("hello, i can't feel; my feet! Help!! He said: Help, help?!");
    const treebank = ['Good', 'muffins', 'cost', '$', '3.88', 'in', 'New', 'York.', 'Please', 'buy', 'me', 'two', 'of', 'them.', 'Thanks', '.'];
    expect(treebankDetokenize(treebank)).toBe('Good muffins cost $3.88 in New York. Please buy me two of them. Thanks.');
    expect(treebankDetokenize(wordTokenize('He said "hi" to me.'))).toBe('He said "hi" to me.');
  });
});

describe('deleteWords / DenoisingAutoEncoderDataset', () => {
  const sentences = Array.from({ length: 400 }, (_, i) => `Sentence number ${i} has exactly eight words here .`.replace(' .', '.'));

  test('same seed, same pairs; another seed, other pairs; originals kept as the second text', () => {
    const a = new DenoisingAutoEncoderDataset(sentences.slice(0, 20), { seed: 7 });
    const b = new DenoisingAutoEncoderDataset(sentences.slice(0, 20), { seed: 7 });
    const c = new DenoisingAutoEncoderDataset(sentences.slice(0, 20), { seed: 8 });
    expect(a.damaged).toEqual(b.damaged);
    expect(a.damaged).not.toEqual(c.damaged);
    expect(a.get(3).texts).toEqual([a.damaged[3], sentences[3]]);
    expect(a.examples().map((e) => e.texts)).toEqual(sentences.slice(0, 20).map((s, i) => [a.damaged[i], s]));
    expect([a.toDataset().numRows, a.toDataset().columnNames]).toEqual([20, ['noisy', 'text']]);
  });

  test('deletes each word with probability del_ratio, keeps at least one, leaves a text without words alone', () => {
    const random = new NumpyRandomState(0);
    let words = 0;
    let kept = 0;
    for (const s of sentences) {
      const w = wordTokenize(s);
      const k = keepWords(w, 0.6, random);
      expect(k.length).toBeGreaterThanOrEqual(1);
      words += w.length;
      kept += k.length;
    }
    // 3600 words: the kept share's standard deviation is about 0.008.
    expect(Math.abs(kept / words - 0.4)).toBeLessThan(0.03);
    const one = new NumpyRandomState(1);
    for (let i = 0; i < 50; i++) expect(keepWords(['solo'], 0.99, one)).toEqual(['solo']);
    expect(deleteWords('', 0.6, new NumpyRandomState(0))).toBe('');
    expect(deleteWords('   ', 0.6, new NumpyRandomState(0))).toBe('   ');
    expect(() => new DenoisingAutoEncoderDataset(['x'], { delRatio: 1.5 })).toThrow('del_ratio must be in [0, 1]');
  });
});

describeIf(missing({ python: true }), "deletion noise: sentence-transformers' delete() with the same seed", () => {
  test('kept words equal, sentence after sentence (numpy draws, the keep rule, the one-word fallback)', () => {
    const texts = [
      MUFFINS, "I can't believe they're gonna do it.", 'Short one.', 'Two words', 'x', '', 'He said "hi" to me.',
      ...Array.from({ length: 60 }, (_, i) => 'alpha beta gamma delta epsilon zeta eta theta'.split(' ').slice(0, 1 + (i % 8)).join(' ')),
    ];
    const words = texts.map(wordTokenize);
    const file = path.join(tmpDir('dae-noise'), 'cases.json');
    const seeds = [0, 42, 12345];
    fs.writeFileSync(file, JSON.stringify({ seeds, delRatio: 0.6, words }));
    const kept = JSON.parse(runPython('noise_reference.py', ['--cases', file])).kept as string[][][];
    for (const [s, seed] of seeds.entries()) {
      const want = kept[s];
      const random = new NumpyRandomState(seed);
      expect(words.map((w) => keepWords(w, 0.6, random))).toEqual(want);
      // The fallback is exercised: some one- or two-word sentence lost every word to the draws.
      if (seed === 42) expect(want.filter((k, i) => words[i].length > 0 && k.length === 1).length).toBeGreaterThan(5);
    }
  });
});
