/**
 * ModernBERT as an ONNX graph, as native/engine/ModernBertEncoder.cpp computes it: token embeddings,
 * LayerNorm (no bias unless norm_bias), then pre-norm layers (layer 0 without attn_norm): fused Wqkv, rotary
 * embeddings on q and k (global or local base), attention over the whole text (global layers) or keys within
 * local_attention / 2 either side (local layers), Wo, residual; mlp_norm, Wi split into input and gate,
 * act(input) * gate, Wo, residual; final_norm. Biases only where the config asks for them.
 */
import type { EncoderWeights } from './EncoderWeights';
import { ElemType, type GraphBuilder } from './GraphBuilder';
import { activation, attention, biasOf, encoderInputs, keyIsReal, positionIds, splitHeads } from './encoderParts';

type Config = Record<string, unknown>;
const num = (c: Config, key: string, fallback: number): number => (typeof c[key] === 'number' ? (c[key] as number) : fallback);
const bool = (c: Config, key: string, fallback: boolean): boolean => (typeof c[key] === 'boolean' ? (c[key] as boolean) : fallback);

/** Which layers attend globally: layer_types when given, else every global_attn_every_n_layers-th (0, n, 2n, ...). */
function globalLayers(config: Config, layers: number): boolean[] {
  if (Array.isArray(config.layer_types)) return config.layer_types.map((t) => t === 'full_attention');
  const every = num(config, 'global_attn_every_n_layers', 3);
  return Array.from({ length: layers }, (_, n) => n % every === 0);
}

/** The rotary base of a layer type: rope_parameters' entry wins over the older global/local_rope_theta keys. */
function ropeTheta(config: Config, layerType: 'full_attention' | 'sliding_attention', key: string, fallback: number): number {
  const entry = (config.rope_parameters as Record<string, Record<string, unknown>> | undefined)?.[layerType];
  return entry && typeof entry.rope_theta === 'number' ? entry.rope_theta : num(config, key, fallback);
}

/** cos and sin (B, 1, L, headDim) of the positions' angles, inverse frequencies theta^(-2i/d) in float32 as the engine. */
function rotaryTables(g: GraphBuilder, positions: string, theta: number, headDim: number): [string, string] {
  const f = Math.fround;
  const invFreq = Array.from({ length: headDim / 2 }, (_, i) => f(1 / f(theta ** f((2 * i) / headDim))));
  const freqs = g.op('Mul', [g.op('Unsqueeze', [positions, g.ints([-1])]), g.floats(invFreq)]);  // (B, L, d/2)
  const angles = g.op('Unsqueeze', [g.op('Concat', [freqs, freqs], { axis: -1 }), g.ints([1])]);  // (B, 1, L, d)
  return [g.op('Cos', [angles]), g.op('Sin', [angles])];
}

/** x cos + rotate_half(x) sin, rotate_half(x) = (-x[d/2:], x[:d/2]), on heads (B, heads, L, d). */
function rotate(g: GraphBuilder, x: string, [cos, sin]: [string, string]): string {
  const [first, second] = g.opN('Split', [x], 2, { axis: -1 });
  const rotated = g.op('Concat', [g.op('Neg', [second]), first], { axis: -1 });
  return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rotated, sin])]);
}

/** Builds the graph into g; returns the last hidden state after final_norm (B, L, hidden). */
export function modernBertGraph(g: GraphBuilder, config: Config, weights: EncoderWeights, configFile: string): string {
  const h = num(config, 'hidden_size', 768), heads = num(config, 'num_attention_heads', 12), i = num(config, 'intermediate_size', 1152);
  const layers = num(config, 'num_hidden_layers', 22), eps = num(config, 'norm_eps', 1e-5), vocab = num(config, 'vocab_size', 50368);
  const normBias = bool(config, 'norm_bias', false), attentionBias = bool(config, 'attention_bias', false), mlpBias = bool(config, 'mlp_bias', false);
  const windowHalf = Math.floor(num(config, 'local_attention', 128) / 2);
  const act = typeof config.hidden_activation === 'string' ? config.hidden_activation : 'gelu';
  const headDim = h / heads;
  // What the engine refuses (ModernBertConfig.cpp) is refused here too, rather than exported as something else.
  if (config.rope_scaling !== undefined && config.rope_scaling !== null) throw new Error(`${configFile}: rope_scaling has no ONNX export (only default rotary embeddings)`);
  for (const entry of Object.values((config.rope_parameters ?? {}) as Record<string, Record<string, unknown>>)) {
    const type = entry?.rope_type ?? entry?.type ?? 'default';
    if (type !== 'default') throw new Error(`${configFile}: rope_parameters rope_type "${String(type)}" has no ONNX export (only "default")`);
  }
  if (typeof config.head_dim === 'number' && config.head_dim !== headDim) throw new Error(`${configFile}: head_dim ${config.head_dim} differs from hidden_size / num_attention_heads = ${headDim}`);
  const isGlobal = globalLayers(config, layers);
  if (isGlobal.length !== layers) throw new Error(`${configFile}: layer_types lists ${isGlobal.length} layers but num_hidden_layers = ${layers}`);

  const { ids, mask } = encoderInputs(g, false);
  const w = (name: string, shape: number[]) => weights.get(name, shape);
  const norm = (x: string, name: string) => g.layerNorm(x, name, w(`${name}.weight`, [h]), normBias ? w(`${name}.bias`, [h]) : undefined, eps);
  const linear = (x: string, name: string, out: number, inp: number, bias: boolean) => g.linear(x, name, w(`${name}.weight`, [out, inp]), bias ? w(`${name}.bias`, [out]) : undefined);

  let x = norm(g.op('Gather', [g.weight('embeddings.tok_embeddings.weight', w('embeddings.tok_embeddings.weight', [vocab, h])), ids]), 'embeddings.norm');

  const positions = g.op('Cast', [positionIds(g, mask, 0)], { to: ElemType.FLOAT });
  const globalRope = rotaryTables(g, positions, ropeTheta(config, 'full_attention', 'global_rope_theta', 160000), headDim);
  const localRope = rotaryTables(g, positions, ropeTheta(config, 'sliding_attention', 'local_rope_theta', 10000), headDim);
  // Global layers: every real key. Local layers: real keys with |i - j| <= windowHalf; a padding query row keeps
  // every real key (as the engine's band mask does), so that no row is empty.
  const real = keyIsReal(g, mask);  // (B, 1, 1, L)
  const length = g.op('Gather', [g.op('Shape', [ids]), g.ints([1], [])]);
  const index = g.op('Range', [g.ints([0], []), length, g.ints([1], [])]);
  const distance = g.op('Abs', [g.op('Sub', [g.op('Unsqueeze', [index, g.ints([1])]), g.op('Unsqueeze', [index, g.ints([0])])])]);  // (L, L)
  const band = g.op('LessOrEqual', [distance, g.ints([windowHalf], [])]);
  const paddingQuery = g.op('Not', [g.op('Transpose', [real], { perm: [0, 1, 3, 2] })]);  // (B, 1, L, 1)
  const globalBias = biasOf(g, real);
  const localBias = biasOf(g, g.op('And', [real, g.op('Or', [band, paddingQuery])]));

  for (let n = 0; n < layers; n++) {
    const p = `layers.${n}.`;
    const normed = n === 0 ? x : norm(x, `${p}attn_norm`);
    const [q, k, v] = g.opN('Split', [linear(normed, `${p}attn.Wqkv`, 3 * h, h, attentionBias)], 3, { axis: -1 }).map((t) => splitHeads(g, t, heads, headDim));
    const rope = isGlobal[n] ? globalRope : localRope;
    const context = attention(g, rotate(g, q, rope), rotate(g, k, rope), v, isGlobal[n] ? globalBias : localBias, headDim);
    x = g.op('Add', [x, linear(context, `${p}attn.Wo`, h, h, attentionBias)]);
    const [input, gate] = g.opN('Split', [linear(norm(x, `${p}mlp_norm`), `${p}mlp.Wi`, 2 * i, h, mlpBias)], 2, { axis: -1 });
    x = g.op('Add', [x, linear(g.op('Mul', [activation(g, input, act, configFile), gate]), `${p}mlp.Wo`, h, i, mlpBias)]);
  }
  return norm(x, 'final_norm');
}
