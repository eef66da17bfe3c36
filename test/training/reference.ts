/**
 * Runs scripts/reference/schedule_reference.py once per (mode, cases) and caches its answer in test/.cache,
 * keyed by a hash of the script and the cases, so re-runs do not pay Python's start-up (~7 s).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cacheDir, repoRoot, runPython } from '../helpers/requirements';

const SCRIPT = 'schedule_reference.py';

export function reference<T>(mode: 'args' | 'schedules' | 'steps' | 'state' | 'rotate', cases: unknown[]): T[] {
  const script = fs.readFileSync(path.join(repoRoot, 'scripts', 'reference', SCRIPT), 'utf8');
  const casesJson = JSON.stringify(cases);
  const key = createHash('sha256').update(script).update(mode).update(casesJson).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, 'training');
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, `${mode}-${key}.json`);
  if (fs.existsSync(out)) return JSON.parse(fs.readFileSync(out, 'utf8')) as T[];
  const input = path.join(dir, `${mode}-${key}.cases.json`);
  fs.writeFileSync(input, casesJson);
  const result = runPython(SCRIPT, [mode, input]);
  fs.rmSync(input);
  const parsed = JSON.parse(result) as T[];
  if (parsed.length !== cases.length) throw new Error(`${SCRIPT} ${mode}: ${parsed.length} answers for ${cases.length} cases`);
  fs.writeFileSync(out, result);
  return parsed;
}
