/**
 * sentence-transformers' InputExample, the row type of the legacy `model.fit` API: the texts of one
 * training example (anchor, positive, ...) and its label (0 when none is given, as there).
 */
export class InputExample {
  readonly guid: string;
  readonly texts: string[];
  readonly label: number;

  constructor(options: { guid?: string; texts: string[]; label?: number }) {
    if (!Array.isArray(options.texts) || options.texts.length === 0 || options.texts.some((t) => typeof t !== 'string')) {
      throw new Error(`InputExample: texts must be a non-empty list of strings, got ${JSON.stringify(options.texts)?.slice(0, 80)}`);
    }
    const label = options.label ?? 0;
    if (typeof label !== 'number' || !Number.isFinite(label)) throw new Error(`InputExample: label must be a finite number, got ${JSON.stringify(options.label)}`);
    this.guid = options.guid ?? '';
    this.texts = [...options.texts];
    this.label = label;
  }
}
