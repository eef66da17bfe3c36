/**
 * sentence-transformers' DenoisingAutoEncoderDataset for TSDAE (DenoisingAutoEncoderLoss): each sentence
 * becomes a (damaged, original) pair, the damaged copy made by its default noise function, word deletion:
 *   words = word_tokenize(text)                           (treebankWords.ts: NLTK's rules)
 *   keep  = np.random.rand(len(words)) > del_ratio        (each word deleted with probability del_ratio, 0.6)
 *   if nothing is kept: keep[np.random.choice(len(words))] = True
 *   damaged = TreebankWordDetokenizer().detokenize(words[keep]);  a text without words stays as it is.
 * The draws are numpy's legacy generator seeded with `seed` (NumpyRandomState), one sentence after the other,
 * so for the same words they equal sentence-transformers' after np.random.seed(seed) (word_tokenize's Punkt
 * sentence split is approximated: treebankWords.ts says where).
 * Differences: sentence-transformers damages a sentence again each time the dataset is read (every epoch);
 * here the pairs are drawn once, from the seed. Its docstring example (a set_transform on a datasets.Dataset)
 * keeps a word when random.random() < del_ratio, i.e. keeps 60 %; this follows the dataset's delete(), which
 * deletes 60 %.
 */
import { Dataset } from './Dataset';
import { InputExample } from './InputExample';
import { NumpyRandomState } from './NumpyRandomState';
import { treebankDetokenize, wordTokenize } from './treebankWords';

export interface DenoisingAutoEncoderOptions {
  /** Probability of deleting each word (default 0.6, as sentence-transformers' delete()). */
  delRatio?: number;
  /** Seeds the draws as np.random.seed(seed) (default 42). */
  seed?: number;
}

/** The words delete() keeps: each with probability 1 - delRatio, at least one (from `random`, as numpy draws them). */
export function keepWords(words: readonly string[], delRatio: number, random: NumpyRandomState): string[] {
  const n = words.length;
  if (n === 0) return [];
  const keep = random.rand(n).map((r) => r > delRatio);
  if (!keep.some(Boolean)) keep[random.choice(n)] = true;
  return words.filter((_, i) => keep[i]);
}

/** DenoisingAutoEncoderDataset.delete(text, del_ratio), drawing from `random`. */
export function deleteWords(text: string, delRatio: number, random: NumpyRandomState): string {
  const words = wordTokenize(text);
  if (words.length === 0) return text;
  return treebankDetokenize(keepWords(words, delRatio, random));
}

export class DenoisingAutoEncoderDataset {
  readonly sentences: readonly string[];
  readonly delRatio: number;
  readonly seed: number;
  /** The damaged copy of each sentence, in order. */
  readonly damaged: readonly string[];

  constructor(sentences: readonly string[], options: DenoisingAutoEncoderOptions = {}) {
    const delRatio = options.delRatio ?? 0.6;
    const seed = options.seed ?? 42;
    if (!(delRatio >= 0 && delRatio <= 1)) throw new Error(`DenoisingAutoEncoderDataset: del_ratio must be in [0, 1], got ${delRatio}`);
    sentences.forEach((s, i) => {
      if (typeof s !== 'string') throw new Error(`DenoisingAutoEncoderDataset: sentence ${i} is not a string (${JSON.stringify(s)})`);
    });
    const random = new NumpyRandomState(seed);
    this.sentences = sentences;
    this.delRatio = delRatio;
    this.seed = seed;
    this.damaged = sentences.map((s) => deleteWords(s, delRatio, random));
  }

  get length(): number {
    return this.sentences.length;
  }

  /** InputExample(texts=[noise_fn(sentence), sentence]), as sentence-transformers' __getitem__ returns it. */
  get(i: number): InputExample {
    return new InputExample({ texts: [this.damaged[i], this.sentences[i]] });
  }

  /** Every row as an InputExample, for the legacy fit: new DataLoader(dataset.examples(), {batchSize}). */
  examples(): InputExample[] {
    return this.sentences.map((_, i) => this.get(i));
  }

  /** A Dataset with the columns of sentence-transformers' TSDAE example: "noisy" (damaged) and "text" (original). */
  toDataset(): Dataset {
    return Dataset.fromRecords(this.sentences.map((text, i) => ({ noisy: this.damaged[i], text })), 'DenoisingAutoEncoderDataset');
  }
}
