import type { SimilarityFunction } from '../binding/AddonTypes';
import type { Loss } from './Loss';

/** A loss as a config file writes it: a class name plus its options, snake_case or camelCase. */
export type LossConfig = string | { name: string; [option: string]: unknown };

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/**
 * Reads one loss's options from a config object: each option by its sentence-transformers (snake_case)
 * name or its camelCase twin, with type errors naming the loss and the option, and `done()` refusing
 * options nobody read (a typo must not silently train with a default).
 */
export class LossOptions {
  private readonly used = new Set<string>(['name']);

  constructor(
    readonly lossName: string,
    private readonly raw: Record<string, unknown>,
    /** Builds a nested loss (a modifier's inner loss) through the registry. */
    private readonly build: (config: LossConfig) => Loss,
  ) {}

  private get(snake: string): unknown {
    this.used.add(snake);
    this.used.add(camel(snake));
    return this.raw[snake] ?? this.raw[camel(snake)];
  }

  private fail(snake: string, want: string, value: unknown): never {
    throw new Error(`${this.lossName}: option ${snake} must be ${want}, got ${JSON.stringify(value)}`);
  }

  number(snake: string, fallback: number): number {
    const v = this.get(snake);
    if (v === undefined || v === null) return fallback;
    const x = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof x !== 'number' || !Number.isFinite(x)) this.fail(snake, 'a finite number', v);
    return x;
  }

  integer(snake: string, fallback: number): number {
    const x = this.number(snake, fallback);
    if (!Number.isInteger(x)) this.fail(snake, 'an integer', x);
    return x;
  }

  boolean(snake: string, fallback: boolean): boolean {
    const v = this.get(snake);
    if (v === undefined || v === null) return fallback;
    if (typeof v !== 'boolean') this.fail(snake, 'true or false', v);
    return v;
  }

  /** One of `allowed` (compared case-insensitively; aliases map spellings to a value). */
  choice<T extends string>(snake: string, fallback: T, aliases: Record<string, T>): T {
    const v = this.get(snake);
    if (v === undefined || v === null) return fallback;
    const hit = aliases[String(v).toLowerCase()];
    if (hit === undefined) this.fail(snake, `one of ${Object.keys(aliases).join(', ')}`, v);
    return hit;
  }

  /** A non-empty string (e.g. a folder path), or undefined when absent. */
  text(snake: string): string | undefined {
    const v = this.get(snake);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v === '') this.fail(snake, 'a non-empty string', v);
    return v;
  }

  /** A list of strings (e.g. MultipleNegativesRankingLoss' directions), or undefined when absent. */
  textList(snake: string): string[] | undefined {
    const v = this.get(snake);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) this.fail(snake, 'a list of strings', v);
    return v as string[];
  }

  numberList(snake: string): number[] | undefined {
    const v = this.get(snake);
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) this.fail(snake, 'a list of numbers', v);
    return v as number[];
  }

  /** sentence-transformers' similarity_fct: cos_sim (default) or dot_score. */
  similarity(snake = 'similarity_fct', fallback: SimilarityFunction = 'cosine'): SimilarityFunction {
    return this.choice<SimilarityFunction>(snake, fallback, {
      cos_sim: 'cosine', cosine: 'cosine', cos: 'cosine', dot_score: 'dot', dot: 'dot', dot_product: 'dot',
    });
  }

  /** A nested loss config (name or {name, ...}), built through the registry. */
  loss(snake: string, fallback: LossConfig): Loss {
    const v = this.get(snake);
    return this.build((v ?? fallback) as LossConfig);
  }

  /** Throws naming every option that no accessor read. */
  done(): void {
    const unknown = Object.keys(this.raw).filter((k) => !this.used.has(k));
    if (unknown.length) throw new Error(`${this.lossName}: unknown option(s) ${unknown.join(', ')}`);
  }
}
