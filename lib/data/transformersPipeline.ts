/**
 * The tokenizer pipeline transformers 5.17 actually runs for a model folder, and the pieces of it that
 * @huggingface/tokenizers (pure JS) runs differently from Rust `tokenizers`.
 *
 * transformers 5 does not run tokenizer.json as written when tokenizer_config.json names a tokenizer class
 * with its own __init__ (XLMRobertaTokenizer, RobertaTokenizer, MPNetTokenizer, BertTokenizer): it takes
 * only the vocabulary (merges, precompiled charsmap) from tokenizer.json and rebuilds normalizer,
 * pre-tokenizer and post-processor from tokenizer_config.json and the class's defaults
 * (tokenization_utils_tokenizers.py, convert_to_native_format). For the XLM-R files of the hub
 * (multilingual-e5, bge-m3, paraphrase-multilingual: Sequence[Precompiled, Replace(" {2,}" -> " ")] and
 * Metaspace) that means Precompiled alone, then WhitespaceSplit + Metaspace: a trailing blank, or one
 * before </s>, gives no "▁" token. `asTransformersBuildsIt` applies the same rebuild to the JSON.
 * PreTrainedTokenizerFast / TokenizersBackend (ModernBERT) run tokenizer.json as written.
 *
 * `alignLibraryWithRust` then replaces, on a constructed library Tokenizer, what the JS library does
 * differently: the Precompiled normalizer (see precompiledCharsmap.ts), WhitespaceSplit (JS \s is not
 * Rust's White_Space), Metaspace (the JS one never splits on "▁"), and the Unigram model, which Rust runs
 * on each pre-token alone (unknown characters of two pre-tokens never fuse into one <unk>).
 */
import { PrecompiledCharsmap } from './precompiledCharsmap';

interface JsonObject { [key: string]: any }

const METASPACE = '\u2581';

/** transformers 5.17's tokenizer classes with their own __init__ (which rebuild the pipeline), by the name a folder gives. */
const REBUILT_CLASSES: Record<string, string> = {
  XLMRobertaTokenizer: 'XLMRobertaTokenizer', RobertaTokenizer: 'RobertaTokenizer', MPNetTokenizer: 'MPNetTokenizer',
  BertTokenizer: 'BertTokenizer', DistilBertTokenizer: 'BertTokenizer', MobileBertTokenizer: 'BertTokenizer', SqueezeBertTokenizer: 'BertTokenizer',
};

/** AutoTokenizer's class for a config.json model_type when no tokenizer_class is given (the types embedforge runs). */
const CLASS_OF_MODEL_TYPE: Record<string, string> = {
  bert: 'BertTokenizer', distilbert: 'BertTokenizer', electra: 'BertTokenizer', roberta: 'RobertaTokenizer',
  'xlm-roberta': 'XLMRobertaTokenizer', mpnet: 'MPNetTokenizer',
};

/**
 * The tokenizer class AutoTokenizer loads a folder with: tokenizer_config.json's tokenizer_class, else
 * config.json's, else the one of config.json's model_type (ModernBERT has none: tokenizer.json as written).
 */
export function tokenizerClassOf(tokenizerConfig: JsonObject, config: JsonObject | null): string | undefined {
  return tokenizerConfig.tokenizer_class ?? config?.tokenizer_class ?? CLASS_OF_MODEL_TYPE[config?.model_type];
}

/**
 * tokenizer.json as transformers 5.17 rebuilds it for `config.tokenizer_class` (tokenizer_config.json, with
 * the class tokenizerClassOf resolves); a copy, or `json` itself for classes that run it as written.
 */
export function asTransformersBuildsIt(json: JsonObject, config: JsonObject): JsonObject {
  const cls = REBUILT_CLASSES[String(config.tokenizer_class ?? '').replace(/Fast$/, '')];
  const token = (key: string, fallback: string): string => tokenContent(config[key]) ?? fallback;
  const idOf = (content: string): number => {
    const added = (json.added_tokens ?? []).find((t: JsonObject) => t.content === content);
    if (added) return added.id;
    const vocab = json.model?.vocab;
    const id = Array.isArray(vocab) ? vocab.findIndex((p: [string, number]) => p[0] === content) : vocab?.[content];
    if (id === undefined || id < 0) throw new Error(`tokenizer.json has no token ${JSON.stringify(content)} (the ${cls} special token of tokenizer_config.json)`);
    return id;
  };
  const bertNormalizer = {
    type: 'BertNormalizer', clean_text: true, handle_chinese_chars: config.tokenize_chinese_chars ?? true,
    strip_accents: config.strip_accents ?? null, lowercase: config.do_lower_case ?? true,
  };
  const wordPiece = (unk: string) => ({ ...json.model, type: 'WordPiece', unk_token: unk, continuing_subword_prefix: '##', max_input_chars_per_word: 100 });
  const roberta = (sep: string, cls_: string, trim: boolean, prefix: boolean) => ({
    type: 'RobertaProcessing', sep: [sep, idOf(sep)], cls: [cls_, idOf(cls_)], trim_offsets: trim, add_prefix_space: prefix,
  });
  switch (cls) {
    case 'XLMRobertaTokenizer': {
      const precompiled = findNormalizer(json.normalizer, 'Precompiled');
      const bos = token('bos_token', '<s>');
      const eos = token('eos_token', '</s>');
      return {
        ...json,
        normalizer: precompiled ?? null,
        pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' },
          { type: 'Metaspace', replacement: METASPACE, prepend_scheme: (config.add_prefix_space ?? true) ? 'always' : 'never', split: true }] },
        model: { ...json.model, unk_id: 3, byte_fallback: false },
        post_processor: template([bos, '$A', eos], { [bos]: idOf(bos), [eos]: idOf(eos) }),
      };
    }
    case 'RobertaTokenizer': {
      const prefix = config.add_prefix_space ?? false;
      const trim = config.trim_offsets ?? true;
      return {
        ...json,
        normalizer: null,
        pre_tokenizer: { type: 'ByteLevel', add_prefix_space: prefix, trim_offsets: true, use_regex: true },
        model: { ...json.model, dropout: null, continuing_subword_prefix: '', end_of_word_suffix: '', fuse_unk: false },
        post_processor: roberta(token('sep_token', '</s>'), token('cls_token', '<s>'), trim, prefix),
      };
    }
    case 'MPNetTokenizer':
      return {
        ...json, normalizer: bertNormalizer, pre_tokenizer: { type: 'BertPreTokenizer' }, model: wordPiece(token('unk_token', '[UNK]')),
        post_processor: roberta(token('sep_token', '</s>'), token('cls_token', '<s>'), true, false),
      };
    case 'BertTokenizer': {
      const clsToken = token('cls_token', '[CLS]');
      const sep = token('sep_token', '[SEP]');
      return {
        ...json, normalizer: bertNormalizer, pre_tokenizer: { type: 'BertPreTokenizer' }, model: wordPiece(token('unk_token', '[UNK]')),
        post_processor: template([clsToken, '$A', sep], { [clsToken]: idOf(clsToken), [sep]: idOf(sep) }),
      };
    }
    default:
      return json;
  }
}

/**
 * Swaps, in a library Tokenizer built from `json`, the parts that the JS library runs differently from Rust
 * for their exact versions. `tokenizer` is @huggingface/tokenizers' Tokenizer (its internals are untyped).
 */
export function alignLibraryWithRust(tokenizer: any, json: JsonObject, source: string): void {
  // Precompiled: alone or inside a Sequence (the library's Sequence calls each child's normalize).
  const exact = (node: JsonObject) => {
    const charsmap = new PrecompiledCharsmap(node.precompiled_charsmap, `${source}: tokenizer.json normalizer Precompiled`);
    return (text: string) => charsmap.normalize(text);
  };
  const libraryNormalize: ((text: string) => string) | null = tokenizer.normalizer
    ? ((normalizer) => (text: string) => normalizer.normalize(text))(tokenizer.normalizer) : null;
  let replaced = false;
  if (json.normalizer?.type === 'Precompiled') {
    tokenizer.normalizer = exact(json.normalizer);
    replaced = true;
  } else if (json.normalizer?.type === 'Sequence') {
    const library = tokenizer.normalizer;
    const children = library.normalizers.slice();
    json.normalizer.normalizers.forEach((node: JsonObject, i: number) => {
      if (node?.type === 'Precompiled') {
        children[i] = { normalize: exact(node) };
        replaced = true;
      }
    });
    if (replaced) tokenizer.normalizer = (text: string) => children.reduce((t: string, n: any) => (n ? n.normalize(t) : t), text);
  }
  if (replaced && libraryNormalize) {
    // Added tokens with normalized: true are matched in the normalized text: the library indexed them under
    // its own normalization of their content; index them under the exact one.
    const contents: string[] = [];
    for (const token of tokenizer.added_tokens) {
      if (!token.normalized) continue;
      const before = libraryNormalize(token.content);
      const after = tokenizer.normalizer(token.content);
      if (before !== token.content && before !== after) tokenizer.added_tokens_map.delete(before);
      tokenizer.added_tokens_map.set(after, token);
      contents.push(after);
    }
    tokenizer.splitter_normalized = new tokenizer.splitter_normalized.constructor(contents);
  }

  const pre = json.pre_tokenizer;
  const steps: JsonObject[] | null = pre?.type === 'Metaspace' ? [pre]
    : pre?.type === 'Sequence' && pre.pretokenizers.every((p: JsonObject) => p.type === 'Metaspace' || p.type === 'WhitespaceSplit') ? pre.pretokenizers
      : null;
  if (steps) {
    tokenizer.pre_tokenizer = (text: string, options?: { section_index?: number }) =>
      steps.reduce((pieces: string[], step) => pieces.flatMap((p) => step.type === 'WhitespaceSplit'
        ? whitespaceSplit(p) : metaspace(p, step, options?.section_index ?? 0)), [text]);
  }

  if (json.model?.type === 'Unigram') {
    const model = tokenizer.model;
    const wholeCall = model._call.bind(model);
    model._call = (pieces: string[]) => pieces.flatMap((p) => wholeCall([p]));
  }
}

/** Rust's WhitespaceSplit: runs of non-White_Space characters (char::is_whitespace, not JavaScript's \s). */
function whitespaceSplit(text: string): string[] {
  return text.split(RUST_WHITESPACE).filter((p) => p.length > 0);
}

const RUST_WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;

/** Rust's Metaspace: spaces become "▁", "▁" is prepended per prepend_scheme, and with split each "▁" starts a piece. */
function metaspace(text: string, config: JsonObject, sectionIndex: number): string[] {
  const replacement: string = config.replacement ?? METASPACE;
  const scheme: string = config.prepend_scheme ?? (config.add_prefix_space === false ? 'never' : 'always');
  let s = text.split(' ').join(replacement);
  if (!s.startsWith(replacement) && (scheme === 'always' || (scheme === 'first' && sectionIndex === 0))) s = replacement + s;
  if (config.split === false) return [s];
  const pieces: string[] = [];
  let start = 0;
  for (let i = s.indexOf(replacement, 1); i !== -1; i = s.indexOf(replacement, i + replacement.length)) {
    if (i > start) pieces.push(s.slice(start, i));
    start = i;
  }
  if (start < s.length) pieces.push(s.slice(start));
  return pieces;
}

function template(single: string[], ids: Record<string, number>): JsonObject {
  return {
    type: 'TemplateProcessing',
    single: single.map((t) => (t === '$A' ? { Sequence: { id: 'A', type_id: 0 } } : { SpecialToken: { id: t, type_id: 0 } })),
    pair: [],
    special_tokens: Object.fromEntries(Object.entries(ids).map(([t, id]) => [t, { id: t, ids: [id], tokens: [t] }])),
  };
}

function findNormalizer(normalizer: JsonObject | null | undefined, type: string): JsonObject | null {
  if (!normalizer) return null;
  if (normalizer.type === type) return normalizer;
  if (normalizer.type === 'Sequence') return normalizer.normalizers.find((n: JsonObject) => n?.type === type) ?? null;
  return null;
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as JsonObject).content === 'string') return (value as JsonObject).content;
  return undefined;
}
