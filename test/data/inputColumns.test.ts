import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { columnRoles, labelColumn, textColumn, trainingColumns } from '../../lib/data/inputColumns';
import { describeIf, missing, sharedData, tmpDir } from '../helpers/requirements';

describe('columnRoles: inputs by order, the label by name (sentence-transformers 6.0.1 rule)', () => {
  test('every column but the label is an input, in column order', () => {
    const ds = Dataset.fromRecords([{ positive: 'p', score: 0.5, anchor: 'a' }]);
    expect(columnRoles(ds)).toEqual({ inputs: ['positive', 'anchor'], label: 'score' });
  });

  test('precedence label > labels > score > scores: only the first present is the label', () => {
    const ds = Dataset.fromRecords([{ s1: 'a', score: 1, s2: 'b', label: 0 }]);
    expect(columnRoles(ds)).toEqual({ inputs: ['s1', 'score', 's2'], label: 'label' });
    expect(columnRoles(Dataset.fromRecords([{ a: 'x', scores: 1, labels: 2 }]))).toEqual({ inputs: ['a', 'scores'], label: 'labels' });
  });

  test('no label column; dataset_name is never an input; custom label names', () => {
    expect(columnRoles(Dataset.fromRecords([{ q: 'x', d: 'y', dataset_name: 'n' }]))).toEqual({ inputs: ['q', 'd'], label: null });
    expect(columnRoles(Dataset.fromRecords([{ q: 'x', sim: 1 }]), ['sim'])).toEqual({ inputs: ['q'], label: 'sim' });
    expect(() => columnRoles(Dataset.fromRecords([{ label: 1 }], 'only-label'))).toThrow('only-label has no input columns (columns: label)');
  });
});

describe('validation errors name the file, row (and line) and column', () => {
  const dir = tmpDir('cols');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rows = Array.from({ length: 14 }, (_, i) => ({ anchor: `q${i}`, positive: `p${i}`, id: i }));

  test('empty and blank texts: trained on with one warning (count, first rows); emptyTexts \'error\' refuses them', async () => {
    const bad = rows.map((r, i) => (i === 12 ? { ...r, positive: '' } : i === 3 ? { ...r, anchor: ' \n\t' } : r));
    const file = path.join(dir, 'train.jsonl');
    fs.writeFileSync(file, bad.map((r) => JSON.stringify(r)).join('\n'));
    const ds = await Dataset.load(file);
    const warnings: string[] = [];
    const cols = trainingColumns(ds.selectColumns(['anchor', 'positive']), undefined, (m) => warnings.push(m));
    expect(cols.texts[1][12]).toBe('');
    expect(cols.texts[0][3]).toBe(' \n\t');
    expect(warnings).toEqual([`${file}: 2 empty or blank texts (row 3 of ${file} (line 4), column 'anchor'; row 12 of ${file} (line 13), column 'positive'): `
      + "trained on as sentence-transformers does (the model sees only the special tokens); load the dataset with emptyTexts: 'error' (or call withEmptyTexts('error')) to refuse them"]);
    const one: string[] = [];
    expect(textColumn(ds, 'positive', (m) => one.push(m))[12]).toBe('');
    expect(one).toEqual([expect.stringContaining(`${file}: 1 empty or blank text (row 12 of ${file} (line 13), column 'positive')`)]);
    const none: string[] = [];
    trainingColumns(Dataset.fromRecords([{ a: 'x', b: 'y' }]), undefined, (m) => none.push(m));
    expect(none).toEqual([]);

    // The option, from load or on any dataset, survives shuffles, selections and concatenation.
    const strict = await Dataset.load(file, { emptyTexts: 'error' });
    expect(strict.emptyTexts).toBe('error');
    expect(() => textColumn(strict, 'positive')).toThrow(`empty text in column 'positive' at row 12 of ${file} (line 13) (the dataset refuses empty texts: emptyTexts 'error')`);
    expect(() => trainingColumns(strict.shuffle(3).selectColumns(['anchor', 'positive']))).toThrow(`at row 3 of ${file} (line 4)`);
    expect(() => trainingColumns(Dataset.concatenate([ds, strict]).selectColumns(['anchor', 'positive']))).toThrow('refuses empty texts');
    const blank = Dataset.fromRecords([{ anchor: ' \n\t' }], 'mem', { emptyTexts: 'error' });
    expect(() => textColumn(blank, 'anchor')).toThrow("blank text in column 'anchor' at row 0 of mem");
    expect(() => textColumn(Dataset.fromRecords([{ anchor: '' }], 'mem').withEmptyTexts('error'), 'anchor')).toThrow('empty text');
    expect(() => ds.withEmptyTexts('drop' as never)).toThrow(`emptyTexts must be 'warn' or 'error', got "drop"`);
  });

  test('non-string values in a text column (e.g. an id column left in)', () => {
    const ds = Dataset.fromRecords(rows, 'train.json');
    expect(() => trainingColumns(ds)).toThrow("non-string value (number 0) in text column 'id' at row 0 of train.json");
    const nulls = Dataset.fromRecords([{ anchor: 'a', positive: null }], 'n.json');
    expect(() => trainingColumns(nulls)).toThrow("non-string value (null) in text column 'positive' at row 0 of n.json");
  });

  test('missing column lists the available ones', () => {
    const ds = Dataset.fromRecords(rows, 'train.json');
    expect(() => textColumn(ds, 'postive')).toThrow("train.json has no column 'postive'; its columns are: anchor, positive, id");
  });

  test('labels: numbers, booleans, numeric strings; anything else names the row', () => {
    const ds = Dataset.fromRecords([{ a: 'x', label: 1 }, { a: 'y', label: true }, { a: 'z', label: '0.25' }], 'l.json');
    expect(Array.from(labelColumn(ds, 'label'))).toEqual([1, 1, 0.25]);
    const bad = Dataset.fromRecords([{ a: 'x', score: 1 }, { a: 'y', score: 'high' }], 'b.json');
    expect(() => trainingColumns(bad)).toThrow(`label column 'score' at row 1 of b.json holds "high", not a finite number`);
  });
});

describe('trainingColumns', () => {
  test('texts per input column in order, labels as float32', () => {
    const ds = Dataset.fromRecords([{ s1: 'a', s2: 'b', score: 0.1 }, { s1: 'c', s2: 'd', score: 0.9 }]);
    const cols = trainingColumns(ds);
    expect(cols.inputs).toEqual(['s1', 's2']);
    expect(cols.texts).toEqual([['a', 'c'], ['b', 'd']]);
    expect(Array.from(cols.labels!)).toEqual([Math.fround(0.1), Math.fround(0.9)]);
  });

  describeIf(missing({ sharedData: true }), 'on the tutorials\' data', () => {
    test('legal anchor/positive JSON lines: select the two text columns as the tutorial does', async () => {
      const ds = await Dataset.load(path.join(sharedData, 'legal-anchor-positive', 'test_dataset.json'));
      expect(ds.numRows).toBe(647);
      // The file's own order puts positive before anchor: only selectColumns makes the anchor column 0.
      expect(ds.columnNames).toEqual(['global_chunk_id', 'positive', 'anchor', 'id']);
      expect(() => trainingColumns(ds)).toThrow("non-string value (number 1041) in text column 'global_chunk_id' at row 0 of");
      const cols = trainingColumns(ds.selectColumns(['anchor', 'positive']));
      expect(cols.inputs).toEqual(['anchor', 'positive']);
      expect(cols.texts[0]).toEqual(ds.column('anchor'));
      expect(cols.labels).toBeNull();
    });
  });
});
