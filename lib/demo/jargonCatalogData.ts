/**
 * The real-model demo's task: a made-up outdoor-gear shop whose staff search the catalog in their own
 * slang. Each catalog entry is plain English ("A red leather tent, built for hiking trips."); each query
 * names the same item in the shop's jargon ("any zorvik plenta in brask? it is for quimel"), one made-up
 * word per colour, material, product and use, fixed by the seed. A pre-trained model cannot know these
 * words, so it is weak here; fine-tuning can learn them, and the held-out queries (items never queried in
 * training, in combinations never seen) test that it learned the words rather than the items.
 */
import { SeededRandom } from '../data/SeededRandom';

export interface CatalogPair {
  anchor: string;
  positive: string;
}

/** InformationRetrievalEvaluator's input, as sentence-transformers takes it. */
export interface IrData {
  queries: Record<string, string>;
  corpus: Record<string, string>;
  relevant_docs: Record<string, string[]>;
}

export interface JargonCatalogTask {
  /** (jargon query, catalog entry) pairs for training. */
  train: CatalogPair[];
  /** Held-out queries against the whole catalog (training items included, as distractors). */
  test: IrData;
  /** Plain word -> the shop's word. */
  glossary: Record<string, string>;
}

export interface JargonCatalogOptions {
  seed?: number;
  /** Catalog entries (distinct colour/material/product/use combinations); at most 6,144. */
  numItems?: number;
  /** Of which this many are held out: their queries are the test set. */
  numTest?: number;
  /** Chance that a query says an attribute in plain words rather than jargon (gives the base model a little to go on). */
  plainWordRate?: number;
}

const COLORS = ['red', 'blue', 'green', 'black', 'white', 'yellow', 'orange', 'grey'];
const MATERIALS = ['leather', 'canvas', 'nylon', 'wool', 'steel', 'bamboo', 'cotton', 'rubber'];
const PRODUCTS = ['tent', 'backpack', 'jacket', 'boots', 'lantern', 'stove', 'rope', 'kettle', 'hammock', 'helmet', 'gloves', 'blanket'];
const USES = ['hiking', 'fishing', 'climbing', 'camping', 'cycling', 'skiing', 'kayaking', 'running'];

type Item = { color: string; material: string; product: string; use: string };
type Words = Item;

const ENTRY_TEMPLATES: ((w: Words) => string)[] = [
  (w) => `A ${w.color} ${w.material} ${w.product}, built for ${w.use} trips.`,
  (w) => `This ${w.product} is made of ${w.color} ${w.material} and meant for ${w.use}.`,
  (w) => `For ${w.use}: a ${w.product} in ${w.color} ${w.material}.`,
  (w) => `${w.material} ${w.product}, colour ${w.color}, recommended for ${w.use}.`,
];
const QUERY_TEMPLATES: ((w: Words) => string)[] = [
  (w) => `${w.color} ${w.material} ${w.product} for ${w.use}`,
  (w) => `need a ${w.product}, ${w.material}, ${w.color}, for ${w.use}`,
  (w) => `any ${w.color} ${w.product} in ${w.material}? it is for ${w.use}`,
  (w) => `${w.use} trip: which ${w.product} do we have in ${w.color} ${w.material}?`,
  (w) => `looking for the ${w.material} ${w.product} in ${w.color}, ${w.use} kit`,
];

const ONSETS = ['b', 'br', 'd', 'dr', 'f', 'g', 'gl', 'k', 'kr', 'l', 'm', 'n', 'p', 'pl', 'qu', 'sk', 't', 'tr', 'v', 'z'];
const VOWELS = ['a', 'e', 'i', 'o', 'u'];
const CODAS = ['k', 'l', 'm', 'n', 'nt', 'r', 'rk', 'sk', 'st', 'x'];

/** A pronounceable made-up word of two syllables ("zorvik"), not an English word in practice. */
function madeUpWord(r: SeededRandom): string {
  const pick = <T>(xs: T[]): T => xs[r.nextInt(xs.length)];
  return pick(ONSETS) + pick(VOWELS) + pick(CODAS) + pick(ONSETS) + pick(VOWELS) + pick(CODAS);
}

function shuffle<T>(xs: T[], r: SeededRandom): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = r.nextInt(i + 1);
    [xs[i], xs[j]] = [xs[j], xs[i]];
  }
  return xs;
}

export function jargonCatalogTask(o: JargonCatalogOptions = {}): JargonCatalogTask {
  const seed = o.seed ?? 42;
  const numItems = o.numItems ?? 1500;
  const numTest = o.numTest ?? 300;
  const plainWordRate = o.plainWordRate ?? 0.25;
  const all = COLORS.length * MATERIALS.length * PRODUCTS.length * USES.length;
  if (!Number.isInteger(numItems) || numItems < 2 || numItems > all) throw new Error(`numItems must be an integer in [2, ${all}], got ${numItems}`);
  if (!Number.isInteger(numTest) || numTest < 1 || numTest >= numItems) throw new Error(`numTest must be an integer in [1, numItems), got ${numTest}`);
  const r = new SeededRandom(seed);

  const glossary: Record<string, string> = {};
  const used = new Set<string>();
  for (const word of [...COLORS, ...MATERIALS, ...PRODUCTS, ...USES]) {
    let slang = madeUpWord(r);
    while (used.has(slang)) slang = madeUpWord(r);
    used.add(slang);
    glossary[word] = slang;
  }

  const combos: Item[] = [];
  for (const color of COLORS) for (const material of MATERIALS) for (const product of PRODUCTS) for (const use of USES) combos.push({ color, material, product, use });
  const items = shuffle(combos, r).slice(0, numItems);
  const pick = <T>(xs: T[]): T => xs[r.nextInt(xs.length)];
  const entries = items.map((it) => pick(ENTRY_TEMPLATES)(it));
  const query = (it: Item): string => {
    const say = (w: string): string => (r.nextFloat() < plainWordRate ? w : glossary[w]);
    return pick(QUERY_TEMPLATES)({ color: say(it.color), material: say(it.material), product: say(it.product), use: say(it.use) });
  };

  const numTrain = numItems - numTest;
  const train = items.slice(0, numTrain).map((it, i) => ({ anchor: query(it), positive: entries[i] }));
  const test: IrData = { queries: {}, corpus: {}, relevant_docs: {} };
  entries.forEach((e, i) => { test.corpus[`item-${i}`] = e; });
  for (let i = numTrain; i < numItems; i++) {
    const q = `q-${i - numTrain}`;
    test.queries[q] = query(items[i]);
    test.relevant_docs[q] = [`item-${i}`];
  }
  return { train, test, glossary };
}
