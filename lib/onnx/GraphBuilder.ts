/**
 * Builds an ONNX graph node by node (opset 17: LayerNormalization is a standard op from there) and encodes it
 * with onnx-proto's protobuf bindings. Weights go in as fp32 initializers with raw_data (little-endian, as
 * ONNX stores it: the host's order on the x64 and arm64 machines Node runs on). Values are named by the
 * builder; weights keep their Hugging Face names, so a graph viewer shows where each came from.
 */
import { onnx } from 'onnx-proto';
import type { Fp32Tensor } from './readSafetensors';

export const OPSET = 17;
/** IR version 8 is the one ONNX 1.12 pairs with opset 17: runtimes that load opset 17 read it. */
const IR_VERSION = 8;
/** protobuf's limit on one message: larger models need ONNX's external data, which this writer does not do. */
const PROTOBUF_LIMIT = 2 ** 31 - 1;

type Dim = number | string;
/** An attribute value: a number is an INT, {float} a FLOAT, a number list INTS. */
type Attribute = number | number[] | { float: number };
const { FLOAT, INT64, BOOL } = onnx.TensorProto.DataType;
export const ElemType = { FLOAT, INT64, BOOL };

function valueInfo(name: string, elemType: number, dims: Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } } },
  };
}

function bytesOf(values: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly constants = new Map<string, string>();
  private initializerBytes = 0;
  private counter = 0;

  input(name: string, elemType: number, dims: Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  /** Names `value` as a graph output: an Identity node gives it the output's name. */
  output(name: string, value: string, elemType: number, dims: Dim[]): void {
    this.nodes.push({ opType: 'Identity', input: [value], output: [name], name: `${name}_identity` });
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  private initializer(name: string, dataType: number, dims: number[], values: Float32Array | BigInt64Array): string {
    this.initializers.push({ name, dataType, dims, rawData: bytesOf(values) });
    this.initializerBytes += values.byteLength;
    return name;
  }

  /** An fp32 weight under its own name, in the shape given (default: its own). */
  weight(name: string, tensor: Fp32Tensor, shape: number[] = tensor.shape): string {
    return this.initializer(name, FLOAT, shape, tensor.data);
  }

  /** A float constant (shared by every use of the same values and shape). */
  floats(values: number[], dims: number[] = [values.length]): string {
    return this.constant('f', dims, values, () => this.initializer(this.fresh('const'), FLOAT, dims, Float32Array.from(values)));
  }

  /** An int64 constant (shared by every use of the same values and shape). */
  ints(values: number[], dims: number[] = [values.length]): string {
    return this.constant('i', dims, values, () => this.initializer(this.fresh('const'), INT64, dims, BigInt64Array.from(values.map(BigInt))));
  }

  /** A constant int64 table under a name. */
  intTable(name: string, values: BigInt64Array, dims: number[]): string {
    return this.initializer(name, INT64, dims, values);
  }

  private constant(kind: string, dims: number[], values: number[], make: () => string): string {
    const key = `${kind}:${dims.join(',')}:${values.join(',')}`;
    let name = this.constants.get(key);
    if (!name) this.constants.set(key, (name = make()));
    return name;
  }

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  /** One node; returns its output's name (an empty input name stands for an omitted optional input). */
  op(opType: string, inputs: string[], attributes: Record<string, Attribute> = {}): string {
    return this.opN(opType, inputs, 1, attributes)[0];
  }

  /** One node with `count` outputs. */
  opN(opType: string, inputs: string[], count: number, attributes: Record<string, Attribute> = {}): string[] {
    const output = Array.from({ length: count }, () => this.fresh(opType));
    const attribute = Object.entries(attributes).map(([name, v]): onnx.IAttributeProto => {
      if (typeof v === 'number') return { name, type: onnx.AttributeProto.AttributeType.INT, i: v };
      if (Array.isArray(v)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: v };
      return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: v.float };
    });
    this.nodes.push({ opType, input: inputs, output, attribute, name: output[0] });
    return output;
  }

  /** x W^T + b for a Hugging Face Linear weight (out, in): stored transposed, so the graph runs one MatMul. */
  linear(x: string, name: string, weight: Fp32Tensor, bias?: Fp32Tensor): string {
    const [out, inp] = weight.shape;
    const transposed = new Float32Array(out * inp);
    for (let o = 0; o < out; o++) for (let i = 0; i < inp; i++) transposed[i * out + o] = weight.data[o * inp + i];
    const y = this.op('MatMul', [x, this.weight(`${name}.weight`, { shape: [inp, out], data: transposed })]);
    return bias ? this.op('Add', [y, this.weight(`${name}.bias`, bias)]) : y;
  }

  /** LayerNormalization over the last axis; a norm without bias (ModernBERT) gets none. */
  layerNorm(x: string, name: string, weight: Fp32Tensor, bias: Fp32Tensor | undefined, eps: number): string {
    const inputs = [x, this.weight(`${name}.weight`, weight)];
    if (bias) inputs.push(this.weight(`${name}.bias`, bias));
    return this.op('LayerNormalization', inputs, { axis: -1, epsilon: { float: eps } });
  }

  /** The serialized model; refuses one past protobuf's 2 GB limit. */
  encode(graphName: string, producerVersion: string): Uint8Array {
    if (this.initializerBytes > PROTOBUF_LIMIT - (64 << 20)) {
      throw new Error(`ONNX export: the weights take ${(this.initializerBytes / 2 ** 30).toFixed(2)} GiB, beyond the 2 GiB a single model.onnx can hold; `
        + 'models this large need ONNX external data, which embedforge does not write yet');
    }
    const model: onnx.IModelProto = {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: '', version: OPSET }],
      producerName: 'embedforge',
      producerVersion,
      graph: { name: graphName, node: this.nodes, initializer: this.initializers, input: this.inputs, output: this.outputs },
    };
    return onnx.ModelProto.encode(model).finish();
  }
}
