/**
 * An encoder's weights by the names the engine uses: a checkpoint's head prefix ("bert.", "roberta.",
 * "mpnet.", "model.") stripped as the engine strips it, each tensor's shape checked against what the config
 * implies, with errors naming the file.
 */
import { readSafetensors, type Fp32Tensor } from './readSafetensors';

export class EncoderWeights {
  private readonly tensors = new Map<string, Fp32Tensor>();

  constructor(readonly file: string, prefix: string) {
    for (const [name, t] of readSafetensors(file)) {
      const key = name.startsWith(prefix) ? name.slice(prefix.length) : name;
      if (this.tensors.has(key)) throw new Error(`${file}: tensor ${key} appears both with and without the "${prefix}" prefix`);
      this.tensors.set(key, t);
    }
  }

  has(name: string): boolean {
    return this.tensors.has(name);
  }

  /** The tensor, which must exist with this shape. */
  get(name: string, shape: number[]): Fp32Tensor {
    const t = this.tensors.get(name);
    if (!t) throw new Error(`${this.file}: missing tensor ${name} (expected shape [${shape.join(', ')}])`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new Error(`${this.file}: tensor ${name} has shape [${t.shape.join(', ')}] but the config wants [${shape.join(', ')}]`);
    }
    return t;
  }
}
