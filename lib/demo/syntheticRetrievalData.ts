/**
 * The built-in demo's data: (question, passage) pairs about fictional companies, made from a seed so
 * that the demo needs no download. Each company has one passage per topic; a question names the
 * company and asks about one topic in words its passage does not use ("Where is X based?" against
 * "X keeps its headquarters in ..."), so retrieval must learn which topic words belong together, not
 * only match the company's name.
 */
import { SeededRandom } from '../data/SeededRandom';

export interface SyntheticPair {
  id: number;
  anchor: string;
  positive: string;
}

const SYLLABLES = ['var', 'nex', 'tol', 'umi', 'zer', 'qua', 'lix', 'dor', 'pen', 'sar', 'kel', 'vio', 'mab', 'rud', 'fen', 'gor', 'hal', 'ost', 'bri', 'cam'];
const CITIES = ['lisbon', 'osaka', 'denver', 'nairobi', 'oslo', 'lima', 'perth', 'quebec', 'tallinn', 'hanoi', 'porto', 'austin'];
const PRODUCTS = ['turbines', 'vaccines', 'drones', 'textiles', 'batteries', 'microchips', 'bicycles', 'fertilizer', 'satellites', 'furniture'];
const PEOPLE = ['amara', 'bruno', 'chen', 'dalia', 'emeka', 'farah', 'goran', 'hana', 'ivan', 'jonas', 'keiko', 'leila'];
const RIVALS = ['asteria', 'borealis', 'cinder', 'delphi', 'equinox', 'fulcrum', 'gossamer', 'helix'];

type Topic = (name: string, r: () => number) => [question: string, passage: string];
const pick = <T>(xs: T[], r: () => number): T => xs[Math.floor(r() * xs.length)];

const TOPICS: Topic[] = [
  (n, r) => { const c = pick(CITIES, r); return [`where is ${n} based ?`, `${n} keeps its headquarters in ${c} , close to the harbour offices .`]; },
  (n, r) => { const y = 1900 + Math.floor(r() * 120); return [`when was ${n} started ?`, `${n} was founded in ${y} by a group of former engineers .`]; },
  (n, r) => { const p = pick(PRODUCTS, r); return [`what does ${n} sell ?`, `${n} manufactures ${p} and ships them to retailers worldwide .`]; },
  (n, r) => { const p = pick(PEOPLE, r); return [`who runs ${n} ?`, `the chief executive of ${n} is ${p} , appointed by the board .`]; },
  (n, r) => { const k = 1 + Math.floor(r() * 900); return [`how many people work at ${n} ?`, `${n} employs about ${k} staff across its factories .`]; },
  (n, r) => { const v = pick(RIVALS, r); return [`which firm competes with ${n} ?`, `the main rival of ${n} in every market is ${v} .`]; },
];

export function syntheticRetrievalPairs(numCompanies = 600, seed = 7): SyntheticPair[] {
  const random = new SeededRandom(seed);
  const r = (): number => random.nextFloat();
  const names = new Set<string>();
  while (names.size < numCompanies) names.add(pick(SYLLABLES, r) + pick(SYLLABLES, r) + pick(SYLLABLES, r));
  const pairs: SyntheticPair[] = [];
  for (const name of names) {
    for (const topic of TOPICS) {
      const [anchor, positive] = topic(name, r);
      pairs.push({ id: pairs.length, anchor, positive });
    }
  }
  return pairs;
}

/** Every word the generator can emit, for the demo tokenizer's vocabulary. */
export function syntheticVocabularyWords(pairs: SyntheticPair[]): string[] {
  const words = new Set<string>();
  for (const p of pairs) for (const w of `${p.anchor} ${p.positive}`.split(/\s+/)) if (w) words.add(w);
  return [...words].sort();
}
