/**
 * Builds an InformationRetrievalEvaluator's queries, corpus and relevant documents from the two shapes
 * users have: (anchor, positive) rows, as the Matryoshka/RAG fine-tuning tutorials do, and the
 * {queries, corpus, relevant_docs} JSON of LlamaIndex's generate_qa_embedding_pairs.
 */
import * as fs from 'fs';
import { MAX_STRING_LENGTH } from '../data/textPieces';
import type { DocId } from './irMetrics';

export interface IrData {
  queries: Map<DocId, string>;
  corpus: Map<DocId, string>;
  relevantDocs: Map<DocId, DocId[]>;
}

export interface PairsOptions {
  /** Default 'anchor'. */
  anchorColumn?: string;
  /** Default 'positive'. */
  positiveColumn?: string;
  /** Column naming each row (the tutorials add `id` = row number before splitting). Default 'id' when the rows have it; without it, rows are numbered by position in corpusRows followed by the evaluation rows. */
  idColumn?: string;
  /** Column grouping rows that share a passage (e.g. 'global_chunk_id'): every corpus row of the query's group is relevant. Without it, only the query's own row is. */
  relevanceColumn?: string;
  /** Rows whose positives join the corpus ahead of the evaluation rows (the tutorials: concatenate_datasets([train, test])). */
  corpusRows?: Record<string, unknown>[];
  /** Where evaluation row i came from, for errors: e.g. Dataset.describeRow ("row 9 of test.jsonl (line 10)"). */
  describeEvalRow?: (i: number) => string;
  /** Where corpus row i came from, for errors. */
  describeCorpusRow?: (i: number) => string;
}

/**
 * The tutorials' construction: corpus = id -> positive over corpusRows then evalRows (a repeated id keeps
 * its first position and its last text, as Python's dict(zip(ids, positives))), queries = id -> anchor of
 * the evaluation rows, relevant = the query's own id, or every corpus id sharing its relevanceColumn value.
 */
export function irDataFromPairs(evalRows: Record<string, unknown>[], options: PairsOptions = {}): IrData {
  const anchorCol = options.anchorColumn ?? 'anchor';
  const positiveCol = options.positiveColumn ?? 'positive';
  const extra = options.corpusRows ?? [];
  const evalWhere = options.describeEvalRow ? (i: number) => `evaluation ${options.describeEvalRow!(i)}` : (i: number) => `evaluation row ${i}`;
  const corpusWhere = options.describeCorpusRow ? (i: number) => `corpus ${options.describeCorpusRow!(i)}` : (i: number) => `corpus row ${i}`;
  const all = [...extra.map((row, i) => ({ row, where: corpusWhere(i) })), ...evalRows.map((row, i) => ({ row, where: evalWhere(i) }))];
  if (evalRows.length === 0) throw new Error('fromPairs: no evaluation rows');
  // Rows that say where they came from need no "fromPairs:" to place them.
  const prefix = options.describeEvalRow || options.describeCorpusRow ? '' : 'fromPairs: ';
  const idCol = options.idColumn ?? (all[0].row !== null && typeof all[0].row === 'object' && 'id' in all[0].row ? 'id' : undefined);

  const field = (row: Record<string, unknown>, col: string, where: string): unknown => {
    if (row === null || typeof row !== 'object') throw new Error(`${prefix}${where} is not an object: ${JSON.stringify(row)}`);
    if (!(col in row)) throw new Error(`${prefix}${where} has no column '${col}' (columns: ${Object.keys(row).join(', ')})`);
    return row[col];
  };
  const text = (row: Record<string, unknown>, col: string, where: string): string => {
    const v = field(row, col, where);
    if (typeof v !== 'string') throw new Error(`${prefix}${where}, column '${col}' must be a string, got ${JSON.stringify(v)}`);
    return v;
  };
  const ids: DocId[] = all.map(({ row, where }, i) => {
    if (idCol === undefined) return i;
    const v = field(row, idCol, where);
    if (typeof v !== 'string' && typeof v !== 'number') throw new Error(`${prefix}${where}, column '${idCol}' must be a string or a number, got ${JSON.stringify(v)}`);
    return v;
  });

  const corpus = new Map<DocId, string>();
  all.forEach(({ row, where }, i) => corpus.set(ids[i], text(row, positiveCol, where)));

  const queries = new Map<DocId, string>();
  const relevantDocs = new Map<DocId, DocId[]>();
  const groupCol = options.relevanceColumn;
  const groups = new Map<unknown, DocId[]>();
  if (groupCol !== undefined) {
    all.forEach(({ row, where }, i) => {
      const g = field(row, groupCol, where);
      groups.set(g, [...(groups.get(g) ?? []), ids[i]]);
    });
  }
  evalRows.forEach((row, j) => {
    const i = extra.length + j;
    const where = all[i].where;
    queries.set(ids[i], text(row, anchorCol, where));
    relevantDocs.set(ids[i], groupCol === undefined ? [ids[i]] : groups.get(field(row, groupCol, where))!);
  });
  return { queries, corpus, relevantDocs };
}

/** Reads and checks a {queries, corpus, relevant_docs} JSON file; every relevant id must be a corpus id. */
export function irDataFromQueriesCorpusFile(file: string): IrData {
  let data: unknown;
  const size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  if (size > MAX_STRING_LENGTH) {
    throw new Error(`${file} is ${(size / 2 ** 20).toFixed(0)} MiB of JSON in one document, too large to parse at once (JavaScript holds at most 512 MiB of text in one string); give the pairs as JSON lines (anchor, positive) instead`);
  }
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: cannot read as JSON: ${(e as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new Error(`${file}: expected an object with keys queries, corpus, relevant_docs`);
  const obj = data as Record<string, unknown>;
  const section = (key: string): Record<string, unknown> => {
    const v = obj[key];
    if (v === undefined) throw new Error(`${file}: missing key '${key}' (keys present: ${Object.keys(obj).join(', ')})`);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${file}: '${key}' must be an object of id -> value`);
    return v as Record<string, unknown>;
  };
  const texts = (key: string): Map<DocId, string> => {
    const m = new Map<DocId, string>();
    for (const [id, v] of Object.entries(section(key))) {
      if (typeof v !== 'string') throw new Error(`${file}: ${key}[${JSON.stringify(id)}] must be a string, got ${JSON.stringify(v)}`);
      m.set(id, v);
    }
    return m;
  };
  const queries = texts('queries');
  const corpus = texts('corpus');
  const relevantDocs = new Map<DocId, DocId[]>();
  for (const [qid, docs] of Object.entries(section('relevant_docs'))) {
    if (!Array.isArray(docs)) throw new Error(`${file}: relevant_docs[${JSON.stringify(qid)}] must be a list of corpus ids, got ${JSON.stringify(docs)}`);
    for (const cid of docs) {
      if (!corpus.has(cid)) throw new Error(`${file}: relevant_docs[${JSON.stringify(qid)}] lists ${JSON.stringify(cid)}, which is not a corpus id`);
    }
    relevantDocs.set(qid, docs as DocId[]);
  }
  return { queries, corpus, relevantDocs };
}
