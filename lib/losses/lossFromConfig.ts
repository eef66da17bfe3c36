import type { Loss } from './Loss';
import { MatryoshkaLoss } from './MatryoshkaLoss';
import { MultipleNegativesRankingLoss, type RankingLossOptions } from './MultipleNegativesRankingLoss';
import { MultipleNegativesSymmetricRankingLoss } from './MultipleNegativesSymmetricRankingLoss';

/** A loss as a config file writes it: a class name plus its options, snake_case or camelCase. */
export type LossConfig = string | { name: string; [option: string]: unknown };

const RANKING: Record<string, new (o: RankingLossOptions) => Loss> = {
  MultipleNegativesRankingLoss,
  MultipleNegativesSymmetricRankingLoss,
};

function similarityOf(value: unknown): RankingLossOptions['similarity'] {
  if (value === undefined) return undefined;
  const v = String(value).toLowerCase();
  if (['cos_sim', 'cosine', 'cos'].includes(v)) return 'cosine';
  if (['dot_score', 'dot', 'dot_product'].includes(v)) return 'dot';
  throw new Error(`unknown similarity_fct ${JSON.stringify(value)}: use cos_sim or dot_score`);
}

/**
 * Builds a loss from config, e.g. {name: "MatryoshkaLoss", matryoshka_dims: [768, 256], loss: "MultipleNegativesRankingLoss"}
 * or {name: "MultipleNegativesRankingLoss", scale: 20}.
 */
export function lossFromConfig(config: LossConfig): Loss {
  const c: Record<string, unknown> = typeof config === 'string' ? { name: config } : { ...config };
  const name = String(c.name ?? '');
  const opt = (snake: string, camel: string): unknown => c[snake] ?? c[camel];
  if (name === 'MatryoshkaLoss') {
    const inner = lossFromConfig((opt('loss', 'inner') as LossConfig | undefined) ?? 'MultipleNegativesRankingLoss');
    return new MatryoshkaLoss(inner, {
      matryoshkaDims: opt('matryoshka_dims', 'matryoshkaDims') as number[],
      matryoshkaWeights: opt('matryoshka_weights', 'matryoshkaWeights') as number[] | undefined,
    });
  }
  const Ctor = RANKING[name];
  if (!Ctor) {
    throw new Error(`unknown loss ${JSON.stringify(name)}: embedforge has ${[...Object.keys(RANKING), 'MatryoshkaLoss'].join(', ')}`);
  }
  const known = new Set(['name', 'scale', 'similarity_fct', 'similarityFct', 'similarity']);
  const unknown = Object.keys(c).filter((k) => !known.has(k));
  if (unknown.length) throw new Error(`${name}: unknown option(s) ${unknown.join(', ')}`);
  return new Ctor({
    scale: c.scale === undefined ? undefined : Number(c.scale),
    similarity: similarityOf(opt('similarity_fct', 'similarityFct') ?? c.similarity),
  });
}
