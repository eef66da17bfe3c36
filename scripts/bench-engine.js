#!/usr/bin/env node
/**
 * CPU timing of the native engine on a random MiniLM-shaped BERT (hidden 384, 6 layers, 12 heads,
 * intermediate 1536, vocab 30522): encode of a mixed batch, and trainStep on (query, passage) pairs
 * with MultipleNegativesRankingLoss, once without the optimizer step (the encoder's forward and
 * backward only; gradients accumulate) and once with it (plus clipping and AdamW over all 22.7M
 * parameters, a cost that does not depend on the batch). Realistic length mix: queries 8-32 tokens,
 * passages 48-256, unsorted as a training sampler delivers them.
 *
 * Usage: node scripts/bench-engine.js [--addon build/Release/embedforge.node] [--baseline OTHER.node]
 *          [--texts 16] [--pairs 8] [--reps 3] [--seed 1]
 * With --baseline both addons load in this process and run alternately on the same batches, so a
 * busy machine slows both alike; the median of --reps runs is reported after one warm-up run.
 */
'use strict';
const path = require('path');
const { parseArgs } = require('util');

const { values: opts } = parseArgs({
  options: {
    addon: { type: 'string', default: path.join(__dirname, '..', 'build', 'Release', 'embedforge.node') },
    baseline: { type: 'string' },
    texts: { type: 'string', default: '16' },
    pairs: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
  },
});
const positiveInt = (name) => {
  const n = Number(opts[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got ${opts[name]}`);
  return n;
};
const numTexts = positiveInt('texts'), numPairs = positiveInt('pairs'), reps = positiveInt('reps');

const config = JSON.stringify({
  architectures: ['BertModel'], model_type: 'bert', vocab_size: 30522, hidden_size: 384, num_hidden_layers: 6,
  num_attention_heads: 12, intermediate_size: 1536, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1, max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02,
  layer_norm_eps: 1e-12, pad_token_id: 0,
});

let state = positiveInt('seed');
const rand = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
/** [CLS] random word pieces [SEP], `len` tokens in all. */
const text = (len) => [101, ...Array.from({ length: len - 2 }, () => between(1000, 30000)), 102];
const query = () => text(between(8, 32));
const passage = () => text(between(48, 256));

function pack(texts) {
  const cuSeqlens = new Int32Array(texts.length + 1);
  texts.forEach((t, i) => { cuSeqlens[i + 1] = cuSeqlens[i] + t.length; });
  const inputIds = new Int32Array(cuSeqlens[texts.length]);
  texts.forEach((t, i) => inputIds.set(t, cuSeqlens[i]));
  return { inputIds, cuSeqlens };
}
/** Real tokens over the (B, Lmax) a padded engine computes on. */
const fill = (texts) => texts.reduce((s, t) => s + t.length, 0) / (texts.length * Math.max(...texts.map((t) => t.length)));

const encodeTexts = Array.from({ length: numTexts }, (_, i) => (i % 2 ? passage() : query()));
const anchors = Array.from({ length: numPairs }, query);
const positives = Array.from({ length: numPairs }, passage);
const trainTexts = [...anchors, ...positives];  // column-major, as the collator packs them

async function makeEncoder(addonPath) {
  const addon = require(path.resolve(addonPath));
  addon.manualSeed(0);
  const enc = await addon.NativeEncoder.create({ configJson: config, pooling: 'mean', normalize: true, device: 'cpu' });
  await enc.initWeights(42);
  await enc.configureTraining({
    losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
    optimizer: { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6 }, precision: 'fp32', tf32: false,
  });
  return enc;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const runs = [{ name: 'addon', path: opts.addon }];
  if (opts.baseline) runs.push({ name: 'baseline', path: opts.baseline });
  for (const r of runs) r.enc = await makeEncoder(r.path);
  const step = (optimizerStep) => (enc) => enc.trainStep({ texts: pack(trainTexts), numColumns: 2, lossDivisor: 1,
    optimizerStep, learningRate: 2e-5, maxGradNorm: 1 });
  const tasks = { encode: (enc) => enc.encode(pack(encodeTexts)), 'trainStep, no optimizer step': step(false),
    'trainStep with AdamW step': step(true) };
  const encodeSize = `${numTexts} texts, ${encodeTexts.flat().length} tokens, ${(100 * fill(encodeTexts)).toFixed(0)}% of padded`;
  const trainSize = `${numPairs} pairs, ${trainTexts.flat().length} tokens, ${(100 * fill(trainTexts)).toFixed(0)}% of padded`;
  const sizes = { encode: encodeSize, 'trainStep, no optimizer step': trainSize, 'trainStep with AdamW step': trainSize };
  console.log(`MiniLM-shaped BERT on the CPU, median of ${reps} after a warm-up`);
  for (const [task, fn] of Object.entries(tasks)) {
    const ms = Object.fromEntries(runs.map((r) => [r.name, []]));
    for (let i = 0; i <= reps; i++) {
      for (const r of runs) {
        const t0 = process.hrtime.bigint();
        await fn(r.enc);
        if (i > 0) ms[r.name].push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const line = runs.map((r) => `${r.name} ${median(ms[r.name]).toFixed(0)} ms`).join(', ');
    const speedup = opts.baseline ? `, speed-up x${(median(ms.baseline) / median(ms.addon)).toFixed(2)}` : '';
    console.log(`${task} (${sizes[task]}): ${line}${speedup}`);
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
