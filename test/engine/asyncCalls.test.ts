/**
 * The addon's heavy calls return at once and do their work on a worker thread: NativeEncoder.create
 * (the weights' allocation), configureTraining while another call holds the encoder (it used to wait for
 * the lock on the JS thread), searchTopK over a large corpus (it used to copy the corpus on the JS thread).
 * Each is timed on the JS thread: the synchronous part stays under 20 ms where the work takes far longer.
 */
import { loadAddon } from '../../lib/binding/addon';
import type { NativeEncoder } from '../../lib/binding/AddonTypes';
import { describeIf, missing } from '../helpers/requirements';

const SYNC_BOUND_MS = 20;

function bertConfig(overrides: Record<string, unknown>): string {
  return JSON.stringify({
    model_type: 'bert', architectures: ['BertModel'], vocab_size: 1000, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
    intermediate_size: 128, hidden_act: 'gelu', hidden_dropout_prob: 0, attention_probs_dropout_prob: 0, max_position_embeddings: 128,
    type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12, ...overrides,
  });
}

/** How long fn() holds the JS thread, and its result. */
function timed<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

describeIf(missing({ addon: true }), 'addon calls do not block the JS thread', () => {
  test('NativeEncoder.create allocates the weights on a worker thread', async () => {
    const addon = loadAddon();
    // 200,000 x 512 word embeddings (390 MiB) plus the layers: allocation and zeroing take well over 20 ms.
    const { ms, value } = timed(() => addon.NativeEncoder.create({
      configJson: bertConfig({ vocab_size: 200000, hidden_size: 512, num_attention_heads: 8, intermediate_size: 1024 }),
      pooling: 'mean', normalize: true, device: 'cpu',
    }));
    const t0 = performance.now();
    const enc = await value;
    const total = performance.now() - t0 + ms;
    process.stderr.write(`NativeEncoder.create: ${ms.toFixed(1)} ms on the JS thread of ${total.toFixed(0)} ms\n`);
    expect(ms).toBeLessThan(SYNC_BOUND_MS);
    expect(enc.embeddingDim).toBe(512);
    await enc.dispose();
  });

  test('configureTraining while a trainStep holds the encoder returns at once (it waits for the lock on a worker thread)', async () => {
    const addon = loadAddon();
    const enc: NativeEncoder = await addon.NativeEncoder.create({
      configJson: bertConfig({ hidden_size: 256, num_hidden_layers: 3, intermediate_size: 1024 }), pooling: 'mean', normalize: true, device: 'cpu',
    });
    await enc.initWeights(1);
    const spec = { losses: [{ name: 'MultipleNegativesRankingLoss' as const, scale: 20, similarity: 'cosine' as const }],
      optimizer: { weightDecay: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32' as const, tf32: false };
    await enc.configureTraining(spec);
    const ids: number[] = [];
    const cu = [0];
    for (let t = 0; t < 32; t++) {
      for (let i = 0; i < 100; i++) ids.push(1 + ((t * 31 + i * 7) % 999));
      cu.push(ids.length);
    }
    const texts = { inputIds: Int32Array.from(ids), cuSeqlens: Int32Array.from(cu) };
    const t0 = performance.now();
    const step = enc.trainStep({ texts, numColumns: 2, lossDivisor: 1, optimizerStep: true, learningRate: 1e-4, maxGradNorm: 1 });
    const { ms, value: configured } = timed(() => enc.configureTraining(spec));
    await Promise.all([step, configured]);
    const stepMs = performance.now() - t0;
    process.stderr.write(`configureTraining during a ${stepMs.toFixed(0)} ms trainStep: ${ms.toFixed(1)} ms on the JS thread\n`);
    expect(stepMs).toBeGreaterThan(2 * SYNC_BOUND_MS);
    expect(ms).toBeLessThan(SYNC_BOUND_MS);
    await enc.dispose();
  });

  test('searchTopK reads a large corpus in place: the call returns at once', async () => {
    const addon = loadAddon();
    const dim = 384;
    const corpus = new Float32Array(400_000 * dim); // 586 MiB: a copy alone takes longer than the bound
    for (let i = 0; i < corpus.length; i += 97) corpus[i] = (i % 13) - 6;
    const queries = corpus.slice(0, 4 * dim);
    const { ms, value } = timed(() => addon.searchTopK(queries, corpus, dim, 5, 'dot', 'cpu'));
    const top = await value;
    process.stderr.write(`searchTopK over ${corpus.length / dim} rows: ${ms.toFixed(1)} ms on the JS thread\n`);
    expect(ms).toBeLessThan(SYNC_BOUND_MS);
    expect(top.indices.length).toBe(4 * 5);
  });
});
