/**
 * Which columns are model inputs and which is the label, by sentence-transformers' rule
 * (sentence_transformers/base/data_collator.py, 6.0.1): the first of the label column names
 * ("label", "labels", "score", "scores", in that order) that the dataset has is the label; every other
 * column except "dataset_name" is an input, in column order. Names do not matter, order does: the
 * first input is the anchor, the second the positive, and so on.
 */
import type { Dataset } from './Dataset';

/** sentence-transformers' DEFAULT_LABEL_COLUMNS, in its order of precedence. */
export const LABEL_COLUMNS: readonly string[] = ['label', 'labels', 'score', 'scores'];

/** Never an input: multi-dataset bookkeeping in sentence-transformers. */
const NON_INPUT_COLUMNS = new Set(['dataset_name']);

export interface ColumnRoles {
  inputs: string[];
  label: string | null;
}

export function columnRoles(dataset: Dataset, labelColumns: readonly string[] = LABEL_COLUMNS): ColumnRoles {
  const names = dataset.columnNames;
  const label = labelColumns.find((n) => names.includes(n)) ?? null;
  const inputs = names.filter((n) => n !== label && !NON_INPUT_COLUMNS.has(n));
  if (inputs.length === 0) throw new Error(`${dataset.source} has no input columns (columns: ${names.join(', ')})`);
  return { inputs, label };
}

/** Where empty or blank texts were found: "row 3 of train.jsonl (line 4), column 'positive'". */
type EmptyTextPlaces = string[];

/** The strings of a text column; empty or blank ones are listed in `empties`, or refused when the dataset says so. */
function checkedTexts(dataset: Dataset, name: string, empties: EmptyTextPlaces): string[] {
  const values = dataset.column(name);
  const out = new Array<string>(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string') {
      const shown = v === null || v === undefined ? String(v) : `${typeof v} ${JSON.stringify(v).slice(0, 60)}`;
      throw new Error(`non-string value (${shown}) in text column '${name}' at ${dataset.describeRow(i)}; every input column must hold text (select the text columns with selectColumns)`);
    }
    if (v.trim() === '') {
      if (dataset.emptyTexts === 'error') {
        throw new Error(`${v === '' ? 'empty' : 'blank'} text in column '${name}' at ${dataset.describeRow(i)} (the dataset refuses empty texts: emptyTexts 'error')`);
      }
      empties.push(`${dataset.describeRow(i)}, column '${name}'`);
    }
    out[i] = v;
  }
  return out;
}

export type WarningHandler = (message: string) => void;

const warnOnStderr: WarningHandler = (m) => process.stderr.write(`embedforge: warning: ${m}\n`);

/**
 * Empty and blank texts are trained on as sentence-transformers does (the tokenizer gives just the special
 * tokens, [CLS] [SEP] for BERT): one warning with the count and the first places.
 */
function warnAboutEmpties(dataset: Dataset, empties: EmptyTextPlaces, warn: WarningHandler): void {
  if (empties.length === 0) return;
  const first = empties.slice(0, 3).join('; ');
  warn(`${dataset.source}: ${empties.length} empty or blank text${empties.length === 1 ? '' : 's'} (${first}${empties.length > 3 ? '; ...' : ''}): `
    + 'trained on as sentence-transformers does (the model sees only the special tokens); '
    + "load the dataset with emptyTexts: 'error' (or call withEmptyTexts('error')) to refuse them");
}

/** The values of a text column, each checked to be a string; empty or blank texts give one warning (or an error, see Dataset.emptyTexts). */
export function textColumn(dataset: Dataset, name: string, warn: WarningHandler = warnOnStderr): string[] {
  const empties: EmptyTextPlaces = [];
  const texts = checkedTexts(dataset, name, empties);
  warnAboutEmpties(dataset, empties, warn);
  return texts;
}

/** The label column as float32 (numbers, booleans or numeric strings), as torch.tensor(labels) then float. */
export function labelColumn(dataset: Dataset, name: string): Float32Array {
  const values = dataset.column(name);
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    const x = typeof v === 'number' ? v : typeof v === 'boolean' ? Number(v) : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (!Number.isFinite(x)) throw new Error(`label column '${name}' at ${dataset.describeRow(i)} holds ${JSON.stringify(v)}, not a finite number`);
    out[i] = x;
  }
  return out;
}

export interface TrainingColumns extends ColumnRoles {
  /** texts[c][row]: the validated text of input column c. */
  texts: string[][];
  labels: Float32Array | null;
}

/** Roles plus validated values: what the tokenizer and the collator need from a training dataset. */
export function trainingColumns(dataset: Dataset, labelColumns: readonly string[] = LABEL_COLUMNS, warn: WarningHandler = warnOnStderr): TrainingColumns {
  const roles = columnRoles(dataset, labelColumns);
  const empties: EmptyTextPlaces = [];
  const texts = roles.inputs.map((name) => checkedTexts(dataset, name, empties));
  const labels = roles.label === null ? null : labelColumn(dataset, roles.label);
  warnAboutEmpties(dataset, empties, warn);
  return { ...roles, texts, labels };
}
