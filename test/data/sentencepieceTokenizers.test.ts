/**
 * Token ids of the new architectures' tokenizers against transformers 5.17 (AutoTokenizer, called as
 * sentence-transformers calls it), for tokenizer folders that scripts/reference/make_tokenizers.py builds in
 * the shape of the published ones (the hub is unreachable here):
 *   xlmr        SentencePiece Unigram trained by `sentencepiece` (nmt_nfkc: the real precompiled charsmap),
 *               hub-shaped tokenizer.json (Precompiled + Replace, Metaspace) - multilingual-e5, bge-m3, ...
 *   roberta     ByteLevel BPE + RobertaProcessing
 *   mpnet       WordPiece with <s> </s> (all-mpnet-base-v2's layout)
 *   modernbert  ByteLevel BPE, NFC, added runs of spaces, [CLS] $A [SEP]
 *   xlmr-no-class, xlmr-as-written: xlmr without tokenizer_class (AutoTokenizer takes config.json's model_type:
 *               XLMRobertaTokenizer rebuilds the pipeline) and with PreTrainedTokenizerFast (tokenizer.json as written,
 *               plus an added token matched on the normalized text); xlmr-v4-config: the tokenizer_config.json
 *               transformers 4 wrote for the hub's XLM-R models (added_tokens_decoder, mask token as a dict)
 * on real texts of the tutorials' data, hand-picked edge cases and every code point of the common blocks.
 * The folders and the reference ids are made once and cached under test/.cache, keyed by the script and the texts.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { PrecompiledNormalizer } from '@huggingface/tokenizers';
import { PrecompiledCharsmap } from '../../lib/data/precompiledCharsmap';
import { TextTokenizer } from '../../lib/data/TextTokenizer';
import { cacheDir, describeIf, missing, repoRoot, runPython, sharedData, venvPython } from '../helpers/requirements';

const TOKENIZERS = ['xlmr', 'xlmr-no-class', 'xlmr-as-written', 'xlmr-v4-config', 'roberta', 'mpnet', 'modernbert'] as const;

const EDGE_CASES = [
  '', ' ', '  ', '\n', '\t \r\n ', '\u00a0', 'a\u00a0b', '\u200b', 'a\u200bb', 'a\u200db', 'a\u200cb', '\ufeff', '\ufeffBOM start',
  '\u0000', 'a\u0000b', 'x\u0085y', 'soft\u00adhyphen', 'a\u2028b\u2029c', 'ideographic\u3000space', 'a\u000bb\u000cc', 'bell\u0007del\u007f',
  'Café crème brûlée', 'Cafe\u0301 (combining accent)', 'ÀÉÎÕÜ àéîõü ÇÑ çñ', 'Straße STRASSE', 'İstanbul ıi İİ', 'i\u0307 dotted', 'ﬁnance ﬂow ﬀ',
  'ΟΔΟΣ', 'σς Σσ', 'Москва — столица России.', 'Ἀθῆναι', 'עברית', 'العربية: مرحبا بالعالم', 'हिन्दी भाषा', 'ภาษาไทย',
  '한국어 텍스트', '日本語のテキスト、カタカナ。', 'ｶﾀｶﾅ ﾊﾟﾋﾟ', '中文文本：你好，世界！', '𠀀𠀁 𪜀 丽', 'ＡＢＣ１２３ fullwidth',
  '①②③ Ⅻ ½ ² ™ © ® ℃ ㎏ ㈱', '∑∫√∞ ≠ ≤ ≥ → ⇒', '～wave〜dash ~tilde', '…ellipsis…', 'emoji 😀👍🏽 👨‍👩‍👧 🇺🇸 ❤️ 🥲',
  'tab\there\nnewline\r\nwin', 'trailing spaces   ', '   leading spaces', 'multiple     inner      spaces', 'two  spaces', ' \t mixed \u00a0 \u3000 blanks ',
  '\u2581metaspace \u2581\u2581 literal', '<s> literal </s> and <mask> and <pad> <unk>', 'hi <mask> there', 'hi<mask>there', '<mask>',
  '[CLS] literal [SEP] and [MASK] and [PAD] [UNK]', 'word[SEP]glued', '|||EMAIL_ADDRESS||| |||IP_ADDRESS|||', '<|endoftext|>',
  'xＡＢ\u200dＣy', 'AB\u200dC', 'ＡＢ\u200dＣ', 'AB C', // xlmr-as-written's added token "ＡＢ\u200dＣ" (normalized: true)
  'https://example.com/a/b?c=d&e=f#g', 'user@example.com', '$1,234.56 (USD) -7.5% 10^3', "don't won't it's O'Reilly I'M WE'LL",
  '"quoted" «guillemets» „Anführung“ ‘single’', '... !!! ??? --- ___ ***', '¿Qué? ¡Sí!', 'UPPER lower MiXeD',
  'a'.repeat(99), 'supercalifragilisticexpialidocious antidisestablishmentarianism', 'x'.repeat(3000),
  Array.from({ length: 700 }, (_, i) => `w${i}`).join(' '), Array.from({ length: 6000 }, (_, i) => `w${i}.`).join(' '), // past 8192 tokens too Array.from({ length: 300 }, (_, i) => `ü${i}  中`).join('\t'),
];

/** Every code point of the common blocks, between two letters (how it joins or splits words matters). */
const CODE_POINT_BLOCKS: [number, number][] = [
  [0x0000, 0x058f], [0x05d0, 0x06ff], [0x0900, 0x097f], [0x0e00, 0x0e7f], [0x1100, 0x11ff], [0x1e00, 0x1fff], [0x2000, 0x2bff],
  [0x2e80, 0x33ff], [0x4e00, 0x4eff], [0xa960, 0xa97f], [0xac00, 0xacff], [0xd7b0, 0xd7ff], [0xe000, 0xe00f], [0xf900, 0xfaff],
  [0xfb00, 0xfdff], [0xfe00, 0xfe6f], [0xfe70, 0xfeff], [0xff00, 0xffff], [0x1d400, 0x1d4ff], [0x1f100, 0x1f2ff],
  [0x1f300, 0x1faff], [0x20000, 0x2000f], [0x2f800, 0x2fa1f], [0xe0000, 0xe007f],
];

/**
 * U+061D ARABIC END OF TEXT MARK (Unicode 14) is punctuation to Node's ICU and an unknown letter to the
 * Unicode tables of Rust tokenizers' BertPreTokenizer (see TextTokenizer.test.ts): a known gap of the
 * WordPiece tokenizers, not of the others.
 */
const UNICODE_VERSION_GAPS: Record<string, Set<string>> = { mpnet: new Set(['a\u061db']) };

function realTexts(): string[] {
  const texts: string[] = [];
  const legal = fs.readFileSync(path.join(sharedData, 'legal-anchor-positive', 'test_dataset.json'), 'utf8').split('\n').filter((l) => l.trim());
  for (const line of legal.slice(0, 150)) {
    const row = JSON.parse(line);
    texts.push(row.anchor, row.positive);
  }
  const sts = fs.readFileSync(path.join(sharedData, 'stsbenchmark', 'sts-test.csv'), 'utf8').split('\n').slice(0, 100);
  for (const line of sts) {
    const fields = line.split('\t');
    if (fields.length >= 7) texts.push(fields[5], fields[6]);
  }
  const cisiDocs = fs.readFileSync(path.join(sharedData, 'cisi', 'CISI.ALL'), 'utf8').split(/^\.I /m).slice(1, 61).map((d) => d.split(/^\.W\n/m)[1]?.split(/^\.X/m)[0] ?? '');
  const cisiQueries = fs.readFileSync(path.join(sharedData, 'cisi', 'CISI.QRY'), 'utf8').split(/^\.I /m).slice(1, 31).map((q) => q.split(/^\.W\n/m)[1] ?? '');
  texts.push(...cisiDocs, ...cisiQueries, cisiDocs.slice(0, 6).join('\n\n')); // the last one is far beyond 512 tokens
  return texts;
}

function codePointTexts(): string[] {
  const out: string[] = [];
  for (const [from, to] of CODE_POINT_BLOCKS) {
    for (let cp = from; cp <= to; cp++) if (cp < 0xd800 || cp > 0xdfff) out.push(`a${String.fromCodePoint(cp)}b`);
  }
  return out;
}

interface Reference {
  folders: string;
  /** {inputs, outputs}: Rust's Precompiled normalizer of xlmr on every code point and some clusters. */
  charsmapCases: string;
  tokenizers: Record<string, { class: string; pad_token_id: number; vocab_size: number; ids: Record<string, number[][]>; pipeline: string[] }>;
}

function reference(texts: string[]): Reference {
  const script = fs.readFileSync(path.join(repoRoot, 'scripts', 'reference', 'make_tokenizers.py'));
  const key = createHash('sha256').update(script).update(JSON.stringify(texts)).digest('hex').slice(0, 16);
  const dir = path.join(cacheDir, 'sentencepiece-tokenizers', key);
  const idsFile = path.join(dir, 'ids.json');
  if (!fs.existsSync(idsFile)) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const textsFile = path.join(dir, 'texts.json');
    fs.writeFileSync(textsFile, JSON.stringify(texts)); // kept: what the ids are of
    runPython('make_tokenizers.py', ['--out', path.join(dir, 'folders'), '--texts', textsFile, '--ids', `${idsFile}.tmp`, '--max-lengths', '32,own',
      '--charsmap-cases', path.join(dir, 'charsmap-cases.json')]);
    fs.renameSync(`${idsFile}.tmp`, idsFile);
  }
  return { folders: path.join(dir, 'folders'), tokenizers: JSON.parse(fs.readFileSync(idsFile, 'utf8')), charsmapCases: path.join(dir, 'charsmap-cases.json') };
}

function sentencepieceInstalled(): string | null {
  const py = venvPython();
  if (!py) return null; // missing({python}) reports it
  const venv = path.dirname(path.dirname(py));
  return fs.existsSync(path.join(venv, '.complete-sentencepiece')) ? null : 'the venv lacks sentencepiece (bash scripts/setup-python.sh)';
}

describeIf(missing({ python: true, sharedData: true }) ?? sentencepieceInstalled(),
  'TextTokenizer matches transformers on XLM-R, RoBERTa, MPNet and ModernBERT style tokenizers', () => {
    const real = realTexts();
    const texts = [...real, ...EDGE_CASES, ...codePointTexts()];
    let ref: Reference;
    beforeAll(() => {
      ref = reference(texts);
    }, 300_000);

    test('the text set is what it claims: >= 500 real texts, long ones, non-ASCII ones', () => {
      expect(real.length).toBeGreaterThanOrEqual(500);
      expect(real.filter((t) => t.length > 3000).length).toBeGreaterThanOrEqual(1);
      expect(real.filter((t) => /[^\x00-\x7f]/.test(t)).length).toBeGreaterThanOrEqual(10);
    });

    for (const name of TOKENIZERS) {
      test(`${name}: identical ids for every text at max_seq_length 32 and at the folder's own`, () => {
        const expected = ref.tokenizers[name];
        for (const [length, ids] of Object.entries(expected.ids)) {
          const tokenizer = TextTokenizer.fromFolder(path.join(ref.folders, name), { maxSeqLength: Number(length) });
          expect(tokenizer.padTokenId).toBe(expected.pad_token_id);
          expect(tokenizer.vocabSize).toBe(expected.vocab_size);
          const mismatches: string[] = [];
          const knownGaps: string[] = [];
          let truncated = 0;
          for (let i = 0; i < texts.length; i++) {
            const ours = Array.from(tokenizer.encode(texts[i]));
            if (ours.join(' ') !== ids[i].join(' ')) {
              if (UNICODE_VERSION_GAPS[name]?.has(texts[i])) knownGaps.push(texts[i]);
              else mismatches.push(`${JSON.stringify(texts[i].slice(0, 40))}: ours ${ours.slice(0, 10)} python ${ids[i].slice(0, 10)}`);
            }
            if (ids[i].length === Number(length)) truncated++;
          }
          process.stderr.write(`${name} (${expected.class}: ${expected.pipeline.join(', ').slice(0, 90)}) max_seq_length ${length}: ${texts.length} texts (${real.length} real, `
            + `${EDGE_CASES.length} edge cases), ${truncated} truncated, ${mismatches.length} mismatches, ${knownGaps.length} known Unicode-version gaps\n`);
          expect(mismatches.slice(0, 10)).toEqual([]);
          expect(truncated).toBeGreaterThanOrEqual(Number(length) === 32 ? 200 : 1);
        }
      });
    }

    test('the Precompiled normalizer (precompiledCharsmap.ts) equals Rust\'s on every code point to U+2FFFF, alone and before U+0301', () => {
      const { inputs, outputs } = JSON.parse(fs.readFileSync(ref.charsmapCases, 'utf8')) as { inputs: string[]; outputs: string[] };
      const json = JSON.parse(fs.readFileSync(path.join(ref.folders, 'xlmr', 'tokenizer.json'), 'utf8'));
      const charsmap = new PrecompiledCharsmap(json.normalizer.normalizers[0].precompiled_charsmap);
      const library = new PrecompiledNormalizer(json.normalizer.normalizers[0]);
      const differing = inputs.filter((text, i) => charsmap.normalize(text) !== outputs[i]);
      const libraryDiffering = inputs.filter((text, i) => library.normalize(text) !== outputs[i]).length;
      const changed = inputs.filter((text, i) => outputs[i] !== text).length;
      process.stderr.write(`Precompiled normalizer: ${inputs.length} strings (${changed} changed by the charsmap): ours differs on ${differing.length}, `
        + `the JS library's approximation on ${libraryDiffering}\n`);
      expect(inputs.length).toBeGreaterThan(250_000);
      expect(changed).toBeGreaterThan(5_000); // the charsmap does map things (NFKC, controls, blanks)
      expect(differing.slice(0, 10).map((t) => [...t].map((c) => c.codePointAt(0)!.toString(16)))).toEqual([]);
    });

    test('xlmr in worker threads (encodeManyAsync) gives the same ids', async () => {
      const tokenizer = TextTokenizer.fromFolder(path.join(ref.folders, 'xlmr'), { maxSeqLength: 32 });
      const ours = await tokenizer.encodeManyAsync(texts);
      const ids = ref.tokenizers.xlmr.ids['32'];
      const differing = texts.filter((t, i) => Array.from(ours[i]).join(' ') !== ids[i].join(' '));
      expect(differing.slice(0, 5)).toEqual([]);
    });
  });

describe('PrecompiledCharsmap: a malformed precompiled_charsmap is refused with a message naming it', () => {
  test('too short, or a trie size beyond the data', () => {
    expect(() => new PrecompiledCharsmap(Buffer.from([1, 0]).toString('base64'), 'x/tokenizer.json')).toThrow('x/tokenizer.json: the precompiled_charsmap is 2 bytes, too short to hold its trie size');
    expect(() => new PrecompiledCharsmap(Buffer.from([0, 1, 0, 0, 5, 5, 5, 5]).toString('base64'), 'x/tokenizer.json')).toThrow('x/tokenizer.json: the precompiled_charsmap declares a 256-byte trie in 4 bytes');
  });
});
