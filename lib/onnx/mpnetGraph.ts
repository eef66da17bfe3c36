/**
 * MPNet as an ONNX graph, as native/engine/MPNetEncoder.cpp computes it: word + position embeddings
 * (positions from padding_idx + 1 = 2), LayerNorm, then BERT-style post-norm layers whose attention scores
 * get one relative-position bias shared by all layers: the bias table's row for the bucket of j - i.
 * The buckets of every distance are computed here once (as the engine does) and stored as a table.
 */
import type { EncoderWeights } from './EncoderWeights';
import type { GraphBuilder } from './GraphBuilder';
import { activation, attention, biasOf, encoderInputs, keyIsReal, positionIds, splitHeads } from './encoderParts';

type Config = Record<string, unknown>;
const num = (c: Config, key: string, fallback: number): number => (typeof c[key] === 'number' ? (c[key] as number) : fallback);

/** transformers' MPNet: padding_idx 1 whatever pad_token_id says; 32 buckets (16 per direction, 8 exact), max distance 128. */
const PADDING_IDX = 1;
const BUCKETS = 32;
const MAX_DISTANCE = 128;

/**
 * The bucket of each relative position j - i in -(maxLength - 1) .. maxLength - 1, in float32 as the engine and
 * transformers compute it (log, divide, multiply, truncate), so that distances landing on a bucket edge agree.
 */
export function relativePositionBuckets(maxLength: number): BigInt64Array {
  const perDirection = BUCKETS / 2, maxExact = perDirection / 2;
  const f = Math.fround;
  const logRatio = f(Math.log(MAX_DISTANCE / maxExact));
  const out = new BigInt64Array(2 * maxLength - 1);
  for (let r = -(maxLength - 1); r < maxLength; r++) {
    const n = Math.abs(-r);
    const direction = -r < 0 ? perDirection : 0;
    const large = Math.min(Math.trunc(f(f(f(Math.log(f(n / maxExact))) / logRatio) * (perDirection - maxExact))) + maxExact, perDirection - 1);
    out[r + maxLength - 1] = BigInt(direction + (n < maxExact ? n : large));
  }
  return out;
}

/** Builds the graph into g; returns the last hidden state (B, L, hidden). */
export function mpnetGraph(g: GraphBuilder, config: Config, weights: EncoderWeights, configFile: string): string {
  const h = num(config, 'hidden_size', 768), heads = num(config, 'num_attention_heads', 12), i = num(config, 'intermediate_size', 3072);
  const layers = num(config, 'num_hidden_layers', 12), eps = num(config, 'layer_norm_eps', 1e-12);
  const vocab = num(config, 'vocab_size', 30527), maxPos = num(config, 'max_position_embeddings', 512);
  const rows = num(config, 'relative_attention_num_buckets', BUCKETS);
  const act = typeof config.hidden_act === 'string' ? config.hidden_act : 'gelu';
  const headDim = h / heads, maxLength = maxPos - (PADDING_IDX + 1);
  if (rows < BUCKETS) throw new Error(`${configFile}: relative_attention_num_buckets ${rows} is below the ${BUCKETS} buckets transformers' MPNet reads`);

  const { ids, mask } = encoderInputs(g, false);
  const w = (name: string, shape: number[]) => weights.get(name, shape);
  const word = g.op('Gather', [g.weight('embeddings.word_embeddings.weight', w('embeddings.word_embeddings.weight', [vocab, h])), ids]);
  const position = g.op('Gather', [g.weight('embeddings.position_embeddings.weight', w('embeddings.position_embeddings.weight', [maxPos, h])),
    positionIds(g, mask, PADDING_IDX + 1)]);
  let x = g.layerNorm(g.op('Add', [word, position]), 'embeddings.LayerNorm', w('embeddings.LayerNorm.weight', [h]), w('embeddings.LayerNorm.bias', [h]), eps);

  // (1, heads, L, L): the relative bias of j - i, plus the key padding of each text.
  const length = g.op('Gather', [g.op('Shape', [ids]), g.ints([1], [])]);
  const index = g.op('Range', [g.ints([0], []), length, g.ints([1], [])]);
  const relative = g.op('Sub', [g.op('Unsqueeze', [index, g.ints([0])]), g.op('Unsqueeze', [index, g.ints([1])])]);  // [i][j] = j - i
  const bucketTable = g.intTable('relative_position_buckets', relativePositionBuckets(maxLength), [2 * maxLength - 1]);
  const buckets = g.op('Gather', [bucketTable, g.op('Add', [relative, g.ints([maxLength - 1], [])])]);
  const relBias = g.op('Gather', [g.weight('encoder.relative_attention_bias.weight', w('encoder.relative_attention_bias.weight', [rows, heads])), buckets]);
  const positionBias = g.op('Unsqueeze', [g.op('Transpose', [relBias], { perm: [2, 0, 1] }), g.ints([0])]);
  const bias = g.op('Add', [positionBias, biasOf(g, keyIsReal(g, mask))]);

  for (let n = 0; n < layers; n++) {
    const p = `encoder.layer.${n}.`;
    const lin = (input: string, name: string, out: number, inp: number) => g.linear(input, p + name, w(`${p}${name}.weight`, [out, inp]), w(`${p}${name}.bias`, [out]));
    const [q, k, v] = ['q', 'k', 'v'].map((s) => splitHeads(g, lin(x, `attention.attn.${s}`, h, h), heads, headDim));
    const a = lin(attention(g, q, k, v, bias, headDim), 'attention.attn.o', h, h);
    x = g.layerNorm(g.op('Add', [a, x]), `${p}attention.LayerNorm`, w(`${p}attention.LayerNorm.weight`, [h]), w(`${p}attention.LayerNorm.bias`, [h]), eps);
    const o = lin(activation(g, lin(x, 'intermediate.dense', i, h), act, configFile), 'output.dense', h, i);
    x = g.layerNorm(g.op('Add', [o, x]), `${p}output.LayerNorm`, w(`${p}output.LayerNorm.weight`, [h]), w(`${p}output.LayerNorm.bias`, [h]), eps);
  }
  return x;
}
