/**
 * Graph pieces the architectures share. Tensors are padded (batch, sequence) as ONNX runtimes feed them:
 * hidden states (B, L, H), heads (B, heads, L, headDim), additive attention biases broadcast to
 * (B, heads, L, L). A key the mask hides gets float32's lowest value rather than -inf, so that masks can be
 * combined and no row of the softmax turns into NaN.
 */
import { ElemType, type GraphBuilder } from './GraphBuilder';

export const BATCH = 'batch_size';
export const SEQUENCE = 'sequence_length';
const FLOAT_LOWEST = -3.4028234663852886e38;

/** input_ids and attention_mask (int64, dynamic batch and sequence), plus token_type_ids where the model takes them. */
export function encoderInputs(g: GraphBuilder, withTokenTypes: boolean): { ids: string; mask: string; tokenTypes?: string } {
  const ids = g.input('input_ids', ElemType.INT64, [BATCH, SEQUENCE]);
  const mask = g.input('attention_mask', ElemType.INT64, [BATCH, SEQUENCE]);
  const tokenTypes = withTokenTypes ? g.input('token_type_ids', ElemType.INT64, [BATCH, SEQUENCE]) : undefined;
  return { ids, mask, tokenTypes };
}

/**
 * Each token's position within its own text plus `offset` (B, L) int64, as the engine numbers packed tokens:
 * the count of real tokens before it. Padding gets a valid row (it is masked out everywhere).
 */
export function positionIds(g: GraphBuilder, mask: string, offset: number): string {
  const before = g.op('Sub', [g.op('CumSum', [mask, g.ints([1], [])]), g.ints([1], [])]);
  return g.op('Add', [g.op('Max', [before, g.ints([0], [])]), g.ints([offset], [])]);
}

/** (B, 1, 1, L) bool: the key is a real token. */
export function keyIsReal(g: GraphBuilder, mask: string): string {
  return g.op('Unsqueeze', [g.op('Cast', [mask], { to: ElemType.BOOL }), g.ints([1, 2])]);
}

/** The additive bias of a boolean "may attend" mask: 0 where allowed, float32's lowest where not. */
export function biasOf(g: GraphBuilder, allowed: string): string {
  return g.op('Where', [allowed, g.floats([0], []), g.floats([FLOAT_LOWEST], [])]);
}

/** (B, L, heads * headDim) -> (B, heads, L, headDim). */
export function splitHeads(g: GraphBuilder, x: string, heads: number, headDim: number): string {
  return g.op('Transpose', [g.op('Reshape', [x, g.ints([0, 0, heads, headDim])])], { perm: [0, 2, 1, 3] });
}

/**
 * softmax(q k^T / sqrt(headDim) + bias) v over heads (B, heads, L, headDim), back to (B, L, heads * headDim).
 * The scale is applied to q first (as torch's SDPA math path does).
 */
export function attention(g: GraphBuilder, q: string, k: string, v: string, bias: string, headDim: number): string {
  const scaled = g.op('Mul', [q, g.floats([1 / Math.sqrt(headDim)], [])]);
  const scores = g.op('Add', [g.op('MatMul', [scaled, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), bias]);
  const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  return g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), g.ints([0, 0, -1])]);
}

/** The activations the engine implements (native/engine/Activation.cpp), by config.json's name. */
export function activation(g: GraphBuilder, x: string, name: string, file: string): string {
  switch (name) {
    case 'gelu': {
      // x * 0.5 * (1 + erf(x / sqrt 2)), torch's exact GELU.
      const erf = g.op('Erf', [g.op('Mul', [x, g.floats([Math.SQRT1_2], [])])]);
      return g.op('Mul', [g.op('Mul', [x, g.floats([0.5], [])]), g.op('Add', [erf, g.floats([1], [])])]);
    }
    case 'gelu_new':
    case 'gelu_pytorch_tanh': {
      // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), torch's tanh approximation.
      const cube = g.op('Mul', [g.op('Mul', [x, x]), x]);
      const inner = g.op('Mul', [g.op('Add', [x, g.op('Mul', [cube, g.floats([0.044715], [])])]), g.floats([Math.sqrt(2 / Math.PI)], [])]);
      return g.op('Mul', [g.op('Mul', [x, g.floats([0.5], [])]), g.op('Add', [g.op('Tanh', [inner]), g.floats([1], [])])]);
    }
    case 'relu':
      return g.op('Relu', [x]);
    case 'silu':
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    default:
      throw new Error(`${file}: activation "${name}" has no ONNX export (supported: gelu, gelu_new, gelu_pytorch_tanh, relu, silu)`);
  }
}
