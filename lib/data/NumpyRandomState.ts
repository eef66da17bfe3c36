/**
 * numpy's legacy global generator (np.random.seed / np.random.rand / np.random.choice(n)): MT19937 seeded as
 * RandomState seeds from an integer (init_genrand), doubles from two 32-bit draws (53 bits, as random_sample),
 * and integers in [0, n) by masked rejection on 32-bit draws (legacy randint). Only what sentence-transformers'
 * DenoisingAutoEncoderDataset.delete draws, so its noise is reproduced exactly for the same seed and words.
 */
const N = 624;
const M = 397;

export class NumpyRandomState {
  private readonly mt = new Uint32Array(N);
  private index = N;

  /** np.random.seed(seed): an integer in [0, 2^32). */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
      throw new Error(`NumpyRandomState: seed must be an integer between 0 and 2**32 - 1, got ${seed}`);
    }
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = this.mt[i - 1] ^ (this.mt[i - 1] >>> 30);
      // 1812433253 * prev + i modulo 2^32, without losing bits to float64.
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
    this.index = N;
  }

  private nextUint32(): number {
    if (this.index >= N) {
      for (let k = 0; k < N; k++) {
        const y = (this.mt[k] & 0x80000000) | (this.mt[(k + 1) % N] & 0x7fffffff);
        this.mt[k] = this.mt[(k + M) % N] ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = this.mt[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** One np.random.rand() draw in [0, 1). */
  random(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** np.random.rand(n). */
  rand(n: number): number[] {
    return Array.from({ length: n }, () => this.random());
  }

  /** np.random.choice(n) (legacy randint(0, n)): masked rejection sampling on 32-bit draws. */
  choice(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0xffffffff) throw new Error(`NumpyRandomState.choice: n must be a positive integer, got ${n}`);
    const max = n - 1;
    if (max === 0) return 0;
    let mask = max;
    for (let shift = 1; shift <= 16; shift *= 2) mask |= mask >>> shift;
    mask >>>= 0;
    for (;;) {
      const v = (this.nextUint32() & mask) >>> 0;
      if (v <= max) return v;
    }
  }
}
