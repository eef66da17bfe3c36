import * as fs from 'fs';
import * as path from 'path';
import { Dataset, concatenateDatasets } from '../../lib/data/Dataset';
import { parseCsv } from '../../lib/data/csv';
import { execFileSync } from 'child_process';
import { venvPython, missing, describeIf, tmpDir } from '../helpers/requirements';

const dir = tmpDir('data');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, text);
  return file;
}

const pairs = [
  { anchor: 'What is a tort?', positive: 'A civil wrong.', id: 0 },
  { anchor: 'Who pays damages?', positive: 'The liable party.', id: 1 },
  { anchor: 'What is négligence?', positive: 'Failure of “care”, ünïcödé.', id: 2 },
];

function rowsOf(ds: Dataset): Record<string, unknown>[] {
  return Array.from({ length: ds.numRows }, (_, i) => ds.row(i));
}

describe('Dataset.load: formats', () => {
  test('JSON array of records', async () => {
    const ds = await Dataset.load(write('array.json', JSON.stringify(pairs, null, 2)));
    expect(ds.columnNames).toEqual(['anchor', 'positive', 'id']);
    expect(rowsOf(ds)).toEqual(pairs);
  });

  test('JSON object of columns', async () => {
    const cols = { anchor: pairs.map((p) => p.anchor), positive: pairs.map((p) => p.positive), id: pairs.map((p) => p.id) };
    const ds = await Dataset.load(write('columns.json', JSON.stringify(cols)));
    expect(rowsOf(ds)).toEqual(pairs);
  });

  test('JSON lines under .json (datasets to_json(orient="records")), .jsonl and .ndjson, with CRLF and blank lines', async () => {
    const lines = pairs.map((p) => JSON.stringify(p)).join('\r\n') + '\r\n\r\n';
    for (const name of ['lines.json', 'lines.jsonl', 'lines.ndjson']) {
      const ds = await Dataset.load(write(name, lines));
      expect(rowsOf(ds)).toEqual(pairs);
    }
    const single = await Dataset.load(write('one.json', JSON.stringify(pairs[0]) + '\n'));
    expect(rowsOf(single)).toEqual([pairs[0]]);
    expect(single.describeRow(0)).toBe(`row 0 of ${path.join(dir, 'one.json')} (line 1)`);
  });

  test('JSON with the records under a field', async () => {
    const ds = await Dataset.load(write('field.json', JSON.stringify({ version: 1, data: pairs })), { field: 'data' });
    expect(rowsOf(ds)).toEqual(pairs);
  });

  test('CSV: quotes, escaped quotes, embedded delimiters and newlines, CRLF, BOM; numeric columns become numbers', async () => {
    const text = '\uFEFFsentence1,sentence2,score\r\n'
      + '"He said ""hi"", then left.","A, B\r\nand C",4.5\r\n'
      + 'plain,"",1e-1\r\n'
      + 'x"y,last,3\r\n';
    const ds = await Dataset.load(write('sts.csv', text));
    expect(ds.columnNames).toEqual(['sentence1', 'sentence2', 'score']);
    expect(rowsOf(ds)).toEqual([
      { sentence1: 'He said "hi", then left.', sentence2: 'A, B\r\nand C', score: 4.5 },
      { sentence1: 'plain', sentence2: '', score: 0.1 },
      { sentence1: 'x"y', sentence2: 'last', score: 3 },
    ]);
    // The line of each row is where its record starts, counting the embedded line break.
    expect(ds.describeRow(2)).toMatch(/row 2 of .*sts\.csv \(line 5\)$/);
    const strings = await Dataset.load(write('sts2.csv', text), { keepStrings: true });
    expect(strings.column('score')).toEqual(['4.5', '1e-1', '3']);
  });

  test('TSV without a header and without quoting (the STS benchmark files)', async () => {
    const text = 'main-captions\tMSRvid\t5.000\tA "plane" is taking off.\tAn air plane is taking off.\n'
      + 'main-captions\tMSRvid\t3.800\tA man is playing a flute.\tA man is playing a "flute.\n';
    const ds = await Dataset.load(write('sts.tsv', text), { quote: null, columnNames: ['genre', 'file', 'score', 's1', 's2'] });
    expect(ds.column('score')).toEqual([5, 3.8]);
    expect(ds.column('s2')).toEqual(['An air plane is taking off.', 'A man is playing a "flute.']);
    const viaCsv = await Dataset.load(write('sts-dev.csv', text), { delimiter: '\t', quote: null, columnNames: ['genre', 'file', 'score', 's1', 's2'] });
    expect(rowsOf(viaCsv)).toEqual(rowsOf(ds));
  });

  describeIf(missing({ python: true }), 'Parquet (written by pyarrow)', () => {
    test('reads every column in schema order, int64 as numbers, snappy-compressed', async () => {
      const jsonFile = write('for-parquet.json', JSON.stringify(pairs));
      const file = path.join(dir, 'pairs.parquet');
      const script = 'import json, sys, pyarrow as pa, pyarrow.parquet as pq\n'
        + 'pq.write_table(pa.Table.from_pylist(json.load(open(sys.argv[1], encoding="utf-8"))), sys.argv[2], compression="snappy")';
      execFileSync(venvPython()!, ['-c', script, jsonFile, file]);
      const ds = await Dataset.load(file);
      expect(ds.columnNames).toEqual(['anchor', 'positive', 'id']);
      expect(rowsOf(ds)).toEqual(pairs);
    });
  });
});

describe('Dataset.load: errors name the file, line or row, and column', () => {
  test('malformed JSON line', async () => {
    const text = [JSON.stringify(pairs[0]), JSON.stringify(pairs[1]), '{"anchor": "x", "positive": }'].join('\n');
    const file = write('bad.jsonl', text);
    await expect(Dataset.load(file)).rejects.toThrow(new RegExp(`^${escape(file)} line 3: .*JSON`));
  });

  test('malformed JSON array', async () => {
    const file = write('bad.json', '[{"anchor": "a"},\n{"anchor": ]');
    await expect(Dataset.load(file)).rejects.toThrow(`${file}`);
    await expect(Dataset.load(file)).rejects.toThrow('not valid JSON');
  });

  test('empty file and whitespace-only file', async () => {
    for (const name of ['empty.jsonl', 'empty.csv', 'empty.json']) {
      const file = write(name, name === 'empty.json' ? '  \n ' : '');
      await expect(Dataset.load(file)).rejects.toThrow(`${file} is empty`);
    }
    await expect(Dataset.load(write('nothing.json', '[]'))).rejects.toThrow('holds no records');
  });

  test('ragged records: a missing and an unexpected key', async () => {
    const missingKey = write('missing.jsonl', [JSON.stringify(pairs[0]), JSON.stringify({ anchor: 'q', id: 5 })].join('\n'));
    await expect(Dataset.load(missingKey)).rejects.toThrow(`${missingKey} line 2: missing column 'positive' (the first record has anchor, positive, id)`);
    const extraKey = write('extra.json', JSON.stringify([pairs[0], { ...pairs[1], negative: 'n' }]));
    await expect(Dataset.load(extraKey)).rejects.toThrow(`${extraKey} record 1: column 'negative' is not in the first record`);
    const notObject = write('array-rows.jsonl', '{"a": 1}\n[1, 2]\n');
    await expect(Dataset.load(notObject)).rejects.toThrow(`${notObject} line 2: expected a record (a JSON object), got an array`);
  });

  test('columns of different lengths', async () => {
    const file = write('uneven.json', JSON.stringify({ anchor: ['a', 'b'], positive: ['c'] }));
    await expect(Dataset.load(file)).rejects.toThrow(`${file}: column 'positive' has 1 values but column 'anchor' has 2`);
  });

  test('ragged CSV rows and unclosed quotes', async () => {
    const ragged = write('ragged.csv', 'a,b\n1,2\n3,4,5\n');
    await expect(Dataset.load(ragged)).rejects.toThrow(`${ragged} line 3: 3 fields where the header has 2 (a, b)`);
    const unclosed = write('unclosed.csv', 'a,b\n1,"2\n3,4\n');
    await expect(Dataset.load(unclosed)).rejects.toThrow(`${unclosed} line 2: a quoted field is never closed`);
    const junk = write('junk.csv', 'a,b\n"1"x,2\n');
    await expect(Dataset.load(junk)).rejects.toThrow(`${junk} line 2: unexpected "x" after the closing quote of field 1`);
    const dupHeader = write('dup.csv', 'a,a\n1,2\n');
    await expect(Dataset.load(dupHeader)).rejects.toThrow(`${dupHeader}: column 'a' appears twice in the header`);
  });

  test('unknown extension, missing file, not parquet', async () => {
    await expect(Dataset.load(write('data.txt', 'x'))).rejects.toThrow('cannot tell the data format from the extension ".txt"');
    await expect(Dataset.load(path.join(dir, 'absent.jsonl'))).rejects.toThrow('absent.jsonl: no such file');
    const fake = write('fake.parquet', 'this is not parquet');
    await expect(Dataset.load(fake)).rejects.toThrow(`${fake}: not a readable Parquet file`);
  });
});

describe('parseCsv', () => {
  test('lone CR line ends, trailing empty field, quoted empty line kept, blank lines skipped', () => {
    const { records, lines } = parseCsv('a,b\r1,\r\r""\n"x\ry",2', { delimiter: ',', quote: '"' }, 't.csv');
    expect(records).toEqual([['a', 'b'], ['1', ''], [''], ['x\ry', '2']]);
    expect(lines).toEqual([1, 2, 4, 5]);
  });
});

describe('Dataset: column operations (immutable)', () => {
  const ds = Dataset.fromRecords(pairs, 'pairs');

  test('numRows, columnNames, column, row', () => {
    expect(ds.numRows).toBe(3);
    expect(ds.columnNames).toEqual(['anchor', 'positive', 'id']);
    expect(ds.column('id')).toEqual([0, 1, 2]);
    expect(ds.row(1)).toEqual(pairs[1]);
    expect(() => ds.row(3)).toThrow('row 3 is outside 0..2 of pairs');
  });

  test('renameColumn, renameColumns', () => {
    const renamed = ds.renameColumn('anchor', 'question').renameColumns({ positive: 'context', id: 'key' });
    expect(renamed.columnNames).toEqual(['question', 'context', 'key']);
    expect(renamed.column('context')).toEqual(ds.column('positive'));
    expect(ds.columnNames).toEqual(['anchor', 'positive', 'id']);
    expect(() => ds.renameColumn('anchr', 'x')).toThrow("pairs has no column 'anchr'; its columns are: anchor, positive, id");
    expect(() => ds.renameColumn('anchor', 'positive')).toThrow("two columns named 'positive'");
  });

  test('selectColumns keeps the given order; removeColumns; addColumn', () => {
    const swapped = ds.selectColumns(['positive', 'anchor']);
    expect(swapped.columnNames).toEqual(['positive', 'anchor']);
    expect(swapped.row(0)).toEqual({ positive: pairs[0].positive, anchor: pairs[0].anchor });
    expect(ds.removeColumns(['id']).columnNames).toEqual(['anchor', 'positive']);
    expect(() => ds.removeColumns(['anchor', 'positive', 'id'])).toThrow('without columns');
    expect(() => ds.selectColumns(['anchor', 'negative'])).toThrow("pairs has no column 'negative'; its columns are: anchor, positive, id");
    const added = ds.addColumn('score', [0.5, 1, 0]);
    expect(added.columnNames).toEqual(['anchor', 'positive', 'id', 'score']);
    expect(added.column('score')).toEqual([0.5, 1, 0]);
    expect(ds.columnNames).not.toContain('score');
    expect(() => ds.addColumn('score', [1])).toThrow("column 'score' has 1 values but pairs has 3 rows");
    expect(() => ds.addColumn('id', [1, 2, 3])).toThrow("pairs already has a column 'id'");
  });

  test('select keeps row origins for error messages', () => {
    const sel = ds.select([2, 0, 2]);
    expect(sel.column('id')).toEqual([2, 0, 2]);
    expect(sel.describeRow(0)).toBe('row 2 of pairs');
    expect(() => ds.select([0, 3])).toThrow('select: index 3 (position 1) is outside 0..2 of pairs');
    expect(() => ds.select([1.5])).toThrow('index 1.5');
  });

  test('shuffle is a seeded permutation', () => {
    const big = Dataset.fromRecords(Array.from({ length: 100 }, (_, i) => ({ i })));
    const a = big.shuffle(42).column('i');
    expect(big.shuffle(42).column('i')).toEqual(a);
    expect(big.shuffle(43).column('i')).not.toEqual(a);
    expect([...a].sort((x, y) => (x as number) - (y as number))).toEqual(big.column('i'));
    expect(a).not.toEqual(big.column('i'));
  });
});

describe('Dataset.trainTestSplit', () => {
  const big = Dataset.fromRecords(Array.from({ length: 101 }, (_, i) => ({ i })));

  test('fraction: ceil(fraction * n) test rows; deterministic by seed; disjoint; union is everything', () => {
    const { train, test } = big.trainTestSplit({ testSize: 0.1, seed: 7 });
    expect(test.numRows).toBe(11);
    expect(train.numRows).toBe(90);
    const again = big.trainTestSplit({ testSize: 0.1, seed: 7 });
    expect(again.test.column('i')).toEqual(test.column('i'));
    expect(again.train.column('i')).toEqual(train.column('i'));
    expect(big.trainTestSplit({ testSize: 0.1, seed: 8 }).test.column('i')).not.toEqual(test.column('i'));
    const all = [...train.column('i'), ...test.column('i')] as number[];
    expect(new Set(all).size).toBe(101);
    expect(all.sort((a, b) => a - b)).toEqual(big.column('i'));
  });

  test('count, no shuffle, and invalid sizes', () => {
    const { train, test } = big.trainTestSplit({ testSize: 5, shuffle: false });
    expect(test.column('i')).toEqual([0, 1, 2, 3, 4]);
    expect(train.column('i')[0]).toBe(5);
    expect(() => big.trainTestSplit({ testSize: 101 })).toThrow('leaves no training rows');
    expect(() => big.trainTestSplit({ testSize: 0 })).toThrow('testSize must be a fraction in (0, 1) or a whole number of rows, got 0');
    expect(() => big.trainTestSplit({ testSize: 1.5 })).toThrow('got 1.5');
  });
});

describe('Dataset.concatenate', () => {
  test('rows in order; column order of the first; origins kept per source', async () => {
    const a = await Dataset.load(write('a.jsonl', pairs.slice(0, 2).map((p) => JSON.stringify(p)).join('\n')));
    const b = Dataset.fromRecords([{ id: 9, positive: 'p', anchor: 'q' }], 'extra');
    const c = concatenateDatasets([a, b]);
    expect(c.numRows).toBe(3);
    expect(c.columnNames).toEqual(['anchor', 'positive', 'id']);
    expect(c.row(2)).toEqual({ anchor: 'q', positive: 'p', id: 9 });
    expect(c.describeRow(1)).toMatch(/row 1 of .*a\.jsonl \(line 2\)$/);
    expect(c.describeRow(2)).toBe('row 0 of extra');
    expect(Dataset.concatenate([c, a]).describeRow(4)).toMatch(/row 1 of .*a\.jsonl \(line 2\)$/);
    expect(() => Dataset.concatenate([a, a.removeColumns(['id'])])).toThrow('cannot concatenate');
    expect(() => Dataset.concatenate([])).toThrow('at least one');
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
