/**
 * The machinery of the evaluators' parity tests: a case is a text -> vector table plus evaluator specs
 * in sentence-transformers' own constructor arguments (snake_case); scripts/reference/evaluators_reference.py
 * runs ST's evaluators on it, runEvaluatorCase runs ours, and compareCase checks every metric key (in
 * order), every value (|diff| <= 1e-6, NaN only against NaN), the primary metrics and the CSV files
 * (same files, same header, same epoch/steps text, "\r\n" line ends, values within 1e-6).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { SimilarityFunction } from '../../lib/binding/AddonTypes';
import type { SentenceEvaluator } from '../../lib/evaluation/SentenceEvaluator';
import { SequentialEvaluator } from '../../lib/evaluation/SequentialEvaluator';
import { cacheDir, runPython, tmpDir } from '../helpers/requirements';
import { TextEmbeddingModel, type EmbeddingTable } from './textEmbeddings';

export const TOL = 1e-6;

export type EvaluatorType = 'triplet' | 'similarity' | 'binary' | 'reranking' | 'paraphrase';

export interface EvaluatorSpec {
  type: EvaluatorType;
  /** sentence-transformers' constructor arguments, snake_case. */
  kwargs: Record<string, unknown>;
}

export interface EvaluatorCase extends EmbeddingTable {
  label: string;
  similarity_fn_name: SimilarityFunction;
  evaluators: EvaluatorSpec[];
  sequential: boolean;
  calls: number;
  epoch: number;
  steps: number;
}

type Metrics = Record<string, number | string>;
interface CallResult {
  evaluators: { metrics: Metrics | null; primary_metric: string | null }[];
  sequential: { metrics: Metrics; primary_metric: string | null } | null;
}
export interface CaseResult {
  calls: CallResult[];
  csv: Record<string, string>;
}

const camel = (key: string): string => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

/** ST's constructor arguments under our camelCase names. */
export function camelOptions(kwargs: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(kwargs)) options[camel(key)] = value;
  return options;
}

const asJson = (metrics: Record<string, number>): Metrics => {
  const out: Metrics = {};
  for (const [k, v] of Object.entries(metrics)) out[k] = Number.isFinite(v) ? v : Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  return out;
};

export async function runEvaluatorCase(c: EvaluatorCase, build: (spec: EvaluatorSpec) => SentenceEvaluator): Promise<CaseResult> {
  const model = new TextEmbeddingModel(c, c.similarity_fn_name);
  const evaluators = c.evaluators.map(build);
  const sequential = c.sequential ? new SequentialEvaluator(evaluators) : null;
  const outputPath = tmpDir('evaluator-parity');
  const context = { outputPath, epoch: c.epoch, steps: c.steps };
  const calls: CallResult[] = [];
  for (let i = 0; i < c.calls; i++) {
    if (sequential) {
      const metrics = await sequential.evaluate(model, context);
      calls.push({ evaluators: evaluators.map((e) => ({ metrics: null, primary_metric: e.primaryMetric })), sequential: { metrics: asJson(metrics), primary_metric: sequential.primaryMetric } });
    } else {
      const per = [];
      for (const e of evaluators) per.push({ metrics: asJson(await e.evaluate(model, context)), primary_metric: e.primaryMetric });
      calls.push({ evaluators: per, sequential: null });
    }
  }
  const csv: Record<string, string> = {};
  for (const f of fs.readdirSync(outputPath).sort()) csv[f] = fs.readFileSync(path.join(outputPath, f), 'utf8');
  fs.rmSync(outputPath, { recursive: true, force: true });
  return { calls, csv };
}

/** Per evaluator type: how many values were compared and the largest |difference|. */
export const parityStats = new Map<string, { count: number; maxAbsDiff: number }>();

function compareValue(ours: number | string, ref: number | string, where: string, type: string): void {
  const st = parityStats.get(type) ?? { count: 0, maxAbsDiff: 0 };
  parityStats.set(type, st);
  st.count++;
  if (typeof ref === 'string' || typeof ours === 'string') {
    if (ours !== ref) throw new Error(`${where}: ours ${ours}, sentence-transformers ${ref}`);
    return;
  }
  const diff = Math.abs(ours - ref);
  st.maxAbsDiff = Math.max(st.maxAbsDiff, diff);
  if (!(diff <= TOL)) throw new Error(`${where}: ours ${ours}, sentence-transformers ${ref} (|diff| ${diff})`);
}

function compareMetrics(ours: Metrics, ref: Metrics, where: string, type: string): void {
  expect({ where, keys: Object.keys(ours) }).toEqual({ where, keys: Object.keys(ref) });
  for (const key of Object.keys(ref)) compareValue(ours[key], ref[key], `${where}: ${key}`, type);
}

function compareCsv(ours: Record<string, string>, ref: Record<string, string>, where: string, type: string): void {
  expect({ where, files: Object.keys(ours) }).toEqual({ where, files: Object.keys(ref) });
  for (const file of Object.keys(ref)) {
    expect(ours[file].endsWith('\r\n')).toBe(ref[file].endsWith('\r\n'));
    const a = ours[file].split('\r\n');
    const b = ref[file].split('\r\n');
    expect({ file, lines: a.length }).toEqual({ file, lines: b.length });
    expect({ file, header: a[0] }).toEqual({ file, header: b[0] });
    for (let i = 1; i < b.length; i++) {
      const fa = a[i].split(',');
      const fb = b[i].split(',');
      expect({ file, line: i, fields: fa.length }).toEqual({ file, line: i, fields: fb.length });
      expect(fa.slice(0, 2)).toEqual(fb.slice(0, 2)); // epoch, steps as Python writes them
      fb.slice(2).forEach((v, j) => {
        const ourText = fa[j + 2];
        // Python writes its int 0/-1 sentinels without a decimal point; so must we.
        expect({ file, line: i, field: j + 2, integer: !/[.en]/.test(ourText) }).toEqual({ file, line: i, field: j + 2, integer: !/[.en]/.test(v) });
        compareValue(ourText === 'nan' ? 'NaN' : Number(ourText), v === 'nan' ? 'NaN' : Number(v), `${where}: ${file} line ${i} field ${j + 2}`, type);
      });
    }
  }
}

export function compareCase(ours: CaseResult, ref: CaseResult, c: EvaluatorCase): void {
  const type = c.sequential ? 'sequential' : c.evaluators[0].type;
  expect(ours.calls.length).toBe(ref.calls.length);
  ours.calls.forEach((call, i) => {
    const r = ref.calls[i];
    expect({ call: i, primary: call.evaluators.map((e) => e.primary_metric) }).toEqual({ call: i, primary: r.evaluators.map((e) => e.primary_metric) });
    call.evaluators.forEach((e, j) => {
      if (r.evaluators[j].metrics) compareMetrics(e.metrics!, r.evaluators[j].metrics!, `${c.label}, call ${i}, evaluator ${j}`, c.evaluators[j].type);
    });
    if (r.sequential) {
      expect(call.sequential!.primary_metric).toBe(r.sequential.primary_metric);
      compareMetrics(call.sequential!.metrics, r.sequential.metrics, `${c.label}, call ${i}, sequential`, type);
    }
  });
  compareCsv(ours.csv, ref.csv, c.label, type);
}

/** sentence-transformers' results for the cases (the cases go to the script through a file under test/.cache). */
export function runReference(cases: EvaluatorCase[], fileName: string): CaseResult[] {
  fs.mkdirSync(cacheDir, { recursive: true });
  const file = path.join(cacheDir, fileName);
  fs.writeFileSync(file, JSON.stringify(cases));
  return JSON.parse(runPython('evaluators_reference.py', ['--cases', file])) as CaseResult[];
}

/** One line per evaluator type compared in this suite: the count of values and the largest |diff|. */
export function logParityStats(suite: string): void {
  const lines = [...parityStats].map(([type, st]) => `${suite} parity (${type}): ${st.count} values compared, max |diff| vs sentence-transformers = ${st.maxAbsDiff}`);
  if (lines.length) console.log(lines.join('\n'));
}
