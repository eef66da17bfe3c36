#!/usr/bin/env node
/**
 * Writes the example configs' data files into examples/data/ from the real text in ../shared/data
 * (or --shared DIR), in the shapes the five tutorials train on:
 *   financial-pairs-{train,test}.jsonl       (anchor, positive, id)          tutorials 000/001/003: MNRL, Matryoshka
 *   financial-labelled-{train,test}.jsonl    (sentence, label)              tutorial 002: questions labelled by their passage
 *   financial-triplets-{train,test}.jsonl    (anchor, positive, negative)   tutorial 002's TripletEvaluator
 *   financial-contrastive-train.jsonl        (query, chunk, label 1/0)      tutorial 004: relevant vs another passage
 * The financial set is LlamaIndex's Uber/Lyft 10-K questions ({queries, corpus, relevant_docs}); its own
 * val_dataset.json is used as is for 004's InformationRetrievalEvaluator. Deterministic (seeded).
 */
'use strict';
const fs = require('fs');
const path = require('path');

const args = process.argv.slice(2);
const sharedArg = args.indexOf('--shared');
const shared = path.resolve(sharedArg >= 0 ? args[sharedArg + 1] : path.join(__dirname, '..', '..', 'shared', 'data'));
const outDir = path.join(__dirname, 'data');
const financial = path.join(shared, 'llamaindex-10k-uber-lyft', 'train_dataset.json');
if (!fs.existsSync(financial)) {
  console.error(`prepare-data: ${financial} is missing; pass --shared DIR (the folder holding llamaindex-10k-uber-lyft/)`);
  process.exit(2);
}

/** A small seeded generator (mulberry32): the example data must be the same on every machine. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function writeJsonl(name, rows) {
  fs.mkdirSync(outDir, { recursive: true });
  const file = path.join(outDir, name);
  fs.writeFileSync(file + '.tmp', rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  fs.renameSync(file + '.tmp', file);
  console.log(`${path.relative(process.cwd(), file)}: ${rows.length} rows`);
}

const { queries, corpus, relevant_docs: relevant } = JSON.parse(fs.readFileSync(financial, 'utf8'));
const random = rng(42);
// A few passages of the 10-K set are empty: embedforge refuses empty texts, so their questions are left out.
const nonEmpty = (text) => typeof text === 'string' && text.trim() !== '';
const queryIds = Object.keys(queries).filter((q) => nonEmpty(queries[q]) && nonEmpty(corpus[relevant[q][0]]));
// The same 10 % of questions are held out in every shape (tutorials: train_test_split(test_size=0.1)).
const heldOut = new Set(queryIds.filter(() => random() < 0.1));
const split = (ids) => [ids.filter((q) => !heldOut.has(q)), ids.filter((q) => heldOut.has(q))];
const [trainIds, testIds] = split(queryIds);
const passageIds = Object.keys(corpus).filter((p) => nonEmpty(corpus[p]));
const passageOf = (q) => relevant[q][0];
const otherPassage = (q) => {
  for (;;) {
    const p = passageIds[Math.floor(random() * passageIds.length)];
    if (p !== passageOf(q)) return p;
  }
};

const pairs = (ids) => ids.map((q) => ({ anchor: queries[q], positive: corpus[passageOf(q)], id: queryIds.indexOf(q) }));
writeJsonl('financial-pairs-train.jsonl', pairs(trainIds));
writeJsonl('financial-pairs-test.jsonl', pairs(testIds));

// Labels: one class per passage that has at least two questions (a triplet needs a same-class partner).
const byPassage = new Map();
for (const q of queryIds) byPassage.set(passageOf(q), [...(byPassage.get(passageOf(q)) ?? []), q]);
const classOf = new Map([...byPassage.entries()].filter(([, qs]) => qs.length >= 2).map(([p], i) => [p, i]));
const labelled = (ids) => ids.filter((q) => classOf.has(passageOf(q))).map((q) => ({ sentence: queries[q], label: classOf.get(passageOf(q)) }));
writeJsonl('financial-labelled-train.jsonl', labelled(trainIds));
writeJsonl('financial-labelled-test.jsonl', labelled(testIds));

const triplets = (ids) => ids.map((q) => ({ anchor: queries[q], positive: corpus[passageOf(q)], negative: corpus[otherPassage(q)] }));
writeJsonl('financial-triplets-train.jsonl', triplets(trainIds));
writeJsonl('financial-triplets-test.jsonl', triplets(testIds));

// Tutorial 004: each question with its good chunk (1) and a bad chunk (0), in that order.
writeJsonl('financial-contrastive-train.jsonl', trainIds.flatMap((q) => [
  { query: queries[q], chunk: corpus[passageOf(q)], label: 1 },
  { query: queries[q], chunk: corpus[otherPassage(q)], label: 0 },
]));
