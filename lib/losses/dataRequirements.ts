/**
 * The checks losses make of their data, with messages that name the loss, what it needs and what the
 * data has. Inputs are taken by column order (as sentence-transformers does); the label column is the
 * first of label/labels/score/scores the data has.
 */
import type { LossData } from './Loss';

const shown = (columns: readonly string[]) => (columns.length === 0 ? 'none' : `[${columns.join(', ')}]`);

/** Throws unless min <= inputs <= max (max undefined: no limit). */
export function requireInputColumns(lossName: string, data: LossData, need: { min: number; max?: number; describe: string }): void {
  const n = data.inputs.length;
  if (n >= need.min && (need.max === undefined || n <= need.max)) return;
  throw new Error(
    `${lossName} needs ${need.describe} but the data has ${n} input column(s): ${shown(data.inputs)}; ` +
      'inputs are taken by column order, every column except the label column ("label", "labels", "score" or "scores")',
  );
}

/** The label kinds losses take: a class id (integer), a 1/0 pair label, or a float score. */
export type LabelKind = 'class' | 'binary' | 'score';

const KIND_TEXT: Record<LabelKind, string> = {
  class: 'an integer class label column ("label")',
  binary: 'a 1/0 label column ("label")',
  score: 'a float score column ("score" or "label")',
};

/** Throws when the data has no label column, or a value that is not of the kind (naming its row). */
export function requireLabels(lossName: string, data: LossData, kind: LabelKind): void {
  if (data.label === null || !data.labels) {
    throw new Error(`${lossName} needs ${KIND_TEXT[kind]} but the data has none (columns: ${shown(data.inputs)})`);
  }
  const bad = (x: number) => (kind === 'class' ? !Number.isInteger(x) : kind === 'binary' ? x !== 0 && x !== 1 : !Number.isFinite(x));
  const labels = data.labels;
  for (let i = 0; i < labels.length; i++) {
    if (bad(labels[i])) {
      const where = data.describeRow ? data.describeRow(i) : `row ${i}`;
      throw new Error(`${lossName} needs ${KIND_TEXT[kind]}, but column '${data.label}' at ${where} holds ${labels[i]}`);
    }
  }
}

/** Throws when the data has a label column the loss would silently ignore. */
export function rejectLabels(lossName: string, data: LossData): void {
  if (data.label !== null) {
    throw new Error(
      `${lossName} takes no labels, but the data has a '${data.label}' column; drop it (selectColumns) or choose a loss that uses it`,
    );
  }
}
