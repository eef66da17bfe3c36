/**
 * Words as NLTK's word_tokenize splits them and TreebankWordDetokenizer joins them back: the two steps of
 * sentence-transformers' TSDAE deletion noise (DenoisingAutoEncoderDataset.delete). Ported rules of NLTK's
 * NLTKWordTokenizer (quotes, punctuation, brackets, double dashes, clitics, MacIntyre contractions) and of
 * TreebankWordDetokenizer, with Python's Unicode-aware \w, \b and \d spelled out for JavaScript.
 *
 * Where this differs from NLTK: word_tokenize first splits the text into sentences with the trained Punkt
 * model, and the tokenizer then splits the final period off every sentence; here sentences end at [.?!]
 * (and closing quotes/brackets) followed by whitespace and an upper-case letter, digit or opening quote/
 * bracket, with no list of abbreviations, so "Dr. Smith" is two sentences here and one for Punkt ("Dr."
 * then stays a word there, while here "Dr" and "." are two). Texts without such a boundary tokenize as NLTK does.
 */

const W = '[\\p{L}\\p{N}_\\p{M}]';
/** Python's \b for a word that starts or ends with a word character. */
const B_START = `(?<!${W})`;
const B_END = `(?!${W})`;

type Rule = [RegExp, string];
const rx = (source: string, flags = '') => new RegExp(source, `gu${flags}`);

const CONTRACTIONS2 = [['can', 'not'], ['d', "'ye"], ['gim', 'me'], ['gon', 'na'], ['got', 'ta'], ['lem', 'me'], ['more', "'n"]];
const CONTRACTIONS3 = [["'t", 'is'], ["'t", 'was']];

const STARTING_QUOTES: Rule[] = [
  [rx('([«“‘„]|[`]+)'), ' $1 '],
  [new RegExp('^"', 'u'), '``'],
  [rx('(``)'), ' $1 '],
  [rx('([ \\(\\[{<])("|\'{2})'), '$1 `` '],
  [rx(`(?<!${W})(')(?!(?:re|ve|ll|m|t|s|d|n)${B_END})(?=${W})`, 'i'), '$1 '],
];

const PUNCTUATION: Rule[] = [
  [new RegExp('([^\\.])(\\.)([\\]\\)}>"\'»”’ ]*)\\s*$', 'u'), '$1 $2 $3 '],
  [rx('([:,])([^\\p{Nd}])'), ' $1 $2'],
  [new RegExp('([:,])(?=\\n?$)', 'u'), ' $1 '],
  [rx('\\.{2,}'), ' $& '],
  [rx('[;@#$%&]'), ' $& '],
  [rx('[\\u2012-\\u2015]'), ' $& '],
  [new RegExp('([^\\.])(\\.)([\\]\\)}>"\']*)\\s*$', 'u'), '$1 $2$3 '],
  [rx('[?!]'), ' $& '],
  [rx("([^'])' "), "$1 ' "],
  [rx('[*]'), ' $& '],
];

const PARENS_BRACKETS: Rule = [rx('[\\]\\[\\(\\)\\{\\}<>]'), ' $& '];
const DOUBLE_DASHES: Rule = [rx('--'), ' -- '];

const ENDING_QUOTES: Rule[] = [
  [rx('([»”’])'), ' $1 '],
  [rx("''"), " '' "],
  [rx('"'), " '' "],
  [rx('\\s+'), ' '],
  [rx("([^' ])('[sS]|'[mM]|'[dD]|') "), '$1 $2 '],
  [rx("([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), '$1 $2 '],
];

const TOKENIZE_CONTRACTIONS: Rule[] = [
  ...CONTRACTIONS2.map(([a, b]): Rule => [rx(`${B_START}(${a})(${b})${B_END}`, 'i'), ' $1 $2 ']),
  [rx(`${B_START}(wan)(na)(?=\\s)`, 'i'), ' $1 $2 '],
  ...CONTRACTIONS3.map(([a, b]): Rule => [rx(` (${a})(${b})${B_END}`, 'i'), ' $1 $2 ']),
];

const apply = (text: string, rules: readonly Rule[]) => rules.reduce((t, [re, sub]) => t.replace(re, sub), text);

/** NLTKWordTokenizer.tokenize of one sentence. */
export function treebankTokenize(sentence: string): string[] {
  let text = apply(sentence, STARTING_QUOTES);
  text = apply(text, PUNCTUATION);
  text = apply(text, [PARENS_BRACKETS, DOUBLE_DASHES]);
  text = ` ${text} `;
  text = apply(text, ENDING_QUOTES);
  text = apply(text, TOKENIZE_CONTRACTIONS);
  return text.split(/\s+/u).filter((t) => t.length > 0);
}

/** Sentences as this module splits them (see the opening comment for how this differs from Punkt). */
export function splitSentences(text: string): string[] {
  return text
    .split(/(?<=[.?!][\])}"'»”’]*)\s+(?=["'“‘«(\[]?[\p{Lu}\p{Nd}])/u)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** nltk.word_tokenize: sentences, then NLTKWordTokenizer over each. */
export function wordTokenize(text: string): string[] {
  return splitSentences(text).flatMap(treebankTokenize);
}

const DETOKENIZE_CONTRACTIONS: Rule[] = [
  ...CONTRACTIONS3.map(([a, b]): Rule => [rx(` (${a})\\s(${b})${B_END}`, 'i'), '$1$2']),
  ...CONTRACTIONS2.map(([a, b]): Rule => [rx(`${B_START}(${a})\\s(${b})${B_END}`, 'i'), '$1$2']),
  [rx(`${B_START}(wan)\\s(na)(?=\\s)`, 'i'), '$1$2'],
];

const DETOKENIZE_ENDING_QUOTES: Rule[] = [
  [rx("([^' ])\\s('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "), '$1$2 '],
  [rx("([^' ])\\s('[sS]|'[mM]|'[dD]|') "), '$1$2 '],
  [rx("(\\S)\\s('')"), '$1$2'],
  [rx("('')\\s([.,:)\\]>};%])"), '$1$2'],
  [rx("''"), '"'],
];

const DETOKENIZE_PARENS: Rule[] = [
  [rx('([\\[\\(\\{<])\\s'), '$1'],
  [rx('\\s([\\]\\)\\}>])'), '$1'],
  [rx('([\\]\\)\\}>])\\s([:;,.])'), '$1$2'],
];

const DETOKENIZE_PUNCTUATION: Rule[] = [
  [rx("([^'])\\s'\\s"), "$1' "],
  [rx('\\s([?!])'), '$1'],
  [new RegExp('([^\\.])\\s(\\.)([\\]\\)}>"\']*)\\s*$', 'u'), '$1$2$3'],
  [rx('([#$])\\s'), '$1'],
  [rx('\\s([;%])'), '$1'],
  [rx('\\s\\.\\.\\.\\s'), '...'],
  [rx('\\s([:,])'), '$1'],
];

const DETOKENIZE_STARTING_QUOTES: Rule[] = [
  [rx('([ (\\[{<])\\s``'), '$1``'],
  [rx('(``)\\s'), '$1'],
  [rx('``'), '"'],
];

/** TreebankWordDetokenizer().detokenize(tokens). */
export function treebankDetokenize(tokens: readonly string[]): string {
  let text = ` ${tokens.join(' ')} `;
  text = apply(text, DETOKENIZE_CONTRACTIONS);
  text = apply(text, DETOKENIZE_ENDING_QUOTES).trim();
  text = apply(text, [[rx(' -- '), '--']]);
  text = apply(text, DETOKENIZE_PARENS);
  text = apply(text, DETOKENIZE_PUNCTUATION);
  text = apply(text, DETOKENIZE_STARTING_QUOTES);
  return text.trim();
}
