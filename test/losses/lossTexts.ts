/** Real texts for loss tests: rows of the legal (anchor, positive) set in ../shared/data. */
import * as fs from 'fs';
import * as path from 'path';

import { sharedData } from '../helpers/requirements';

export interface LegalRow { anchor: string; positive: string }

export function legalRows(n: number, offset = 0): LegalRow[] {
  const file = path.join(sharedData, 'legal-anchor-positive', 'train_dataset.json');
  const rows: LegalRow[] = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    if (offset-- > 0) continue;
    const r = JSON.parse(line) as LegalRow;
    rows.push({ anchor: r.anchor, positive: r.positive });
    if (rows.length === n) break;
  }
  return rows;
}
