/**
 * sentence-transformers' ContrastiveTensionDataLoader: pairs for ContrastiveTensionLoss made from single
 * sentences. One pass shuffles the sentences (Python's random.shuffle) and walks them: in each batch the
 * rows at positions 0, r, 2r, ... (r = pos_neg_ratio) are positive pairs (a sentence with itself, label 1,
 * using one sentence), every other row a negative pair (the sentence and the next one, label 0, using two);
 * only full batches are kept, as its iterator yields them.
 *
 * Parity: sentence-transformers draws from Python's global `random`; this draws from PythonRandom (CPython's
 * MT19937) seeded with `seed`, so the pairs are exactly those of `random.seed(seed)` followed by one iteration
 * of sentence-transformers' loader over the same sentences. Under the legacy `model.fit` it is a DataLoader
 * of those examples (one pass, as fit turns a data loader into a dataset); the trainer's batch sampler then
 * draws the batches, so the ratio holds over the data, not inside each batch, as in sentence-transformers 3+.
 */
import { DataLoader } from '../data/DataLoader';
import { Dataset } from '../data/Dataset';
import { InputExample } from '../data/InputExample';
import { PythonRandom } from '../data/PythonRandom';

export interface ContrastiveTensionDataLoaderOptions {
  /** Rows per batch; must be divisible by posNegRatio. */
  batchSize: number;
  /** One positive pair for every posNegRatio - 1 negative pairs (default 8, as sentence-transformers). */
  posNegRatio?: number;
  /** Seeds the shuffle as random.seed(seed) seeds Python's (default 42). */
  seed?: number;
}

export class ContrastiveTensionDataLoader extends DataLoader {
  readonly posNegRatio: number;
  readonly seed: number;

  constructor(sentences: readonly string[], options: ContrastiveTensionDataLoaderOptions) {
    const { batchSize } = options;
    const posNegRatio = options.posNegRatio ?? 8;
    const seed = options.seed ?? 42;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`ContrastiveTensionDataLoader: batchSize must be a positive integer, got ${batchSize}`);
    if (!Number.isInteger(posNegRatio) || posNegRatio < 1) throw new Error(`ContrastiveTensionDataLoader: posNegRatio must be a positive integer, got ${posNegRatio}`);
    if (batchSize % posNegRatio !== 0) {
      throw new Error(
        `ContrastiveTensionDataLoader was loaded with a pos_neg_ratio of ${posNegRatio} and a batch size of ${batchSize}. The batch size must be divisible by the pos_neg_ratio`,
      );
    }
    sentences.forEach((s, i) => {
      if (typeof s !== 'string') throw new Error(`ContrastiveTensionDataLoader: sentence ${i} is not a string: ${JSON.stringify(s)?.slice(0, 80)}`);
    });
    const examples = contrastiveTensionPairs(sentences, { batchSize, posNegRatio, random: new PythonRandom(seed) });
    if (examples.length === 0) {
      throw new Error(`ContrastiveTensionDataLoader: ${sentences.length} sentence(s) do not fill one batch of ${batchSize} pairs (a negative pair uses two sentences)`);
    }
    super(examples, { batchSize });
    this.posNegRatio = posNegRatio;
    this.seed = seed;
  }

  /** The pass in the batches its iterator yields (each batchSize rows). */
  batches(): InputExample[][] {
    const out: InputExample[][] = [];
    for (let i = 0; i < this.examples.length; i += this.batchSize) out.push(this.examples.slice(i, i + this.batchSize));
    return out;
  }

  /** The pairs as a dataset with columns sentence_0, sentence_1, label (the dataset fit makes of them). */
  toDataset(): Dataset {
    return Dataset.fromRecords(
      this.examples.map((e) => ({ sentence_0: e.texts[0], sentence_1: e.texts[1], label: e.label })),
      'ContrastiveTensionDataLoader',
    );
  }
}

/**
 * One pass of sentence-transformers' ContrastiveTensionDataLoader.__iter__ over a copy of `sentences`,
 * shuffled by `random`: the full batches' rows, in order.
 */
export function contrastiveTensionPairs(
  sentences: readonly string[],
  options: { batchSize: number; posNegRatio: number; random: PythonRandom },
): InputExample[] {
  const { batchSize, posNegRatio, random } = options;
  const shuffled = [...sentences];
  random.shuffle(shuffled);
  const out: InputExample[] = [];
  let batch: InputExample[] = [];
  let index = 0;
  while (index + 1 < shuffled.length) {
    const first = shuffled[index];
    const negative = batch.length % posNegRatio > 0;
    if (negative) index += 1;
    batch.push(new InputExample({ texts: [first, shuffled[index]], label: negative ? 0 : 1 }));
    index += 1;
    if (batch.length >= batchSize) {
      out.push(...batch);
      batch = [];
    }
  }
  return out;
}
