import { collateBatch, packTexts } from '../../lib/data/collate';

const ids = (...xs: number[]) => Int32Array.from(xs);

describe('packTexts', () => {
  test('concatenates without padding; cuSeqlens are cumulative offsets starting at 0', () => {
    const packed = packTexts([ids(101, 7, 102), ids(101, 102), ids(101, 5, 6, 7, 102)]);
    expect(Array.from(packed.cuSeqlens)).toEqual([0, 3, 5, 10]);
    expect(Array.from(packed.inputIds)).toEqual([101, 7, 102, 101, 102, 101, 5, 6, 7, 102]);
    const empty = packTexts([]);
    expect(Array.from(empty.cuSeqlens)).toEqual([0]);
    expect(empty.inputIds).toHaveLength(0);
  });
});

describe('collateBatch', () => {
  // ids[c][row]: anchors are [100+row], positives [200+row, 200+row] (distinct lengths per column).
  const anchors = [0, 1, 2, 3].map((r) => ids(100 + r));
  const positives = [0, 1, 2, 3].map((r) => ids(200 + r, 200 + r));

  test('column-major: every anchor of the batch, then every positive, in batch order', () => {
    const batch = collateBatch(Int32Array.of(2, 0, 3), [anchors, positives]);
    expect(batch.numColumns).toBe(2);
    expect(batch.batchSize).toBe(3);
    expect(Array.from(batch.texts.inputIds)).toEqual([102, 100, 103, 202, 202, 200, 200, 203, 203]);
    expect(Array.from(batch.texts.cuSeqlens)).toEqual([0, 1, 2, 3, 5, 7, 9]);
    expect(batch.labels).toBeUndefined();
  });

  test('labels follow the rows', () => {
    const labels = Float32Array.of(0.1, 0.2, 0.3, 0.4);
    const batch = collateBatch([3, 1], [anchors], labels);
    expect(Array.from(batch.labels!)).toEqual([labels[3], labels[1]]);
  });

  test('rows out of range are refused', () => {
    expect(() => collateBatch([4], [anchors, positives])).toThrow('collateBatch: row 4 is outside 0..3');
    expect(() => collateBatch([0], [])).toThrow('no input columns');
  });
});
