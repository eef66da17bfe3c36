import * as fs from 'fs';
import * as path from 'path';

/** embedforge's version from its package.json, found from lib/ (ts-jest) or dist/ (compiled). */
export function packageVersion(): string {
  for (const up of ['..', path.join('..', '..')]) {
    const p = path.join(__dirname, up, 'package.json');
    if (fs.existsSync(p)) return String((JSON.parse(fs.readFileSync(p, 'utf8')) as { version?: string }).version ?? '0.0.0');
  }
  return '0.0.0';
}
