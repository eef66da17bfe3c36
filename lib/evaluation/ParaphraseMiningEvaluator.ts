/**
 * Paraphrase mining with the semantics of sentence-transformers 6.0.1's ParaphraseMiningEvaluator and
 * util.paraphrase_mining:
 * - every sentence's topK + 1 most cosine-similar sentences (itself included, then dropped) are taken
 *   per corpus chunk of corpusChunkSize sentences, so a smaller chunk yields more candidates
 *   (queryChunkSize only bounds the work done at once);
 * - candidates go through ST's bounded priority queue in the same order: once maxPairs have been added
 *   the lowest is evicted at every addition and later candidates must score above the last evicted one;
 *   a pair found in both directions is kept once, with the lower of its (score, i, j) tuples;
 * - pairs ranked by score, ties by that tuple's ids; a pair is a duplicate when duplicates[id1][id2]
 *   or duplicates[id2][id1] (after the optional transitive closure, over the ids of sentencesMap);
 * - average precision: the sum of the precision at each duplicate found, over all duplicate pairs;
 *   the best F1 over the ranking with its precision, recall and threshold (halfway to the next score);
 * - metrics average_precision, f1, precision, recall, threshold; primary metric average_precision;
 * - CSV `paraphrase_mining_evaluation[_name]_results.csv`.
 * Top-k runs through `search` (default: the addon's searchTopK) with ties at the cut resolved by index.
 */
import type { Addon } from '../binding/AddonTypes';
import type { EmbeddingModel } from './EmbeddingModel';
import { embed, optionalTruncateDim, positiveInt } from './evaluatorInputs';
import { chunkTopK, type SearchFn } from './exactTopK';
import type { DocId } from './irMetrics';
import { formatPythonFloat } from './pythonFloat';
import { appendCsvRow, epochStepsFields } from './resultsCsv';
import { SentenceEvaluator, type EvaluationContext } from './SentenceEvaluator';

type Graph = Map<DocId, Map<DocId, boolean>>;

export interface ParaphraseMiningEvaluatorOptions {
  /** id -> sentence. */
  sentencesMap: Record<string, string> | Map<DocId, string>;
  /** Pairs of ids that are paraphrases (pairs naming an id outside sentencesMap are ignored, as in ST). */
  duplicatesList?: [DocId, DocId][];
  /** id -> id -> whether the two are paraphrases. */
  duplicatesDict?: Record<string, Record<string, boolean>> | Map<DocId, Map<DocId, boolean>>;
  /** Make duplicates transitive: every pair within a connected group is a duplicate. Default false. */
  addTransitiveClosure?: boolean;
  /** Default 5000. */
  queryChunkSize?: number;
  /** Default 100000. */
  corpusChunkSize?: number;
  /** Default 500000. */
  maxPairs?: number;
  /** Candidates per sentence (and corpus chunk). Default 100. */
  topK?: number;
  showProgressBar?: boolean;
  /** Default 16. */
  batchSize?: number;
  name?: string;
  /** Write the CSV under the context's outputPath. Default true. */
  writeCsv?: boolean;
  truncateDim?: number;
  /** Top-k backend; default the native addon's searchTopK. */
  search?: SearchFn;
}

/** A mined pair: its cosine score and the two sentence indices as found (i the query, j the candidate). */
type Candidate = [score: number, i: number, j: number];

const lessThan = (a: Candidate, b: Candidate): boolean => a[0] < b[0] || (a[0] === b[0] && (a[1] < b[1] || (a[1] === b[1] && a[2] < b[2])));

/** Python's heapq over (score, i, j) tuples: push, and pop of the smallest. */
class CandidateHeap {
  readonly items: Candidate[] = [];

  push(c: Candidate): void {
    const h = this.items;
    h.push(c);
    for (let k = h.length - 1; k > 0;) {
      const parent = (k - 1) >> 1;
      if (!lessThan(h[k], h[parent])) break;
      [h[k], h[parent]] = [h[parent], h[k]];
      k = parent;
    }
  }

  pop(): Candidate {
    const h = this.items;
    const top = h[0];
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      for (let k = 0; ;) {
        const l = 2 * k + 1;
        const r = l + 1;
        let m = k;
        if (l < h.length && lessThan(h[l], h[m])) m = l;
        if (r < h.length && lessThan(h[r], h[m])) m = r;
        if (m === k) break;
        [h[k], h[m]] = [h[m], h[k]];
        k = m;
      }
    }
    return top;
  }
}

function defaultSearch(): SearchFn {
  // Loaded on first use so that the evaluator's other code and its tests run without the native addon.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { loadAddon } = require('../binding/addon') as { loadAddon(): Addon };
  const addon = loadAddon();
  return addon.searchTopK.bind(addon);
}

export class ParaphraseMiningEvaluator extends SentenceEvaluator {
  readonly ids: DocId[];
  readonly sentences: string[];
  readonly duplicates: Graph;
  readonly totalNumDuplicates: number;
  readonly addTransitiveClosure: boolean;
  readonly queryChunkSize: number;
  readonly corpusChunkSize: number;
  readonly maxPairs: number;
  readonly topK: number;
  readonly showProgressBar: boolean;
  readonly batchSize: number;
  readonly writeCsv: boolean;
  readonly truncateDim: number | undefined;
  private searchFn: SearchFn | undefined;

  constructor(options: ParaphraseMiningEvaluatorOptions) {
    super(options.name ?? '');
    const map = options.sentencesMap;
    if (map === null || typeof map !== 'object' || Array.isArray(map)) throw new Error(`sentencesMap must be an object or a Map of id -> sentence, got ${JSON.stringify(map)}`);
    const entries: [DocId, unknown][] = map instanceof Map ? [...map] : Object.entries(map);
    if (entries.length === 0) throw new Error('sentencesMap is empty: nothing to mine');
    for (const [id, s] of entries) if (typeof s !== 'string') throw new Error(`sentencesMap[${JSON.stringify(id)}] must be a string, got ${JSON.stringify(s)}`);
    this.ids = entries.map(([id]) => id);
    this.sentences = entries.map(([, s]) => s as string);
    const known = new Set(this.ids);

    this.duplicates = readDuplicatesDict(options.duplicatesDict);
    if (options.duplicatesList !== undefined && options.duplicatesList !== null) {
      if (!Array.isArray(options.duplicatesList)) throw new Error(`duplicatesList must be a list of [id1, id2] pairs, got ${JSON.stringify(options.duplicatesList)}`);
      options.duplicatesList.forEach((pair, k) => {
        if (!Array.isArray(pair) || pair.length !== 2) throw new Error(`duplicatesList[${k}] must be a pair [id1, id2], got ${JSON.stringify(pair)}`);
        const [a, b] = pair;
        if (known.has(a) && known.has(b)) {
          edges(this.duplicates, a).set(b, true);
          edges(this.duplicates, b).set(a, true);
        }
      });
    }
    this.addTransitiveClosure = options.addTransitiveClosure ?? false;
    if (this.addTransitiveClosure) transitiveClosure(this.duplicates);

    const positivePairs = new Set<string>();
    for (const [a, row] of this.duplicates) {
      for (const b of row.keys()) {
        if (known.has(a) && known.has(b) && (this.isDuplicate(a, b))) positivePairs.add(JSON.stringify([JSON.stringify(a), JSON.stringify(b)].sort()));
      }
    }
    this.totalNumDuplicates = positivePairs.size;

    this.queryChunkSize = positiveInt(options.queryChunkSize ?? 5000, 'queryChunkSize');
    this.corpusChunkSize = positiveInt(options.corpusChunkSize ?? 100000, 'corpusChunkSize');
    this.maxPairs = positiveInt(options.maxPairs ?? 500000, 'maxPairs');
    this.topK = positiveInt(options.topK ?? 100, 'topK');
    this.showProgressBar = options.showProgressBar ?? false;
    this.batchSize = positiveInt(options.batchSize ?? 16, 'batchSize');
    this.writeCsv = options.writeCsv ?? true;
    this.truncateDim = optionalTruncateDim(options.truncateDim);
    this.searchFn = options.search;
    this.primaryMetric = 'average_precision';
  }

  get csvFile(): string {
    return `paraphrase_mining_evaluation${this.name ? `_${this.name}` : ''}_results.csv`;
  }

  private isDuplicate(a: DocId, b: DocId): boolean {
    return this.duplicates.get(a)?.get(b) === true || this.duplicates.get(b)?.get(a) === true;
  }

  async evaluate(model: EmbeddingModel, context: EvaluationContext = {}): Promise<Record<string, number>> {
    const pairs = await this.minePairs(model);
    // Python ints until a value is computed: ST's CSV then shows 0 rather than 0.0.
    let threshold = { value: 0, float: false };
    let best = { f1: 0, precision: 0, recall: 0, float: false };
    let extracted = 0;
    let correct = 0;
    let sumPrecision = 0;
    pairs.forEach(([score, i, j], idx) => {
      extracted++;
      if (!this.isDuplicate(this.ids[i], this.ids[j])) return;
      correct++;
      const precision = correct / extracted;
      const recall = this.totalNumDuplicates > 0 ? correct / this.totalNumDuplicates : 0;
      const f1 = (2 * precision * recall) / (precision + recall);
      sumPrecision += precision;
      if (f1 > best.f1) {
        best = { f1, precision, recall, float: true };
        threshold = { value: (score + pairs[Math.min(idx + 1, pairs.length - 1)][0]) / 2, float: true };
      }
    });
    const averagePrecision = this.totalNumDuplicates > 0 ? sumPrecision / this.totalNumDuplicates : 0;

    if (context.outputPath !== undefined && this.writeCsv) {
      const num = (v: number, float: boolean) => (float ? formatPythonFloat(v) : String(v));
      appendCsvRow(context.outputPath, this.csvFile, ['epoch', 'steps', 'precision', 'recall', 'f1', 'threshold', 'average_precision'], [
        ...epochStepsFields(context), num(best.precision, best.float), num(best.recall, best.float), num(best.f1, best.float),
        num(threshold.value, threshold.float), num(averagePrecision, this.totalNumDuplicates > 0),
      ]);
    }
    const metrics = { average_precision: averagePrecision, f1: best.f1, precision: best.precision, recall: best.recall, threshold: threshold.value };
    return this.prefixNameToMetrics(metrics, this.name);
  }

  /** ST's paraphrase_mining: the kept (score, i, j) with i < j, best score first, ties in the order of the tuples found. */
  async minePairs(model: EmbeddingModel): Promise<Candidate[]> {
    const settings = { batchSize: this.batchSize, truncateDim: this.truncateDim, showProgressBar: this.showProgressBar };
    const emb = await embed(model, this.sentences, settings, 'sentences');
    const n = this.sentences.length;
    const dim = emb.length / n;
    const search = { search: (this.searchFn ??= defaultSearch()), similarity: 'cosine' as const, device: model.device ?? 'cpu', dim };
    const k = this.topK + 1; // a sentence finds itself first; it is dropped below
    const heap = new CandidateHeap();
    let minScore = -1;
    let added = 0;
    for (let corpusStart = 0; corpusStart < n; corpusStart += this.corpusChunkSize) {
      const corpusEnd = Math.min(corpusStart + this.corpusChunkSize, n);
      const corpus = emb.subarray(corpusStart * dim, corpusEnd * dim);
      const corpusIds = Array.from({ length: corpusEnd - corpusStart }, (_, r) => corpusStart + r);
      for (let queryStart = 0; queryStart < n; queryStart += this.queryChunkSize) {
        const queryEnd = Math.min(queryStart + this.queryChunkSize, n);
        const hits = await chunkTopK(search, emb.subarray(queryStart * dim, queryEnd * dim), corpus, corpusIds, k);
        hits.forEach((row, r) => {
          const i = queryStart + r;
          for (const hit of row) {
            const j = hit.id as number;
            if (i === j || !(hit.score > minScore)) continue;
            heap.push([hit.score, i, j]);
            added++;
            if (added >= this.maxPairs) minScore = heap.pop()[0];
          }
        });
      }
    }
    const found = heap.items.sort((a, b) => (lessThan(a, b) ? -1 : lessThan(b, a) ? 1 : 0));
    const seen = new Set<number>();
    const pairs: Candidate[] = [];
    for (const [score, i, j] of found) {
      const lo = Math.min(i, j);
      const hi = Math.max(i, j);
      if (lo === hi || seen.has(lo * n + hi)) continue;
      seen.add(lo * n + hi);
      pairs.push([score, lo, hi]);
    }
    // Stable: equal scores keep the ascending tuple order in which ST pops them.
    return pairs.sort((a, b) => b[0] - a[0]);
  }

  configDict(): Record<string, unknown> {
    const out: Record<string, unknown> = { add_transitive_closure: this.addTransitiveClosure, max_pairs: this.maxPairs, top_k: this.topK };
    if (this.truncateDim !== undefined) out.truncate_dim = this.truncateDim;
    return out;
  }
}

function edges(graph: Graph, id: DocId): Map<DocId, boolean> {
  let row = graph.get(id);
  if (!row) graph.set(id, (row = new Map()));
  return row;
}

function readDuplicatesDict(dict: ParaphraseMiningEvaluatorOptions['duplicatesDict']): Graph {
  const graph: Graph = new Map();
  if (dict === undefined || dict === null) return graph;
  if (typeof dict !== 'object' || Array.isArray(dict)) throw new Error(`duplicatesDict must be an object of id -> {id: true/false}, got ${JSON.stringify(dict)}`);
  const rows: [DocId, unknown][] = dict instanceof Map ? [...dict] : Object.entries(dict);
  for (const [a, row] of rows) {
    if (row === null || typeof row !== 'object' || Array.isArray(row)) throw new Error(`duplicatesDict[${JSON.stringify(a)}] must be an object of id -> true/false, got ${JSON.stringify(row)}`);
    const cells: [DocId, unknown][] = row instanceof Map ? [...row] : Object.entries(row);
    for (const [b, v] of cells) {
      if (typeof v !== 'boolean') throw new Error(`duplicatesDict[${JSON.stringify(a)}][${JSON.stringify(b)}] must be true or false, got ${JSON.stringify(v)}`);
      edges(graph, a).set(b, v);
    }
  }
  return graph;
}

/**
 * ST's add_transitive_closure: for each id in insertion order not yet in a group, collect every id
 * reachable along listed entries (true or false alike), then mark every pair of the group a duplicate.
 */
function transitiveClosure(graph: Graph): void {
  const visited = new Set<DocId>();
  for (const a of [...graph.keys()]) {
    if (visited.has(a)) continue;
    const group = new Set<DocId>([a]);
    const queue = [...(graph.get(a)?.keys() ?? [])];
    while (queue.length > 0) {
      const node = queue.shift()!;
      if (group.has(node)) continue;
      group.add(node);
      queue.push(...(graph.get(node)?.keys() ?? []));
    }
    const members = [...group];
    for (let x = 0; x < members.length - 1; x++) {
      for (let y = x + 1; y < members.length; y++) {
        edges(graph, members[x]).set(members[y], true);
        edges(graph, members[y]).set(members[x], true);
        visited.add(members[x]);
        visited.add(members[y]);
      }
    }
  }
}
