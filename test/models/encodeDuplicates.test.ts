/**
 * encode embeds texts that tokenize alike once: every copy gets bit-identical values (so retrieval ties are exact
 * and broken by id, as sentence-transformers breaks the ties of duplicates it embeds in one batch), and the other
 * rows are what they would be without the copies (row cosine >= 0.99999: a batch's make-up moves values by rounding).
 */
import { SentenceTransformer } from '../../lib/models/SentenceTransformer';
import { rowCosines } from '../helpers/npy';
import { describeIf, missing } from '../helpers/requirements';
import { tinyStModel } from '../helpers/stModel';
import { sampleTexts } from '../helpers/texts';

describeIf(missing({ addon: true, python: true, sharedData: true }), 'encode with repeated texts', () => {
  test('copies get identical embeddings, in input order, equal to the texts embedded alone', async () => {
    const model = await SentenceTransformer.load(tinyStModel(), { device: 'cpu' });
    const distinct = sampleTexts(12);
    // Copies far apart (different length-sorted batches at batch size 4), and one that differs only past max_seq_length (64).
    const long = `${distinct[5]} ${'filler '.repeat(200)}`;
    const texts = [distinct[0], ...distinct, distinct[7], long, `${long} more words past the limit`, distinct[0]];
    const dim = model.embeddingDim;
    const got = await model.encode(texts, { batchSize: 4 });
    const row = (m: Float32Array, i: number) => Array.from(m.subarray(i * dim, (i + 1) * dim));
    expect(row(got, 0)).toEqual(row(got, 1));
    expect(row(got, texts.length - 1)).toEqual(row(got, 1));
    expect(row(got, 13)).toEqual(row(got, 8));
    expect(row(got, 15)).toEqual(row(got, 14));
    const alone = await model.encode(distinct, { batchSize: 4 });
    const expected = Float32Array.from(texts.slice(0, 14).flatMap((t) => row(alone, distinct.indexOf(t))));
    expect(Math.min(...rowCosines(got.subarray(0, 14 * dim), expected, 14, dim))).toBeGreaterThanOrEqual(0.99999);
    await model.dispose();
  });
});
