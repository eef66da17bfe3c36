/**
 * The real-model demo's generated task (model-free): the same seed gives the same task, another seed
 * other slang; held-out items are never a training positive, and every slang word the held-out queries
 * use is taught by the training queries, so the test measures learning the words, not the items.
 */
import { jargonCatalogTask } from '../../lib/demo/jargonCatalogData';

describe('jargonCatalogTask', () => {
  test('is deterministic for a seed and differs across seeds', () => {
    expect(jargonCatalogTask({ seed: 3 })).toEqual(jargonCatalogTask({ seed: 3 }));
    const a = jargonCatalogTask({ seed: 1 }).glossary;
    const b = jargonCatalogTask({ seed: 2 }).glossary;
    expect(Object.keys(a)).toEqual(Object.keys(b));
    expect(Object.keys(a).filter((w) => a[w] === b[w]).length).toBeLessThan(3);
  });

  test('held-out items are unseen in training, distinct, and their slang is taught by the training queries', () => {
    const t = jargonCatalogTask({ seed: 42, numItems: 1500, numTest: 300 });
    expect(t.train).toHaveLength(1200);
    expect(Object.keys(t.test.queries)).toHaveLength(300);
    expect(Object.keys(t.test.corpus)).toHaveLength(1500);
    const corpusTexts = Object.values(t.test.corpus);
    expect(new Set(corpusTexts).size).toBe(1500);
    const trainPositives = new Set(t.train.map((p) => p.positive));
    const trainAnchors = new Set(t.train.map((p) => p.anchor));
    for (const p of t.train) expect(corpusTexts).toContain(p.positive);
    const slang = new Set(Object.values(t.glossary));
    expect(slang.size).toBe(Object.keys(t.glossary).length);
    const taught = new Set(t.train.flatMap((p) => p.anchor.split(/[^a-z]+/)).filter((w) => slang.has(w)));
    expect(taught.size).toBe(slang.size);
    for (const [q, text] of Object.entries(t.test.queries)) {
      const [doc] = t.test.relevant_docs[q];
      expect(trainPositives.has(t.test.corpus[doc])).toBe(false);
      expect(trainAnchors.has(text)).toBe(false);
    }
    // Most attributes are said in slang: the plain-word share stays near the chosen rate (0.25).
    const words = Object.values(t.test.queries).flatMap((q) => q.split(/[^a-z]+/));
    const plain = words.filter((w) => w in t.glossary).length;
    const slangUsed = words.filter((w) => slang.has(w)).length;
    expect(plain / (plain + slangUsed)).toBeGreaterThan(0.18);
    expect(plain / (plain + slangUsed)).toBeLessThan(0.32);
  });

  test('bad sizes are refused with the value', () => {
    expect(() => jargonCatalogTask({ numItems: 10_000 })).toThrow('numItems must be an integer in [2, 6144], got 10000');
    expect(() => jargonCatalogTask({ numItems: 100, numTest: 100 })).toThrow('numTest must be an integer in [1, numItems), got 100');
  });
});
