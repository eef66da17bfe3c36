/**
 * A sentence-transformers model: BERT-family Transformer -> Pooling -> optional Normalize, with its
 * tokenizer. Weights and tensor work live in the native encoder; this class owns the folder format,
 * tokenization, batching of encode() and the model card. dispose() frees the native memory at once; a
 * disposed model throws "this model was disposed" when used.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Device, NativeEncoder, PoolingMode, SimilarityFunction } from '../binding/AddonTypes';
import { loadAddon } from '../binding/addon';
import { packTexts } from '../data/collate';
import { TextTokenizer } from '../data/TextTokenizer';
import type { EmbeddingModel, EncodeOptions } from '../evaluation/EmbeddingModel';
import type { HubDownloadOptions } from '../hub/downloadModel';
import { pushFolderToHub, qualifiedRepoId, type PushResult, type PushToHubOptions } from '../hub/pushToHub';
import { resolveModelPath } from '../hub/resolveModelPath';
import { writeOnnxExport } from '../onnx/exportOnnx';
import { writeDirAtomic } from '../training/atomicWrite';
import { fit, type FitOptions } from '../training/fit';
import { resolveDevice } from './device';
import { readModelFolder } from './ModelFolder';
import { renderModelCard, type ModelCardData } from './modelCard';
import { packageVersion } from './packageVersion';
import { writeModelFolderConfigs } from './writeModelFolderConfigs';

/** Tokenizer files copied verbatim into a saved folder when present. */
const TOKENIZER_FILES = ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'vocab.txt'];

export interface LoadOptions extends Pick<HubDownloadOptions, 'revision' | 'token' | 'cacheDir'> {
  /** 'cpu', 'cuda' or 'auto' (default: cuda when available). */
  device?: string;
}

export interface SaveOptions {
  /** Also write onnx/model.onnx: the encoder's token embeddings for onnxruntime and transformers.js. */
  onnx?: boolean;
}

export interface CreateOptions extends LoadOptions {
  /** Hugging Face config.json of the encoder. */
  config: Record<string, unknown>;
  /** Folder holding tokenizer.json (and tokenizer_config.json, vocab.txt). */
  tokenizerDir: string;
  pooling: PoolingMode;
  normalize: boolean;
  maxSeqLength: number;
  seed: number;
}

export class SentenceTransformer implements EmbeddingModel {
  /** Set by the trainer and shown in the model card. */
  modelCardData: ModelCardData = {};
  /** The folder load() read this model from (null for a model created in memory): where a loss that runs
   *  this model as a frozen guide (GISTEmbedLoss) reads its weights. */
  loadedFrom: string | null = null;

  private constructor(
    readonly native: NativeEncoder,
    readonly tokenizer: TextTokenizer,
    readonly device: Device,
    readonly config: Record<string, unknown>,
    readonly pooling: PoolingMode,
    readonly normalize: boolean,
    readonly maxSeqLength: number,
    readonly doLowerCase: boolean,
    readonly similarityFnName: SimilarityFunction,
    private readonly tokenizerDir: string,
    private readonly extraConfig: Record<string, unknown>,
    /** config.json as read, written back byte for byte: JSON.stringify turns 2.0 into 2, which transformers'
     *  typed configs refuse for float fields (ModernBERT's initializer_cutoff_factor). */
    private readonly configText: string,
  ) {}

  /**
   * Loads a sentence-transformers (or plain Hugging Face BERT) folder, or a hub id such as `BAAI/bge-base-en-v1.5`
   * (a local path of that name wins) through the Hugging Face cache (`revision`, `token`, `cacheDir`).
   */
  static async load(modelPath: string, options: LoadOptions = {}): Promise<SentenceTransformer> {
    const resolved = await resolveModelPath(modelPath, options);
    const dir = resolved.dir;
    const info = readModelFolder(dir);
    const device = resolveDevice(options.device);
    const { NativeEncoder } = loadAddon();
    const native = await NativeEncoder.create({ configJson: info.configJson, pooling: info.pooling, normalize: info.normalize, device });
    try {
      await native.loadWeights(info.weightsPath);
    } catch (e) {
      await native.dispose();
      const message = (e as Error).message; // the engine's errors name the file already; others get it here
      throw new Error(message.includes(info.weightsPath) ? message : `${info.weightsPath}: ${message}`);
    }
    const tokenizer = TextTokenizer.fromFolder(info.transformerDir, { maxSeqLength: info.maxSeqLength, doLowerCase: info.doLowerCase });
    const model = new SentenceTransformer(native, tokenizer, device, info.config, info.pooling, info.normalize,
      info.maxSeqLength, info.doLowerCase, info.similarityFunction, info.transformerDir, info.sentenceTransformersConfig, info.configJson);
    model.modelCardData.baseModel = resolved.repoId ?? baseModelName(info.config, dir);
    model.loadedFrom = dir;
    return model;
  }

  /** A new randomly initialised model (BERT initialisation) of the given config, for training from scratch and tests. */
  static async create(options: CreateOptions): Promise<SentenceTransformer> {
    const device = resolveDevice(options.device);
    const { NativeEncoder } = loadAddon();
    const configJson = JSON.stringify(options.config, null, 2) + '\n';
    const native = await NativeEncoder.create({ configJson, pooling: options.pooling, normalize: options.normalize, device });
    await native.initWeights(options.seed);
    const tokenizer = TextTokenizer.fromFolder(options.tokenizerDir, { maxSeqLength: options.maxSeqLength, doLowerCase: false });
    return new SentenceTransformer(native, tokenizer, device, options.config, options.pooling, options.normalize,
      options.maxSeqLength, false, 'cosine', options.tokenizerDir, {}, configJson);
  }

  get embeddingDim(): number {
    return this.native.embeddingDim;
  }

  /** True once dispose() was called. */
  get disposed(): boolean {
    return this.native.disposed;
  }

  /**
   * Frees the model's native memory now (weights, optimizer state, CUDA memory) and the tokenizer's cache,
   * instead of when the garbage collector gets round to it. Any later use throws "this model was disposed".
   */
  async dispose(): Promise<void> {
    if (this.native.disposed) return;
    this.tokenizer.clearCache();
    await this.native.dispose();
  }

  private ensureLive(method: string): void {
    if (this.native.disposed) throw new Error(`SentenceTransformer.${method}: this model was disposed`);
  }

  /** Token ids of each text, special tokens added, truncated to maxSeqLength (cached by the tokenizer). */
  tokenize(texts: string[]): Int32Array[] {
    this.ensureLive('tokenize');
    return texts.map((t) => this.tokenizer.encode(t));
  }

  /** The same ids as tokenize(), computed on worker threads when there are many new texts (a training set). */
  async tokenizeAsync(texts: string[]): Promise<Int32Array[]> {
    this.ensureLive('tokenize');
    return this.tokenizer.encodeManyAsync(texts);
  }

  /**
   * Embeddings of the texts, row-major (texts.length x dim). Texts are batched by length (longest
   * first) so padding inside a batch stays small; rows come back in input order.
   */
  async encode(texts: string[], options: EncodeOptions = {}): Promise<Float32Array> {
    this.ensureLive('encode');
    const batchSize = options.batchSize ?? 32;
    if (!Number.isInteger(batchSize) || batchSize <= 0) throw new Error(`encode: batchSize must be a positive integer, got ${batchSize}`);
    const dim = this.embeddingDim;
    const outDim = options.truncateDim ?? dim;
    if (!Number.isInteger(outDim) || outDim <= 0 || outDim > dim) throw new Error(`encode: truncateDim ${options.truncateDim} must be between 1 and ${dim}`);
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new Error(`encode: text ${i} is ${typeof t}, not a string`);
    });
    const ids = await this.tokenizeAsync(texts);
    // Texts that tokenize alike are embedded once: a corpus's repeated chunks cost nothing, and they get exactly
    // the same embedding (a batch's other texts would move it by rounding), so their scores tie exactly and
    // retrieval breaks the tie by id, as sentence-transformers does for duplicates it embeds in one batch.
    const { unique, firstOf } = uniqueRows(ids);
    const order = unique.map((_, i) => i).sort((a, b) => ids[unique[b]].length - ids[unique[a]].length);
    const embedded = new Float32Array(unique.length * outDim);
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const emb = await this.native.encode(packTexts(rows.map((u) => ids[unique[u]])));
      rows.forEach((u, j) => {
        const v = emb.subarray(j * dim, j * dim + outDim);
        if (options.normalizeEmbeddings) {
          let norm = 0;
          for (let k = 0; k < outDim; k++) norm += v[k] * v[k];
          const s = 1 / Math.max(Math.sqrt(norm), 1e-12);
          for (let k = 0; k < outDim; k++) embedded[u * outDim + k] = v[k] * s;
        } else {
          embedded.set(v, u * outDim);
        }
      });
    }
    if (unique.length === texts.length) return embedded;
    const out = new Float32Array(texts.length * outDim);
    firstOf.forEach((u, r) => out.set(embedded.subarray(u * outDim, (u + 1) * outDim), r * outDim));
    return out;
  }

  /** Writes a sentence-transformers folder atomically: it appears complete or not at all. */
  /**
   * The legacy training call (sentence-transformers 2's model.fit), run on the Trainer as
   * sentence-transformers 3+ runs it; see lib/training/fit.ts for what it sets up.
   */
  async fit(options: FitOptions): Promise<void> {
    await fit(this, options);
  }

  /** Writes the folder atomically; `onnx: true` adds onnx/model.onnx (lib/onnx/exportOnnx.ts), the layout transformers.js loads. */
  async save(dir: string, options: SaveOptions = {}): Promise<void> {
    await writeDirAtomic(dir, async (tmp) => {
      await this.saveInto(tmp);
      if (options.onnx) await writeOnnxExport(tmp);
    });
  }

  /**
   * Saves the model with its card to a temporary folder and uploads it to the hub repository `repo` (created,
   * private if asked, unless it exists), as sentence-transformers' push_to_hub. Returns the commit's URL and id.
   */
  async pushToHub(repo: string, options: PushToHubOptions = {}): Promise<PushResult> {
    this.modelCardData.modelId = await qualifiedRepoId(repo, options.token); // the card's usage examples load it by this id
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'embedforge-push-'));
    try {
      await this.saveInto(tmp);
      return await pushFolderToHub(tmp, this.modelCardData.modelId, { ...options, defaultCommitMessage: 'Add new SentenceTransformer model' });
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Writes the folder's files into an existing empty directory (used by save and by checkpoints). */
  async saveInto(dir: string): Promise<void> {
    this.ensureLive('save');
    await this.native.saveWeights(path.join(dir, 'model.safetensors'));
    fs.writeFileSync(path.join(dir, 'config.json'), this.configText.endsWith('\n') ? this.configText : `${this.configText}\n`);
    for (const f of TOKENIZER_FILES) {
      const src = path.join(this.tokenizerDir, f);
      if (fs.existsSync(src)) fs.copyFileSync(src, path.join(dir, f));
    }
    writeModelFolderConfigs(dir, {
      embeddingDim: this.embeddingDim, pooling: this.pooling, normalize: this.normalize, maxSeqLength: this.maxSeqLength, doLowerCase: this.doLowerCase,
      similarityFunction: this.similarityFnName, previous: this.extraConfig,
    });
    const versions = { embedforge: packageVersion(), libtorch: loadAddon().deviceInfo().torchVersion, node: process.version };
    fs.writeFileSync(path.join(dir, 'README.md'), renderModelCard({
      embeddingDim: this.embeddingDim, maxSeqLength: this.maxSeqLength, pooling: this.pooling,
      normalize: this.normalize, similarityFunction: this.similarityFnName,
    }, this.modelCardData, versions));
  }
}

/** The distinct token sequences (row of each one's first occurrence) and, for every row, its sequence's index. */
function uniqueRows(ids: Int32Array[]): { unique: number[]; firstOf: number[] } {
  const seen = new Map<string, number>();
  const unique: number[] = [];
  const firstOf = ids.map((row, r) => {
    const key = row.join(',');
    let u = seen.get(key);
    if (u === undefined) {
      u = unique.length;
      seen.set(key, u);
      unique.push(r);
    }
    return u;
  });
  return { unique, firstOf };
}

function baseModelName(config: Record<string, unknown>, dir: string): string {
  const name = config._name_or_path;
  return typeof name === 'string' && name && !name.startsWith('/') ? name : path.basename(path.resolve(dir));
}
