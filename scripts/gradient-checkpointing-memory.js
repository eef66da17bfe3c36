#!/usr/bin/env node
/**
 * Peak resident memory of one training step with and without gradient_checkpointing, on a random
 * MiniLM-shaped BERT (hidden 384, 6 layers, 12 heads, intermediate 1536, vocab 30522, dropout 0.1) at
 * batch 32 (query, passage) pairs with MultipleNegativesRankingLoss: queries 8-32 tokens, passages
 * 48-256 (--passage-min/--passage-max to change). Each mode runs in its own process so that its peak
 * (getrusage maxrss) is its own; "step" is that peak minus the resident memory just before the step
 * (weights, optimizer state not yet made: AdamW's moments appear at the first step in both modes).
 *
 * Usage: node scripts/gradient-checkpointing-memory.js [--addon build/Release/embedforge.node] [--pairs 32]
 *          [--passage-min 48] [--passage-max 256] [--seed 1]
 */
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const { parseArgs } = require('util');

const { values: opts } = parseArgs({
  options: {
    addon: { type: 'string', default: path.join(__dirname, '..', 'build', 'Release', 'embedforge.node') },
    pairs: { type: 'string', default: '32' },
    'passage-min': { type: 'string', default: '48' },
    'passage-max': { type: 'string', default: '256' },
    seed: { type: 'string', default: '1' },
    mode: { type: 'string' },
  },
});

const config = JSON.stringify({
  architectures: ['BertModel'], model_type: 'bert', vocab_size: 30522, hidden_size: 384, num_hidden_layers: 6,
  num_attention_heads: 12, intermediate_size: 1536, hidden_act: 'gelu', hidden_dropout_prob: 0.1,
  attention_probs_dropout_prob: 0.1, max_position_embeddings: 512, type_vocab_size: 2, initializer_range: 0.02,
  layer_norm_eps: 1e-12, pad_token_id: 0,
});

async function runMode(mode) {
  let state = Number(opts.seed);
  const rand = () => { state = (state * 1103515245 + 12345) % 2147483648; return state / 2147483648; };
  const between = (lo, hi) => lo + Math.floor(rand() * (hi - lo + 1));
  const text = (len) => [101, ...Array.from({ length: len - 2 }, () => between(1000, 30000)), 102];
  const pairs = Number(opts.pairs);
  const texts = [...Array.from({ length: pairs }, () => text(between(8, 32))),
    ...Array.from({ length: pairs }, () => text(between(Number(opts['passage-min']), Number(opts['passage-max']))))];
  const cuSeqlens = new Int32Array(texts.length + 1);
  texts.forEach((t, i) => { cuSeqlens[i + 1] = cuSeqlens[i] + t.length; });
  const inputIds = new Int32Array(cuSeqlens[texts.length]);
  texts.forEach((t, i) => inputIds.set(t, cuSeqlens[i]));

  const addon = require(path.resolve(opts.addon));
  addon.manualSeed(0);
  const enc = await addon.NativeEncoder.create({ configJson: config, pooling: 'mean', normalize: true, device: 'cpu' });
  await enc.initWeights(42);
  await enc.configureTraining({
    losses: [{ name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' }],
    optimizer: { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6 }, precision: 'fp32', tf32: false,
    gradientCheckpointing: mode === 'checkpointed',
  });
  const before = process.memoryUsage().rss;
  const t0 = process.hrtime.bigint();
  const r = await enc.trainStep({ texts: { inputIds, cuSeqlens }, numColumns: 2, lossDivisor: 1, optimizerStep: true, learningRate: 1e-4, maxGradNorm: 1 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peak = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(JSON.stringify({ mode, tokens: inputIds.length, loss: r.loss, seconds, before, peak }) + '\n');
}

function main() {
  if (opts.mode) return runMode(opts.mode);
  const mb = (b) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const rows = ['plain', 'checkpointed'].map((mode) => JSON.parse(execFileSync(process.execPath, [__filename, ...process.argv.slice(2), '--mode', mode], { encoding: 'utf8' })));
  console.log(`MiniLM-shaped BERT, ${opts.pairs} pairs (${rows[0].tokens} tokens), one MNRL train step with AdamW, CPU`);
  console.log('mode          loss        step time  RSS before  peak RSS   step (peak - before)');
  for (const r of rows) {
    console.log(`${r.mode.padEnd(13)} ${r.loss.toFixed(6).padEnd(11)} ${r.seconds.toFixed(2).padStart(7)} s  ${mb(r.before).padStart(10)}  ${mb(r.peak).padStart(9)}  ${mb(r.peak - r.before).padStart(9)}`);
  }
}

Promise.resolve(main()).catch((e) => { console.error(e); process.exit(1); });
