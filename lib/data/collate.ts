/**
 * From row indices to what one addon call takes: the token ids of every text of the batch packed
 * without padding, column-major (all anchors, then all positives, ...), with cumulative offsets
 * (cu_seqlens), plus the batch's labels.
 */
import type { PackedTexts } from '../binding/AddonTypes';

export interface CollatedBatch {
  texts: PackedTexts;
  numColumns: number;
  batchSize: number;
  labels?: Float32Array;
}

export function packTexts(ids: readonly Int32Array[]): PackedTexts {
  const cuSeqlens = new Int32Array(ids.length + 1);
  for (let i = 0; i < ids.length; i++) cuSeqlens[i + 1] = cuSeqlens[i] + ids[i].length;
  const inputIds = new Int32Array(cuSeqlens[ids.length]);
  for (let i = 0; i < ids.length; i++) inputIds.set(ids[i], cuSeqlens[i]);
  return { inputIds, cuSeqlens };
}

/** ids[c][row]: the token ids of input column c (tokenized once); labels[row] when the data has a label column. */
export function collateBatch(rows: ArrayLike<number>, ids: readonly (readonly Int32Array[])[], labels?: Float32Array | null): CollatedBatch {
  const numColumns = ids.length;
  if (numColumns === 0) throw new Error('collateBatch: no input columns');
  const numRows = ids[0].length;
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k];
    if (!Number.isInteger(row) || row < 0 || row >= numRows) throw new Error(`collateBatch: row ${row} is outside 0..${numRows - 1}`);
  }
  const texts: Int32Array[] = [];
  for (let c = 0; c < numColumns; c++) for (let k = 0; k < rows.length; k++) texts.push(ids[c][rows[k]]);
  const batch: CollatedBatch = { texts: packTexts(texts), numColumns, batchSize: rows.length };
  if (labels) batch.labels = Float32Array.from(rows, (row) => labels[row]);
  return batch;
}
