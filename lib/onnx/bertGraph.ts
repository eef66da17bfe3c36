/**
 * BERT, RoBERTa and XLM-RoBERTa as an ONNX graph, op for op as native/engine/BertEncoder.cpp computes them:
 * word + token type + position embeddings, LayerNorm, then per layer self-attention (key padding masked),
 * output projection, residual + LayerNorm, activation MLP, residual + LayerNorm (post-norm). RoBERTa's
 * positions count from pad_token_id + 1; BERT takes token_type_ids as an input, RoBERTa has no such input.
 */
import type { EncoderWeights } from './EncoderWeights';
import type { GraphBuilder } from './GraphBuilder';
import { activation, attention, biasOf, encoderInputs, keyIsReal, positionIds, splitHeads } from './encoderParts';

type Config = Record<string, unknown>;
const num = (c: Config, key: string, fallback: number): number => (typeof c[key] === 'number' ? (c[key] as number) : fallback);

/** Builds the graph into g; returns the last hidden state (B, L, hidden). */
export function bertGraph(g: GraphBuilder, config: Config, weights: EncoderWeights, configFile: string): string {
  const roberta = config.model_type === 'roberta' || config.model_type === 'xlm-roberta';
  const h = num(config, 'hidden_size', 768), heads = num(config, 'num_attention_heads', 12), i = num(config, 'intermediate_size', 3072);
  const layers = num(config, 'num_hidden_layers', 12), eps = num(config, 'layer_norm_eps', 1e-12);
  const vocab = num(config, 'vocab_size', 30522), maxPos = num(config, 'max_position_embeddings', 512), types = num(config, 'type_vocab_size', 2);
  const offset = roberta ? num(config, 'pad_token_id', 1) + 1 : 0;
  const act = typeof config.hidden_act === 'string' ? config.hidden_act : 'gelu';
  const headDim = h / heads;
  const positionType = config.position_embedding_type ?? 'absolute';
  if (positionType !== 'absolute') throw new Error(`${configFile}: position_embedding_type "${String(positionType)}" has no ONNX export (only "absolute", as the engine)`);

  const { ids, mask, tokenTypes } = encoderInputs(g, !roberta);
  const w = (name: string, shape: number[]) => weights.get(name, shape);
  const word = g.op('Gather', [g.weight('embeddings.word_embeddings.weight', w('embeddings.word_embeddings.weight', [vocab, h])), ids]);
  const typeTable = g.weight('embeddings.token_type_embeddings.weight', w('embeddings.token_type_embeddings.weight', [types, h]));
  // RoBERTa has no token types: every token takes row 0, as the engine does for all texts.
  const typeRows = tokenTypes ? g.op('Gather', [typeTable, tokenTypes]) : g.op('Gather', [typeTable, g.ints([0], [])]);
  const position = g.op('Gather', [g.weight('embeddings.position_embeddings.weight', w('embeddings.position_embeddings.weight', [maxPos, h])),
    positionIds(g, mask, offset)]);
  let x = g.op('Add', [g.op('Add', [word, typeRows]), position]);
  x = g.layerNorm(x, 'embeddings.LayerNorm', w('embeddings.LayerNorm.weight', [h]), w('embeddings.LayerNorm.bias', [h]), eps);

  const bias = biasOf(g, keyIsReal(g, mask));
  for (let n = 0; n < layers; n++) {
    const p = `encoder.layer.${n}.`;
    const proj = (name: string, out: number, inp: number) => g.linear(x, p + name, w(`${p}${name}.weight`, [out, inp]), w(`${p}${name}.bias`, [out]));
    const [q, k, v] = ['query', 'key', 'value'].map((s) => splitHeads(g, proj(`attention.self.${s}`, h, h), heads, headDim));
    const context = attention(g, q, k, v, bias, headDim);
    const a = g.linear(context, `${p}attention.output.dense`, w(`${p}attention.output.dense.weight`, [h, h]), w(`${p}attention.output.dense.bias`, [h]));
    x = g.layerNorm(g.op('Add', [a, x]), `${p}attention.output.LayerNorm`, w(`${p}attention.output.LayerNorm.weight`, [h]), w(`${p}attention.output.LayerNorm.bias`, [h]), eps);
    const hidden = activation(g, proj('intermediate.dense', i, h), act, configFile);
    const o = g.linear(hidden, `${p}output.dense`, w(`${p}output.dense.weight`, [h, i]), w(`${p}output.dense.bias`, [h]));
    x = g.layerNorm(g.op('Add', [o, x]), `${p}output.LayerNorm`, w(`${p}output.LayerNorm.weight`, [h]), w(`${p}output.LayerNorm.bias`, [h]), eps);
  }
  return x;
}
