/**
 * Text to token ids exactly as sentence-transformers 6.0.1 tokenizes for a model folder: the folder's
 * tokenizer.json (run by @huggingface/tokenizers, pure JS), `do_lower_case` and `max_seq_length` from
 * sentence_bert_config.json, special tokens from the post-processor, and truncation as the Hugging Face
 * fast tokenizer's `truncation="longest_first"` does for one sequence: keep the first
 * maxSeqLength - (number of special tokens) content tokens, then add the special tokens.
 *
 * transformers 5 rebuilds the pipeline of some tokenizer classes instead of running tokenizer.json as
 * written (XLM-R, RoBERTa, MPNet, BERT): the same rebuild is applied first (transformersPipeline.ts).
 * Where the JS library departs from the Rust `tokenizers` that Python uses, its parts are replaced by exact
 * ones (Precompiled charsmap, Metaspace, WhitespaceSplit, Unigram per pre-token: transformersPipeline.ts) or
 * the text is adjusted first (see `alignWithRust`); test/data/TextTokenizer.test.ts (BERT) and
 * test/data/sentencepieceTokenizers.test.ts (XLM-R, RoBERTa, MPNet, ModernBERT) check the ids against Python.
 *
 * Every distinct text is tokenized once: results are cached and the cached array is returned (do not
 * modify it). encodeManyAsync tokenizes many texts on worker threads (tokenizeWorker.ts builds the same
 * tokenizer there from its recipe), so a large data set does not block Node's event loop.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Tokenizer } from '@huggingface/tokenizers';
import { startWorker } from './startWorker';
import { alignLibraryWithRust, asTransformersBuildsIt, tokenizerClassOf } from './transformersPipeline';
import type { TokenizeReply } from './tokenizeWorker';

export interface TextTokenizerOptions {
  /** Overrides sentence_bert_config.json's max_seq_length (as `model.max_seq_length = n` in Python). */
  maxSeqLength?: number;
  /** Overrides sentence_bert_config.json's do_lower_case. */
  doLowerCase?: boolean;
}

interface JsonObject { [key: string]: any }

/** Everything a worker thread needs to build the same tokenizer: tokenizer.json's path (or its content), the
 *  tokenizer_config.json content and the settings. */
export interface TokenizerRecipe {
  tokenizerJsonPath?: string;
  tokenizerJson?: JsonObject;
  tokenizerConfig: JsonObject;
  maxSeqLength: number;
  doLowerCase: boolean;
  source: string;
}

/** Below this many new texts, encodeManyAsync tokenizes on the main thread (about 0.1-0.3 ms a text: a few ms). */
const WORKER_MIN_TEXTS = 64;
/** Texts per message to a worker: each message's copy and each reply's unpacking stay short on the main thread. */
const WORKER_CHUNK_TEXTS = 500;
const MAX_WORKERS = 4;

export class TextTokenizer {
  readonly maxSeqLength: number;
  /** The id of the pad token, or null when the tokenizer has none. */
  readonly padTokenId: number | null;
  /** Vocabulary size including added tokens (the `len(tokenizer)` of Python). */
  readonly vocabSize: number;
  /** How many special tokens the post-processor adds to one text, and how many of them precede it. */
  readonly numSpecialTokens: number;
  private readonly specialPrefix: number;
  private readonly tokenizer: Tokenizer;
  private readonly lowercases: boolean;
  private readonly handlesChineseChars: boolean;
  private readonly cache = new Map<string, Int32Array>();
  private readonly recipe: TokenizerRecipe;

  /** Reads tokenizer.json, tokenizer_config.json, sentence_bert_config.json (and config.json if needed) from a model folder. */
  static fromFolder(folder: string, options: TextTokenizerOptions = {}): TextTokenizer {
    const read = (name: string, required: boolean): JsonObject | null => {
      const file = path.join(folder, name);
      if (!fs.existsSync(file)) {
        if (required) throw new Error(`${folder} has no ${name}: a sentence-transformers model folder with a fast tokenizer (tokenizer.json) is needed`);
        return null;
      }
      try {
        return JSON.parse(fs.readFileSync(file, 'utf8'));
      } catch (e) {
        throw new Error(`${file}: ${(e as Error).message}`);
      }
    };
    const tokenizerJson = read('tokenizer.json', true)!;
    let tokenizerConfig = read('tokenizer_config.json', false) ?? {};
    const sbert = read('sentence_bert_config.json', false) ?? {};
    const config = read('config.json', false) ?? {};
    // The class AutoTokenizer picks decides whether transformers rebuilds the pipeline (transformersPipeline.ts).
    const tokenizerClass = tokenizerClassOf(tokenizerConfig, config);
    if (tokenizerClass !== undefined && tokenizerConfig.tokenizer_class === undefined) tokenizerConfig = { ...tokenizerConfig, tokenizer_class: tokenizerClass };
    let maxSeqLength: number | undefined = options.maxSeqLength ?? sbert.max_seq_length ?? undefined;
    if (maxSeqLength === undefined) {
      // As sentence-transformers without max_seq_length: the tokenizer's limit, capped by the position embeddings.
      const limits = [tokenizerConfig.model_max_length, config.max_position_embeddings].filter((x) => Number.isInteger(x) && x > 0 && x < 1e9);
      if (limits.length === 0) throw new Error(`${folder}: no max_seq_length in sentence_bert_config.json and no model_max_length/max_position_embeddings to fall back on`);
      maxSeqLength = Math.min(...limits);
    }
    const settings = { maxSeqLength, doLowerCase: options.doLowerCase ?? sbert.do_lower_case ?? false, tokenizerJsonPath: path.join(folder, 'tokenizer.json') };
    return new TextTokenizer(tokenizerJson, tokenizerConfig, settings, folder);
  }

  /** The tokenizer a recipe describes (in a worker thread: reads tokenizer.json from its path). */
  static fromRecipe(recipe: TokenizerRecipe): TextTokenizer {
    let json = recipe.tokenizerJson;
    if (!json) {
      try {
        json = JSON.parse(fs.readFileSync(recipe.tokenizerJsonPath!, 'utf8')) as JsonObject;
      } catch (e) {
        throw new Error(`${recipe.tokenizerJsonPath}: ${(e as Error).message}`);
      }
    }
    return new TextTokenizer(json, recipe.tokenizerConfig, recipe, recipe.source);
  }

  /**
   * settings.tokenizerJsonPath: where tokenizerJson was read from; worker threads read it there instead of
   * receiving a copy.
   */
  constructor(tokenizerJson: JsonObject, tokenizerConfig: JsonObject,
    settings: { maxSeqLength: number; doLowerCase: boolean; tokenizerJsonPath?: string }, source = 'tokenizer') {
    this.recipe = {
      ...(settings.tokenizerJsonPath ? { tokenizerJsonPath: settings.tokenizerJsonPath } : { tokenizerJson }),
      tokenizerConfig, maxSeqLength: settings.maxSeqLength, doLowerCase: settings.doLowerCase, source,
    };
    // A malformed tokenizer.json fails in the library with a message naming the key but not the file.
    const structureError = (e: unknown) => new Error(`${settings.tokenizerJsonPath ?? `${source} (tokenizer.json)`}: not a tokenizer file embedforge can read: ${(e as Error).message}`);
    let json: JsonObject = { ...tokenizerJson, truncation: null, padding: null };
    const sentinel = '\u0000sentinel\u0000';
    let layout: string[];
    try {
      // transformers 5 rebuilds the pipeline of some tokenizer classes from tokenizer_config.json (transformersPipeline.ts).
      json = asTransformersBuildsIt(json, tokenizerConfig);
      if (settings.doLowerCase && !hasLowercaseNormalizer(json.normalizer)) {
        // sentence-transformers prepends a Lowercase normalizer when do_lower_case is set and none is there.
        const inner = json.normalizer ? (json.normalizer.type === 'Sequence' ? json.normalizer.normalizers : [json.normalizer]) : [];
        json.normalizer = { type: 'Sequence', normalizers: [{ type: 'Lowercase' }, ...inner] };
      }
      this.tokenizer = new Tokenizer(json, tokenizerConfig);
      alignLibraryWithRust(this.tokenizer, json, settings.tokenizerJsonPath ?? source);
      this.lowercases = normalizerLowercases(json.normalizer);
      this.handlesChineseChars = normalizerHandlesChineseChars(json.normalizer);

      // Locate the text among the special tokens by post-processing a sentinel token.
      layout = this.tokenizer.post_processor
        ? (this.tokenizer.post_processor as unknown as (a: string[], b: null, special: boolean) => { tokens: string[] })([sentinel], null, true).tokens
        : [sentinel];
    } catch (e) {
      throw structureError(e);
    }
    this.specialPrefix = layout.indexOf(sentinel);
    this.numSpecialTokens = layout.length - 1;

    if (!Number.isInteger(settings.maxSeqLength) || settings.maxSeqLength <= this.numSpecialTokens) {
      throw new Error(`${source}: max_seq_length must be an integer above the ${this.numSpecialTokens} special tokens, got ${settings.maxSeqLength}`);
    }
    this.maxSeqLength = settings.maxSeqLength;
    const padToken = tokenizerConfig.pad_token;
    const padContent = typeof padToken === 'string' ? padToken : padToken?.content;
    this.padTokenId = (padContent !== undefined ? this.tokenizer.token_to_id(padContent) : tokenizerJson.padding?.pad_id) ?? null;
    this.vocabSize = this.tokenizer.get_vocab(true).size;
  }

  /** token -> id, added tokens included (Python's tokenizer.get_vocab()). */
  vocab(): Map<string, number> {
    return this.tokenizer.get_vocab(true);
  }

  get cacheSize(): number {
    return this.cache.size;
  }

  /** Forgets every cached text's ids (their memory goes at the next garbage collection). */
  clearCache(): void {
    this.cache.clear();
  }

  encode(text: string): Int32Array {
    const cached = this.cache.get(text);
    if (cached) return cached;
    if (typeof text !== 'string') throw new Error(`TextTokenizer.encode expects a string, got ${text === null ? 'null' : typeof text}`);
    const full = this.tokenizer.encode(this.alignWithRust(text), { add_special_tokens: true }).ids;
    let ids: Int32Array;
    if (full.length <= this.maxSeqLength) {
      ids = Int32Array.from(full);
    } else {
      const contentLength = full.length - this.numSpecialTokens;
      const keep = this.maxSeqLength - this.numSpecialTokens;
      ids = new Int32Array(this.maxSeqLength);
      ids.set(full.slice(0, this.specialPrefix + keep), 0);
      ids.set(full.slice(this.specialPrefix + contentLength), this.specialPrefix + keep);
    }
    this.cache.set(text, ids);
    return ids;
  }

  encodeMany(texts: readonly string[]): Int32Array[] {
    return texts.map((t) => this.encode(t));
  }

  /**
   * The same ids as encodeMany (and cached the same way), computed on worker threads when there are many
   * new texts, so the event loop keeps running; a few new texts are tokenized here.
   */
  async encodeManyAsync(texts: readonly string[]): Promise<Int32Array[]> {
    const fresh = new Set<string>();
    for (const t of texts) {
      if (typeof t !== 'string') throw new Error(`TextTokenizer.encode expects a string, got ${t === null ? 'null' : typeof t}`);
      if (!this.cache.has(t)) fresh.add(t);
    }
    if (fresh.size < WORKER_MIN_TEXTS) return this.encodeMany(texts);
    await this.tokenizeInWorkers([...fresh]);
    return texts.map((t) => this.cache.get(t) ?? this.encode(t));
  }

  /** Fills the cache for texts: contiguous shares for up to MAX_WORKERS workers, each fed chunk by chunk. */
  private async tokenizeInWorkers(texts: string[]): Promise<void> {
    const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    // One core stays free for the event loop (with every core busy, the main thread waits for the scheduler).
    const numWorkers = Math.max(1, Math.min(MAX_WORKERS, cores - 1, Math.ceil(texts.length / WORKER_CHUNK_TEXTS)));
    const share = Math.ceil(texts.length / numWorkers);
    const runs: Promise<void>[] = [];
    for (let w = 0; w < numWorkers; w++) runs.push(this.tokenizeInOneWorker(texts.slice(w * share, (w + 1) * share)));
    await Promise.all(runs);
  }

  private tokenizeInOneWorker(texts: string[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const worker = startWorker(__dirname, 'tokenizeWorker', this.recipe);
      let next = 0;
      let sent: string[] = [];
      let failed = false;
      const fail = (e: Error): void => {
        if (failed) return;
        failed = true;
        void worker.terminate();
        reject(new Error(`${this.recipe.source}: tokenization in a worker thread failed: ${e.message}`));
      };
      const sendNext = (): void => {
        sent = texts.slice(next, next + WORKER_CHUNK_TEXTS);
        next += sent.length;
        worker.postMessage(sent.length > 0 ? sent : null);
      };
      worker.on('message', (reply: TokenizeReply) => {
        sent.forEach((t, i) => this.cache.set(t, reply.ids.slice(reply.offsets[i], reply.offsets[i + 1])));
        sendNext();
      });
      worker.on('error', fail);
      worker.on('exit', (code) => {
        if (next < texts.length || code !== 0) fail(new Error(`the worker exited with code ${code} after ${next} of ${texts.length} texts`));
        else if (!failed) resolve();
      });
      sendNext();
    });
  }

  /**
   * Rust lowercases character by character, so a final capital sigma becomes σ; JavaScript's
   * toLowerCase makes it ς (a different token). Mapping Σ to σ first gives Rust's result either way.
   * The JS BertNormalizer spaces out CJK ideographs by UTF-16 unit and so misses those beyond the BMP
   * (CJK extensions B-F); Rust spaces them out, so they are spaced here first.
   */
  private alignWithRust(text: string): string {
    if (this.lowercases && text.includes('\u03a3')) text = text.replace(/\u03a3/g, '\u03c3');
    if (this.handlesChineseChars && /[\u{20000}-\u{2FA1F}]/u.test(text)) text = text.replace(ASTRAL_CJK, ' $& ');
    return text;
  }
}

/** The CJK ideographs beyond the BMP that Rust's BertNormalizer spaces out (its is_chinese_char, which skips U+2B820-U+2B91F). */
const ASTRAL_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2B81F}\u{2B920}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;

function hasLowercaseNormalizer(normalizer: JsonObject | null | undefined): boolean {
  // Mirrors sentence-transformers' _has_lowercase: a Lowercase normalizer, alone or in a Sequence (BertNormalizer does not count).
  if (!normalizer) return false;
  if (normalizer.type === 'Lowercase') return true;
  return normalizer.type === 'Sequence' && normalizer.normalizers.some((n: JsonObject) => n.type === 'Lowercase');
}

function normalizerLowercases(normalizer: JsonObject | null | undefined): boolean {
  if (!normalizer) return false;
  if (normalizer.type === 'Lowercase') return true;
  if (normalizer.type === 'BertNormalizer') return normalizer.lowercase === true;
  return normalizer.type === 'Sequence' && normalizer.normalizers.some(normalizerLowercases);
}

function normalizerHandlesChineseChars(normalizer: JsonObject | null | undefined): boolean {
  if (!normalizer) return false;
  if (normalizer.type === 'BertNormalizer') return normalizer.handle_chinese_chars === true;
  return normalizer.type === 'Sequence' && normalizer.normalizers.some(normalizerHandlesChineseChars);
}
