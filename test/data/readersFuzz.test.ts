/**
 * A fuzzer over the data readers (JSON, JSON lines, CSV/TSV, Parquet): valid seed files mutated (bytes
 * flipped, truncated, quotes unbalanced, huge fields, invalid UTF-8, byte-order marks, wrong nesting,
 * spans deleted or repeated). Every input must load or fail with an Error that names the file, within a
 * per-input timeout, with no unhandled rejection. A few hundred inputs normally; over 10,000 with
 * EMBEDFORGE_FULL_TESTS=1. Prints the count, the time and the distinct error messages (numbers elided).
 * The PRNG is seeded: a failure names the input number, which reproduces it.
 */
import * as fs from 'fs';
import * as path from 'path';
import { Dataset } from '../../lib/data/Dataset';
import { tmpDir } from '../helpers/requirements';
import { SeededRandom } from '../../lib/data/SeededRandom';

const full = process.env.EMBEDFORGE_FULL_TESTS === '1';
const PER_SEED = full ? 1500 : 30;
const TIMEOUT_MS = 15_000;
const dir = tmpDir('fuzz');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Seeded floats in [0, 1): the project's own generator, so every run of a seed is identical. */
function rng(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.nextFloat();
}

const rows = [
  { anchor: 'What is a tort?', positive: 'A civil wrong, “négligence” 😀.', score: 0.5, id: 0 },
  { anchor: 'Who pays "damages"?', positive: 'The liable party,\nin full.', score: 1, id: 1 },
  { anchor: 'Ünïcödé 中文', positive: '', score: 0.25, id: 2 },
];
const csvField = (v: unknown) => `"${String(v).replace(/"/g, '""')}"`;
const fixtures = path.join(__dirname, 'fixtures');

const SEEDS: { name: string; ext: string; bytes: Buffer; binary?: boolean }[] = [
  { name: 'json-array', ext: 'json', bytes: Buffer.from(JSON.stringify(rows, null, 1)) },
  { name: 'json-columns', ext: 'json', bytes: Buffer.from(JSON.stringify({ anchor: rows.map((r) => r.anchor), positive: rows.map((r) => r.positive) })) },
  { name: 'jsonl', ext: 'jsonl', bytes: Buffer.from(rows.map((r) => JSON.stringify(r)).join('\n') + '\n') },
  { name: 'csv', ext: 'csv', bytes: Buffer.from('anchor,positive,score,id\r\n' + rows.map((r) => [r.anchor, r.positive, r.score, r.id].map(csvField).join(',')).join('\r\n')) },
  { name: 'tsv', ext: 'tsv', bytes: Buffer.from('anchor\tpositive\tscore\n' + rows.map((r) => [r.anchor, r.positive.replace(/\n/g, ' '), r.score].join('\t')).join('\n')) },
  { name: 'parquet-snappy', ext: 'parquet', bytes: fs.readFileSync(path.join(fixtures, 'pairs-snappy.parquet')), binary: true },
  { name: 'parquet-plain', ext: 'parquet', bytes: fs.readFileSync(path.join(fixtures, 'pairs-plain.parquet')), binary: true },
];

type Mutation = (b: Buffer, r: () => number) => Buffer;
const at = (b: Buffer, r: () => number) => Math.floor(r() * (b.length + 1));
const insert = (b: Buffer, k: number, piece: Buffer | string) => Buffer.concat([b.subarray(0, k), Buffer.from(piece as string), b.subarray(k)]);
const pick = <T>(xs: readonly T[], r: () => number): T => xs[Math.floor(r() * xs.length)];

const BYTE_MUTATIONS: Record<string, Mutation> = {
  flip: (b, r) => {
    const out = Buffer.from(b);
    const n = 1 + Math.floor(r() * 4);
    for (let k = 0; k < n && out.length > 0; k++) out[Math.floor(r() * out.length)] ^= 1 + Math.floor(r() * 255);
    return out;
  },
  truncate: (b, r) => b.subarray(0, at(b, r)),
  deleteSpan: (b, r) => { const k = at(b, r); return Buffer.concat([b.subarray(0, k), b.subarray(k + 1 + Math.floor(r() * 32))]); },
  repeatSpan: (b, r) => { const k = at(b, r); return insert(b, k, b.subarray(k, k + 1 + Math.floor(r() * 64))); },
  zeroRun: (b, r) => { const out = Buffer.from(b); const k = Math.min(at(b, r), b.length); out.fill(0, k, Math.min(b.length, k + 8)); return out; },
};
const TEXT_MUTATIONS: Record<string, Mutation> = {
  quote: (b, r) => insert(b, at(b, r), pick(['"', "'", '""', '"\n'], r)),
  dropQuote: (b, r) => { const k = b.indexOf(0x22, at(b, r)); return k < 0 ? b : Buffer.concat([b.subarray(0, k), b.subarray(k + 1)]); },
  hugeField: (b, r) => insert(b, at(b, r), (full ? 'y' : 'x').repeat(full && r() < 0.1 ? 4_000_000 : 200_000)),
  hugeQuotedField: (b, r) => insert(b, at(b, r), `"${'q\n'.repeat(100_000)}"`),
  invalidUtf8: (b, r) => insert(b, at(b, r), Buffer.from(Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick([0x80, 0xbf, 0xc0, 0xc3, 0xe2, 0xed, 0xf0, 0xf8, 0xff], r)))),
  bom: (b, r) => (r() < 0.5 ? insert(b, 0, pick([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from([0xff, 0xfe]), Buffer.from([0xfe, 0xff])], r)) : insert(b, at(b, r), '\ufeff')),
  nesting: (b, r) => {
    const s = b.toString('latin1');
    const choices = [
      () => `[${s}]`, () => `{"data": ${s}}`, () => `[[${s}`, () => `${s}]}`,
      () => s.replace(pick(['{', '[', '}', ']'], r), pick(['[', '{', ']', '}', '[[', '{{'], r)),
      () => `${'['.repeat(100_000)}${']'.repeat(100_000)}`, () => `{"a": ${'['.repeat(5000)}1${']'.repeat(5000)}}`,
    ];
    return Buffer.from(pick(choices, r)(), 'latin1');
  },
  lineBreaks: (b, r) => insert(b, at(b, r), pick(['\n', '\r', '\r\n', '\n\n', '\t', ',', '\0', '\u2028'], r)),
  oddValues: (b, r) => insert(b, at(b, r), pick(['null', 'true', '1e400', '-0', '9007199254740993', '"__proto__"', '{}', '[]', 'NaN'], r)),
};

interface Outcome { loaded: number; failed: number; messages: Map<string, number>; problems: string[] }

async function loadWithTimeout(file: string): Promise<Dataset> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`HANG: no answer within ${TIMEOUT_MS} ms`)), TIMEOUT_MS); });
  try {
    return await Promise.race([Dataset.load(file, { onWarning: () => {} }), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** A message with the file, numbers, quoted names and JSON excerpts elided: its kind, for counting distinct messages. */
function shapeOf(message: string, file: string): string {
  return message.split(file).join('FILE')
    .replace(/(Unexpected token|Unexpected non-whitespace character).*$/s, '$1 ...')
    .replace(/(not found|got|unexpected|reader failed|reader said): .*$/s, '$1: ...')
    .replace(/'[^']*'/g, "'…'").replace(/"[^"]*"/g, '"…"')
    .replace(/\((?:which has|the first record has|columns:)? ?[^()]*\)$/, '(…)')
    .replace(/\d+/g, 'N').slice(0, 160);
}

async function fuzzSeed(seed: (typeof SEEDS)[number], seedIndex: number, outcome: Outcome): Promise<void> {
  const mutations = { ...BYTE_MUTATIONS, ...(seed.binary ? {} : TEXT_MUTATIONS) };
  const names = Object.keys(mutations);
  for (let n = 0; n < PER_SEED; n++) {
    const r = rng(seedIndex * 1_000_003 + n);
    let bytes = seed.bytes;
    const applied: string[] = [];
    for (let m = 1 + Math.floor(r() * 3); m > 0; m--) {
      const name = pick(names, r);
      applied.push(name);
      bytes = mutations[name](bytes, r);
    }
    const file = path.join(dir, `${seed.name}-${n}.${seed.ext}`);
    fs.writeFileSync(file, bytes);
    const label = `${seed.name} input ${n} (${applied.join('+')})`;
    try {
      const ds = await loadWithTimeout(file);
      if (ds.numRows < 1) outcome.problems.push(`${label}: loaded with no rows`);
      outcome.loaded++;
    } catch (e) {
      outcome.failed++;
      const isError = Object.prototype.toString.call(e) === '[object Error]';
      const message = isError ? (e as Error).message : String(e);
      if (!isError) outcome.problems.push(`${label}: rejected with a non-Error ${message}`);
      else if (message.startsWith('HANG')) outcome.problems.push(`${label}: ${message}`);
      else if (!message.includes(file)) outcome.problems.push(`${label}: the error does not name the file: ${message}`);
      else if (/Cannot read propert|is not a function|is not iterable|\[object /.test(message.replace(/the Parquet reader said: .*/s, ''))) outcome.problems.push(`${label}: an internal error leaked: ${message}`);
      else if (message.length > 1000) outcome.problems.push(`${label}: a ${message.length}-character message: ${message.slice(0, 200)}...`);
      outcome.messages.set(shapeOf(message, file), (outcome.messages.get(shapeOf(message, file)) ?? 0) + 1);
    }
    fs.rmSync(file);
  }
}

test(`fuzzing the data readers: ${PER_SEED} mutated inputs per seed file, ${SEEDS.length} seeds`, async () => {
  const outcome: Outcome = { loaded: 0, failed: 0, messages: new Map(), problems: [] };
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  const start = Date.now();
  try {
    for (const [k, seed] of SEEDS.entries()) await fuzzSeed(seed, k, outcome);
    await new Promise((resolve) => setTimeout(resolve, 50)); // let a stray rejection surface
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  const total = outcome.loaded + outcome.failed;
  const seconds = (Date.now() - start) / 1000;
  const distinct = [...outcome.messages.entries()].sort((a, b) => b[1] - a[1]);
  console.log(`readers fuzz: ${total} mutated inputs in ${seconds.toFixed(1)} s (${outcome.loaded} loaded, ${outcome.failed} refused), `
    + `${distinct.length} distinct error messages:\n${distinct.map(([m, c]) => `${String(c).padStart(6)}  ${m}`).join('\n')}`);
  expect(outcome.problems).toEqual([]);
  expect(unhandled).toEqual([]);
  expect(total).toBe(PER_SEED * SEEDS.length);
  if (full) expect(total).toBeGreaterThanOrEqual(10_000);
}, full ? 3_000_000 : 120_000);
