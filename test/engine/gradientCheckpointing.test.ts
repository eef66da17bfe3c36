/**
 * gradient_checkpointing (native/engine/LayerCheckpoint.h): with every encoder layer recomputed in the
 * backward pass, the loss and every parameter gradient equal the plain path's (relative L2 <= 1e-5 per
 * parameter) with dropout on, for each architecture: the recomputation replays the first run's dropout
 * masks, and the RNG continues afterwards as on the plain path (a second call without reseeding agrees
 * too). Also with GradCache (CachedMultipleNegativesRankingLoss re-embeds mini-batches in its backward) and
 * over optimizer steps. The masks are really random: another seed gives other gradients.
 */
import { loadAddon } from '../../lib/binding/addon';
import type { LossSpec, NativeEncoder } from '../../lib/binding/AddonTypes';
import { describeIf, missing } from '../helpers/requirements';
import { isKeyBias } from './encoderParity';
import { pack, relativeError, syntheticTexts, tinyConfig } from './fixtures';

const TOL = 1e-5;
const MPNET = JSON.stringify({
  architectures: ['MPNetModel'], model_type: 'mpnet', vocab_size: 150, hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4,
  intermediate_size: 96, hidden_act: 'gelu', hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 80,
  initializer_range: 0.02, layer_norm_eps: 1e-5, relative_attention_num_buckets: 32, pad_token_id: 1, bos_token_id: 0, eos_token_id: 2,
});
const MODERNBERT = JSON.stringify({
  architectures: ['ModernBertModel'], model_type: 'modernbert', vocab_size: 120, hidden_size: 64, intermediate_size: 50, num_hidden_layers: 3,
  num_attention_heads: 4, hidden_activation: 'gelu', max_position_embeddings: 128, initializer_range: 0.02, initializer_cutoff_factor: 2.0,
  norm_eps: 1e-5, norm_bias: false, pad_token_id: 0, eos_token_id: 2, bos_token_id: 1, cls_token_id: 1, sep_token_id: 2, attention_bias: false,
  attention_dropout: 0.1, layer_types: ['full_attention', 'sliding_attention', 'full_attention'],
  rope_parameters: { sliding_attention: { rope_type: 'default', rope_theta: 10000.0 }, full_attention: { rope_type: 'default', rope_theta: 160000.0 } },
  local_attention: 16, embedding_dropout: 0.1, mlp_bias: false, mlp_dropout: 0.1, global_attn_every_n_layers: 2,
});
const ARCHITECTURES: [string, string, number][] = [
  ['bert', tinyConfig({ hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }), 1000],
  ['mpnet', MPNET, 150],
  ['modernbert', MODERNBERT, 120],
];
const MNRL: LossSpec = { name: 'MultipleNegativesRankingLoss', scale: 20, similarity: 'cosine' };
const CACHED: LossSpec = { name: 'CachedMultipleNegativesRankingLoss', scale: 20, similarity: 'cosine', miniBatchSize: 2 };

async function encoder(config: string, loss: LossSpec, gradientCheckpointing: boolean): Promise<NativeEncoder> {
  const enc = await loadAddon().NativeEncoder.create({ configJson: config, pooling: 'mean', normalize: true, device: 'cpu' });
  await enc.initWeights(5);
  await enc.configureTraining({
    losses: [loss], optimizer: { weightDecay: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8 }, precision: 'fp32', tf32: false, gradientCheckpointing,
  });
  return enc;
}

function worstGradientError(a: Record<string, Float32Array>, b: Record<string, Float32Array>): { worst: number; name: string } {
  let worst = 0, name = '';
  for (const n of Object.keys(a)) {
    // The key bias's gradient is analytically zero (softmax ignores a per-query constant): rounding noise, not compared.
    if (isKeyBias(n)) continue;
    const e = relativeError(a[n], b[n]);
    if (!(e <= worst)) { worst = e; name = n; }
  }
  return { worst, name };
}

describeIf(missing({ addon: true }), 'gradient checkpointing: the same gradients as the plain path', () => {
  const addon = () => loadAddon();

  test.each(ARCHITECTURES)('%s: loss and every gradient with dropout on, two calls in a row', async (arch, config, vocab) => {
    const batch = { texts: pack(syntheticTexts(8, 5, 24, vocab)), numColumns: 2 };
    const plain = await encoder(config, MNRL, false);
    const checkpointed = await encoder(config, MNRL, true);
    const report: string[] = [];
    addon().manualSeed(123);
    const p1 = await plain.lossAndGradients(batch);
    const p2 = await plain.lossAndGradients(batch);
    addon().manualSeed(123);
    const c1 = await checkpointed.lossAndGradients(batch);
    const c2 = await checkpointed.lossAndGradients(batch);
    for (const [label, p, c] of [['first', p1, c1], ['second', p2, c2]] as const) {
      const { worst, name } = worstGradientError(c.gradients, p.gradients);
      report.push(`${label} call: loss ${c.loss.toFixed(7)} vs ${p.loss.toFixed(7)}, worst gradient rel err ${worst.toExponential(2)} (${name})`);
      expect(Math.abs(c.loss - p.loss)).toBeLessThanOrEqual(1e-6 * Math.abs(p.loss));
      expect({ name, ok: worst <= TOL }).toEqual({ name, ok: true });
    }
    // Not vacuous: dropout draws other masks for another seed, so the gradients differ.
    addon().manualSeed(124);
    const other = await plain.lossAndGradients(batch);
    expect(worstGradientError(other.gradients, p1.gradients).worst).toBeGreaterThan(1e-3);
    console.log(`${arch} with gradient checkpointing: ${report.join('; ')}`);
  });

  test('with GradCache (CachedMultipleNegativesRankingLoss, mini-batches of 2) and over three optimizer steps', async () => {
    const texts = pack(syntheticTexts(12, 5, 24, 1000));
    const plain = await encoder(tinyConfig({ hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }), CACHED, false);
    const checkpointed = await encoder(tinyConfig({ hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 }), CACHED, true);
    const run = async (enc: NativeEncoder) => {
      addon().manualSeed(7);
      const losses: number[] = [];
      for (let i = 0; i < 3; i++) {
        losses.push((await enc.trainStep({ texts, numColumns: 2, lossDivisor: 1, optimizerStep: true, learningRate: 1e-3, maxGradNorm: 1 })).loss);
      }
      return { losses, after: await enc.lossAndGradients({ texts, numColumns: 2 }) };
    };
    const a = await run(plain);
    const b = await run(checkpointed);
    a.losses.forEach((l, i) => expect(Math.abs(b.losses[i] - l)).toBeLessThanOrEqual(1e-6 * Math.abs(l)));
    const { worst, name } = worstGradientError(b.after.gradients, a.after.gradients);
    console.log(`GradCache + gradient checkpointing, after 3 steps: losses ${b.losses.map((l) => l.toFixed(7)).join(', ')} vs ${a.losses.map((l) => l.toFixed(7)).join(', ')}; worst gradient rel err ${worst.toExponential(2)} (${name})`);
    expect({ name, ok: worst <= TOL }).toEqual({ name, ok: true });
  });
});
