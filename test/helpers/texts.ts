/** Real texts for tests: legal questions and passages from ../shared/data, plus edge cases. */
import * as fs from 'fs';
import * as path from 'path';
import { sharedData } from './requirements';

export function legalRows(split: 'train' | 'test'): { anchor: string; positive: string; id: number; global_chunk_id: number }[] {
  const file = path.join(sharedData, 'legal-anchor-positive', `${split}_dataset.json`);
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/** n texts mixing short questions, long (truncated) passages, unicode and punctuation. */
export function sampleTexts(n: number): string[] {
  const rows = legalRows('test');
  const texts: string[] = ['Héllo wörld — naïve café?', 'A', 'what is 2+2 ... (really)!', '東京 is a city'];
  for (let i = 0; texts.length < n; i++) texts.push(i % 2 ? rows[i].positive : rows[i].anchor);
  return texts.slice(0, n);
}
