/**
 * What GISTEmbedLoss and CachedGISTEmbedLoss share in TypeScript: their options and the guide model.
 *
 * The guide is a frozen sentence-transformers BERT folder that the engine runs on the *model's* token
 * ids (native/engine/losses/Gist.h). So it must share the model's tokenizer: sentence-transformers
 * re-tokenizes the decoded texts for a guide whose vocabulary differs (or whose max_seq_length is
 * shorter); embedforge does not, and checkModel refuses such a guide with that explanation. A guide is a
 * folder path (config files: `guide: DIR`) or a SentenceTransformer loaded from one (its weights are read
 * from that folder, so a guide must not be trained in the same process).
 */
import * as fs from 'fs';

import type { GistLossSpecOptions } from '../binding/AddonTypes';
import { TextTokenizer } from '../data/TextTokenizer';
import { readModelFolder, type ModelFolderInfo } from '../models/ModelFolder';
import type { SentenceTransformer } from '../models/SentenceTransformer';
import { rejectLabels, requireInputColumns } from './dataRequirements';
import type { LossData, LossModel } from './Loss';
import type { LossOptions } from './LossOptions';

export type MarginStrategy = 'absolute' | 'relative';

export interface GistOptions {
  /** A sentence-transformers folder, or a SentenceTransformer loaded from one. */
  guide: SentenceTransformer | string;
  /** Divides the cosine similarities before the softmax (sentence-transformers' default 0.01). */
  temperature?: number;
  /** 'absolute' (default): a candidate the guide scores above (its positive's score - margin) is masked;
   *  'relative': above (score - |score| * margin). */
  marginStrategy?: MarginStrategy;
  margin?: number;
  /** Also contrast each anchor with the batch's other anchors (default true). */
  contrastAnchors?: boolean;
  /** Also contrast each positive with the batch's other positives (default true). */
  contrastPositives?: boolean;
}

export class GistGuide {
  readonly dir: string;
  readonly info: ModelFolderInfo;
  private tokenizer: { vocab(): Map<string, number> } | null;

  constructor(lossName: string, guide: SentenceTransformer | string) {
    const dir = typeof guide === 'string' ? guide : guide.loadedFrom;
    if (dir === null || dir === undefined || dir === '') {
      throw new Error(`${lossName}: the guide model must be a folder path or a SentenceTransformer loaded from a folder (SentenceTransformer.load), ` +
        'since the engine reads the guide\'s weights from its folder');
    }
    try {
      this.info = readModelFolder(dir);
    } catch (e) {
      throw new Error(`${lossName}: guide model: ${(e as Error).message}`);
    }
    if (!fs.existsSync(this.info.weightsPath)) throw new Error(`${lossName}: guide model ${dir} has no ${this.info.weightsPath}`);
    this.dir = dir;
    this.tokenizer = typeof guide === 'string' ? null : guide.tokenizer;
  }

  /** The guide's tokenizer must be the model's (same vocabulary) and keep texts at least as long. */
  check(lossName: string, model: LossModel): void {
    if (this.info.maxSeqLength < model.maxSeqLength) {
      throw new Error(`${lossName}: the guide model ${this.dir} has max_seq_length ${this.info.maxSeqLength}, shorter than the model's ` +
        `${model.maxSeqLength}; sentence-transformers would re-tokenize the texts for it, embedforge runs the guide on the model's ` +
        'token ids: use a guide whose max_seq_length is at least the model\'s');
    }
    this.tokenizer ??= TextTokenizer.fromFolder(this.info.transformerDir, { maxSeqLength: this.info.maxSeqLength, doLowerCase: this.info.doLowerCase });
    const mine = this.tokenizer.vocab();
    const theirs = model.tokenizer.vocab();
    let differ = mine.size !== theirs.size ? `${mine.size} tokens against the model's ${theirs.size}` : '';
    if (!differ) {
      for (const [token, id] of theirs) {
        if (mine.get(token) !== id) {
          differ = `token ${JSON.stringify(token)} is id ${mine.get(token) ?? 'absent'} in the guide, ${id} in the model`;
          break;
        }
      }
    }
    if (differ) {
      throw new Error(`${lossName}: the guide model ${this.dir} has a different tokenizer vocabulary (${differ}); sentence-transformers ` +
        're-tokenizes the texts for such a guide, embedforge runs the guide on the model\'s token ids: use a guide with the model\'s tokenizer');
    }
  }
}

export interface ResolvedGistOptions {
  guide: GistGuide;
  temperature: number;
  marginStrategy: MarginStrategy;
  margin: number;
  contrastAnchors: boolean;
  contrastPositives: boolean;
}

export function resolveGistOptions(lossName: string, o: GistOptions): ResolvedGistOptions {
  const temperature = o.temperature ?? 0.01;
  if (!(temperature > 0) || !Number.isFinite(temperature)) throw new Error(`${lossName}: temperature must be a positive number, got ${o.temperature}`);
  const marginStrategy = o.marginStrategy ?? 'absolute';
  if (marginStrategy !== 'absolute' && marginStrategy !== 'relative') {
    throw new Error(`${lossName}: margin_strategy must be 'absolute' or 'relative', got ${JSON.stringify(o.marginStrategy)}`);
  }
  const margin = o.margin ?? 0;
  if (!Number.isFinite(margin)) throw new Error(`${lossName}: margin must be a finite number, got ${o.margin}`);
  if (o.guide === undefined || o.guide === null) throw new Error(`${lossName}: a guide model is required (guide: a sentence-transformers folder)`);
  return {
    guide: new GistGuide(lossName, o.guide), temperature, marginStrategy, margin,
    contrastAnchors: o.contrastAnchors ?? true, contrastPositives: o.contrastPositives ?? true,
  };
}

/** The options of a config file (snake_case or camelCase), `guide` a folder path. */
export function gistOptionsFromConfig(o: LossOptions): GistOptions {
  return {
    guide: o.text('guide') as string,
    temperature: o.number('temperature', 0.01),
    marginStrategy: o.choice<MarginStrategy>('margin_strategy', 'absolute', { absolute: 'absolute', relative: 'relative' }),
    margin: o.number('margin', 0),
    contrastAnchors: o.boolean('contrast_anchors', true),
    contrastPositives: o.boolean('contrast_positives', true),
  };
}

export function gistSpec(o: ResolvedGistOptions): GistLossSpecOptions {
  return {
    temperature: o.temperature, marginStrategy: o.marginStrategy, margin: o.margin, contrastAnchors: o.contrastAnchors,
    contrastPositives: o.contrastPositives, guideConfigJson: o.guide.info.configJson, guideWeightsPath: o.guide.info.weightsPath,
    guidePooling: o.guide.info.pooling, guideNormalize: o.guide.info.normalize,
  };
}

export function gistConfigDict(o: ResolvedGistOptions): Record<string, unknown> {
  return {
    guide: o.guide.dir, temperature: o.temperature, margin_strategy: o.marginStrategy, margin: o.margin,
    contrast_anchors: o.contrastAnchors, contrast_positives: o.contrastPositives, gather_across_devices: false,
  };
}

export function checkGistData(lossName: string, data: LossData, maxColumns?: number): void {
  requireInputColumns(lossName, data, {
    min: 2, max: maxColumns,
    describe: maxColumns === 3 ? '(anchor, positive) or (anchor, positive, negative) input columns' : '(anchor, positive[, negative...]) input columns',
  });
  rejectLabels(lossName, data);
}
