/**
 * What every sampler shares: an epoch's batches follow from (seed, epoch) alone, as sentence-transformers
 * reseeds its generator at the start of each epoch, so a sampler walks through them keeping only
 * (epoch, position), which is all a checkpoint needs to resume on the very next batch.
 */
import type { TorchGenerator, GeneratorFactory } from './TorchGenerator';

/** What a checkpoint stores: the position, and the sampler's shape, so a resume on other data fails loudly. */
export type SamplerState = { kind: string; epoch: number; position: number } & Record<string, unknown>;

export abstract class EpochSampler<Batch> {
  private epoch = 0;
  private position = 0;
  private batches: Batch[] | null = null;

  protected constructor(readonly kind: string, protected readonly newGenerator: GeneratorFactory) {}

  /**
   * sentence-transformers' `__iter__` for one epoch: the batches, drawn from `generator` at the moments
   * sentence-transformers draws them (lazily, as a Python generator runs), so that samplers sharing one
   * generator (the multi-dataset samplers) interleave their draws as there.
   */
  abstract iterate(generator: TorchGenerator, epoch: number): Generator<Batch, void, undefined>;

  /** Batches per epoch as sentence-transformers' `len(batch_sampler)`, which the Trainer plans its steps with. */
  abstract batchesPerEpoch(): number;

  /** The properties a saved state must share with this sampler to resume it. */
  protected abstract shape(): Record<string, unknown>;

  /** The batches of one epoch; the same (seed, epoch) always gives the same batches. */
  epochBatches(epoch: number): Batch[] {
    const generator = this.newGenerator();
    try {
      return [...this.iterate(generator, epoch)];
    } finally {
      generator.dispose(); // its native state is freed now, not at garbage collection
    }
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  /** Starts an epoch from its first batch (sentence-transformers' set_epoch). */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`${this.kind}: epoch must be a non-negative integer, got ${epoch}`);
    if (epoch !== this.epoch) this.batches = null;
    this.epoch = epoch;
    this.position = 0;
  }

  /** The next batch of the current epoch, or null when the epoch is over. */
  next(): Batch | null {
    this.batches ??= this.epochBatches(this.epoch);
    if (this.position >= this.batches.length) return null;
    return this.batches[this.position++];
  }

  get state(): SamplerState {
    return { kind: this.kind, epoch: this.epoch, position: this.position, ...this.shape() };
  }

  /** Continues from a saved state: the next call to next() returns the batch that followed it. */
  restore(state: SamplerState): void {
    const mine: Record<string, unknown> = { kind: this.kind, ...this.shape() };
    for (const [key, value] of Object.entries(mine)) {
      if (JSON.stringify(state[key]) !== JSON.stringify(value)) {
        throw new Error(`cannot resume: the saved sampler had ${key} = ${JSON.stringify(state[key])}, this one has ${JSON.stringify(value)}`);
      }
    }
    this.setEpoch(state.epoch);
    this.batches = this.epochBatches(state.epoch);
    if (!Number.isInteger(state.position) || state.position < 0 || state.position > this.batches.length) {
      throw new Error(`cannot resume: position ${state.position} is outside the ${this.batches.length} batches of epoch ${state.epoch}`);
    }
    this.position = state.position;
  }
}
