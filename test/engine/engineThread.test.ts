/**
 * The engine thread (native/addon/EngineThread.h) and CPU attention by length groups (Attention.cpp):
 * EMBEDFORGE_NUM_THREADS sets LibTorch's thread count where the work runs, a bad value is refused by name;
 * texts of very different lengths encoded in one batch (several length groups) give each text's embedding
 * as encoded alone, and concurrent calls of two encoders all complete. The loader asks OpenMP to wait asleep.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { loadAddon, preferPassiveOpenMpWait } from '../../lib/binding/addon';
import type { NativeEncoder, PackedTexts } from '../../lib/binding/AddonTypes';
import { describeIf, missing, repoRoot } from '../helpers/requirements';

const config = JSON.stringify({
  model_type: 'bert', architectures: ['BertModel'], vocab_size: 500, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 4,
  intermediate_size: 64, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 128,
  type_vocab_size: 2, initializer_range: 0.02, layer_norm_eps: 1e-12,
});

function pack(texts: number[][]): PackedTexts {
  const cuSeqlens = new Int32Array(texts.length + 1);
  texts.forEach((t, i) => { cuSeqlens[i + 1] = cuSeqlens[i] + t.length; });
  return { inputIds: Int32Array.from(texts.flat()), cuSeqlens };
}

/** engineThreads() in a fresh process with the given environment (the thread count is read once per process). */
function threadsWith(env: Record<string, string>): string {
  const addonPath = path.join(repoRoot, 'build', 'Release', 'embedforge.node');
  const script = `const a = require(${JSON.stringify(addonPath)}); try { console.log(a.engineThreads()); } catch (e) { console.log('error: ' + e.message); }`;
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { ...process.env, ...env } }).trim();
}

describeIf(missing({ addon: true }), 'engine thread', () => {
  test('EMBEDFORGE_NUM_THREADS sets the engine thread\'s LibTorch threads; a bad value is refused by name', () => {
    expect(threadsWith({ EMBEDFORGE_NUM_THREADS: '1' })).toBe('1');
    expect(threadsWith({ EMBEDFORGE_NUM_THREADS: '3' })).toBe('3');
    expect(Number(threadsWith({ EMBEDFORGE_NUM_THREADS: '' }))).toBeGreaterThanOrEqual(1);
    for (const bad of ['0', 'two', '2x']) {
      expect(threadsWith({ EMBEDFORGE_NUM_THREADS: bad })).toBe(`error: EMBEDFORGE_NUM_THREADS must be a whole number >= 1, got "${bad}"`);
    }
  });

  test('a batch of mixed lengths (several attention length groups) embeds each text as it embeds alone', async () => {
    const addon = loadAddon();
    const enc = await addon.NativeEncoder.create({ configJson: config, pooling: 'mean', normalize: false, device: 'cpu' });
    await enc.initWeights(7);
    let seed = 3;
    const rand = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const lengths = [3, 90, 4, 88, 17, 2, 60, 61, 5, 120, 33];
    const texts = lengths.map((l) => Array.from({ length: l }, () => 1 + rand(499)));
    const together = await enc.encode(pack(texts));
    for (let i = 0; i < texts.length; i++) {
      const alone = await enc.encode(pack([texts[i]]));
      const row = together.subarray(i * 32, (i + 1) * 32);
      const worst = Math.max(...Array.from(alone, (x, j) => Math.abs(x - row[j])));
      expect(worst).toBeLessThan(1e-5);
    }
    await enc.dispose();
  });

  test('calls of two encoders at once all complete on the one engine thread', async () => {
    const addon = loadAddon();
    const encoders: NativeEncoder[] = await Promise.all([0, 1].map(() => addon.NativeEncoder.create({ configJson: config, pooling: 'cls', normalize: true, device: 'cpu' })));
    await Promise.all(encoders.map((e, i) => e.initWeights(i)));
    const batch = pack([[1, 2, 3], [4, 5, 6, 7, 8]]);
    const results = await Promise.all([...encoders, ...encoders].map((e) => e.encode(batch)));
    expect(results.map((r) => r.length)).toEqual([64, 64, 64, 64]);
    expect(Array.from(results[0])).toEqual(Array.from(results[2]));
    await Promise.all(encoders.map((e) => e.dispose()));
  });
});

describe('OpenMP wait policy', () => {
  test('PASSIVE unless the user set one', () => {
    const unset: NodeJS.ProcessEnv = {};
    preferPassiveOpenMpWait(unset);
    expect(unset.OMP_WAIT_POLICY).toBe('PASSIVE');
    const chosen: NodeJS.ProcessEnv = { OMP_WAIT_POLICY: 'ACTIVE' };
    preferPassiveOpenMpWait(chosen);
    expect(chosen.OMP_WAIT_POLICY).toBe('ACTIVE');
  });
});
