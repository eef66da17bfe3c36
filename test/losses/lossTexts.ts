/** Real texts for loss tests: n rows of the legal (anchor, positive) training set, from `offset` on. */
import { legalRows as allLegalRows } from '../helpers/texts';

export interface LegalRow { anchor: string; positive: string }

export function legalRows(n: number, offset = 0): LegalRow[] {
  return allLegalRows('train').slice(offset, offset + n).map((r) => ({ anchor: r.anchor, positive: r.positive }));
}
