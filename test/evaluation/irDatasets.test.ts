import * as fs from 'fs';
import * as path from 'path';
import { InformationRetrievalEvaluator } from '../../lib/evaluation/InformationRetrievalEvaluator';
import { irDataFromPairs, irDataFromQueriesCorpusFile } from '../../lib/evaluation/irDatasets';
import { describeIf, missing, sharedData, tmpDir } from '../helpers/requirements';

const readJsonLines = (file: string): Record<string, unknown>[] =>
  fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

describe('fromPairs', () => {
  test('with an id column: corpus = positives by id (first position, last text), relevant = own id', () => {
    const train = [{ id: 7, anchor: 'qa', positive: 'pa' }, { id: 3, anchor: 'qb', positive: 'pb' }];
    const test = [{ id: 12, anchor: 'qc', positive: 'pc' }, { id: 7, anchor: 'qd', positive: 'pa2' }];
    const d = irDataFromPairs(test, { corpusRows: train });
    expect([...d.corpus]).toEqual([[7, 'pa2'], [3, 'pb'], [12, 'pc']]);
    expect([...d.queries]).toEqual([[12, 'qc'], [7, 'qd']]);
    expect([...d.relevantDocs]).toEqual([[12, [12]], [7, [7]]]);
  });

  test('without an id column rows are numbered: corpus rows first, then the evaluation rows', () => {
    const d = irDataFromPairs([{ q: 'q0', p: 'p0' }], { corpusRows: [{ q: 'x', p: 'px' }], anchorColumn: 'q', positiveColumn: 'p' });
    expect([...d.corpus]).toEqual([[0, 'px'], [1, 'p0']]);
    expect([...d.queries]).toEqual([[1, 'q0']]);
    expect([...d.relevantDocs]).toEqual([[1, [1]]]);
  });

  test('relevanceColumn: every corpus row of the same group is relevant', () => {
    const train = [{ id: 1, anchor: 'a', positive: 'p', g: 5 }, { id: 2, anchor: 'b', positive: 'p', g: 6 }];
    const test = [{ id: 3, anchor: 'c', positive: 'p', g: 5 }];
    expect([...irDataFromPairs(test, { corpusRows: train, relevanceColumn: 'g' }).relevantDocs]).toEqual([[3, [1, 3]]]);
  });

  test('bad rows are named', () => {
    expect(() => irDataFromPairs([])).toThrow(/no evaluation rows/);
    expect(() => irDataFromPairs([{ id: 1, anchor: 'a', positive: 'p' }, { id: 2, positive: 'p' }])).toThrow(/evaluation row 1 has no column 'anchor' \(columns: id, positive\)/);
    expect(() => irDataFromPairs([{ anchor: 'a', positive: 3 }])).toThrow(/evaluation row 0, column 'positive' must be a string, got 3/);
    expect(() => irDataFromPairs([{ id: 1, anchor: 'a', positive: 'p' }], { corpusRows: [{ id: [1], anchor: 'a', positive: 'p' }] })).toThrow(/corpus row 0, column 'id' must be a string or a number/);
    expect(() => irDataFromPairs([{ anchor: 'a', positive: 'p' }], { idColumn: 'uid' })).toThrow(/evaluation row 0 has no column 'uid'/);
    // Rows from a file: errors name the file, row and line (issue 12, finding 12).
    const describe = { describeEvalRow: (i: number) => `row ${i} of test.jsonl (line ${i + 1})`, describeCorpusRow: (i: number) => `row ${i} of train.jsonl (line ${i + 1})` };
    expect(() => irDataFromPairs([{ anchor: 'a', positive: 'p' }, { anchor: 'b' }], describe))
      .toThrow(/^evaluation row 1 of test\.jsonl \(line 2\) has no column 'positive' \(columns: anchor\)$/);
    expect(() => irDataFromPairs([{ anchor: 'a', positive: 'p' }], { ...describe, corpusRows: [{ anchor: 'x', positive: 7 }] }))
      .toThrow(/^corpus row 0 of train\.jsonl \(line 1\), column 'positive' must be a string, got 7$/);
  });

  test('builds a working evaluator with its settings', () => {
    const ev = InformationRetrievalEvaluator.fromPairs([{ anchor: 'a', positive: 'p' }], { name: 'dim_64', truncateDim: 64, scoreFunctions: ['cosine'] });
    expect(ev.name).toBe('dim_64');
    expect(ev.truncateDim).toBe(64);
    expect(ev.queryIds).toEqual([0]);
    expect(ev.corpusIds).toEqual([0]);
  });
});

describe('fromQueriesCorpusFile', () => {
  const dir = tmpDir('ir-file');
  const write = (name: string, content: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('reads queries, corpus and relevant_docs', () => {
    const file = write('ok.json', { queries: { q1: 'a', q2: 'b' }, corpus: { c1: 'x', c2: 'y' }, relevant_docs: { q1: ['c2'] }, mode: 'text' });
    const ev = InformationRetrievalEvaluator.fromQueriesCorpusFile(file, { name: 'val' });
    expect(ev.queryIds).toEqual(['q1']);
    expect(ev.corpusIds).toEqual(['c1', 'c2']);
    expect([...ev.relevantDocs.get('q1')!]).toEqual(['c2']);
  });

  test('errors name the file and the key', () => {
    const huge = write('huge.json', { queries: {} });
    fs.truncateSync(huge, 600 * 2 ** 20); // sparse: past the longest JavaScript string without using the disk
    expect(() => irDataFromQueriesCorpusFile(huge)).toThrow(`${huge} is 600 MiB of JSON in one document, too large to parse at once`);
    const missingKey = write('missing.json', { queries: {}, corpus: {} });
    expect(() => irDataFromQueriesCorpusFile(missingKey)).toThrow(`${missingKey}: missing key 'relevant_docs' (keys present: queries, corpus)`);
    const absent = write('absent.json', { queries: { q1: 'a' }, corpus: { c1: 'x' }, relevant_docs: { q1: ['c1', 'c9'] } });
    expect(() => irDataFromQueriesCorpusFile(absent)).toThrow(`${absent}: relevant_docs["q1"] lists "c9", which is not a corpus id`);
    const notList = write('notlist.json', { queries: { q1: 'a' }, corpus: { c1: 'x' }, relevant_docs: { q1: 'c1' } });
    expect(() => irDataFromQueriesCorpusFile(notList)).toThrow(/relevant_docs\["q1"\] must be a list of corpus ids/);
    const badText = write('badtext.json', { queries: { q1: 1 }, corpus: {}, relevant_docs: {} });
    expect(() => irDataFromQueriesCorpusFile(badText)).toThrow(/queries\["q1"\] must be a string, got 1/);
    const broken = write('broken.json', '{"queries": ');
    expect(() => irDataFromQueriesCorpusFile(broken)).toThrow(new RegExp(`${broken.replace(/[.\\/]/g, '\\$&')}: cannot read as JSON`));
  });
});

describeIf(missing({ sharedData: true }), 'the shared real data sets', () => {
  test('llamaindex val_dataset.json: 881 queries over 410 passages', () => {
    const ev = InformationRetrievalEvaluator.fromQueriesCorpusFile(path.join(sharedData, 'llamaindex-10k-uber-lyft', 'val_dataset.json'));
    expect(ev.queries).toHaveLength(881);
    expect(ev.corpus).toHaveLength(410);
  });

  test('legal anchor/positive rows, built as the tutorial notebook does (printed relevant_docs match)', () => {
    const dir = path.join(sharedData, 'legal-anchor-positive');
    const testRows = readJsonLines(path.join(dir, 'test_dataset.json'));
    const trainRows = readJsonLines(path.join(dir, 'train_dataset.json'));
    const d = irDataFromPairs(testRows, { corpusRows: trainRows, relevanceColumn: 'global_chunk_id' });
    expect(d.queries.size).toBe(647);
    expect(d.corpus.size).toBe(6469);
    // The notebook printed {2782: [2783, 2781, 2782], 2531: [2532, 2531], 5103: [5103], ...}
    expect(d.relevantDocs.get(2782)).toEqual([2783, 2781, 2782]);
    expect(d.relevantDocs.get(2531)).toEqual([2532, 2531]);
    expect(d.relevantDocs.get(5103)).toEqual([5103]);
  });
});
