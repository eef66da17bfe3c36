/**
 * The evaluators' result files as sentence-transformers writes them with Python's csv module: a header
 * row when the file is new, then one row per evaluation, "\r\n" line endings (csv.writer's default).
 */
import * as fs from 'fs';
import * as path from 'path';
import type { EvaluationContext } from './SentenceEvaluator';
import { formatPythonFloat } from './pythonFloat';

export function appendCsvRow(outputPath: string, file: string, header: readonly string[], row: readonly string[]): void {
  fs.mkdirSync(outputPath, { recursive: true });
  const target = path.join(outputPath, file);
  const text = (fs.existsSync(target) ? '' : header.join(',') + '\r\n') + row.join(',') + '\r\n';
  fs.appendFileSync(target, text, 'utf8');
}

/** The epoch and steps columns: -1 when not given; the trainer's fractional epoch as Python writes a float. */
export function epochStepsFields(context: EvaluationContext): [string, string] {
  return [context.epoch === undefined ? '-1' : formatPythonFloat(context.epoch), String(context.steps ?? -1)];
}
