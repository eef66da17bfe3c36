/**
 * The `Precompiled` normalizer of SentencePiece tokenizers (XLM-R, multilingual-e5, bge-m3, T5, ...), computed
 * from the tokenizer.json's `precompiled_charsmap` exactly as Rust `tokenizers` (what Python runs) applies it.
 *
 * Why not @huggingface/tokenizers' own: it ignores the charsmap and approximates it with NFKC plus a few
 * replacements, which differs from the real map on real text, e.g. U+200D (kept by the map, a space in JS),
 * U+061C and U+0085, "\r\n" (one grapheme: the map turns it into one space), combining sequences.
 *
 * The charsmap (SentencePiece's normalizer spec, base64 in tokenizer.json) is:
 *   uint32 little-endian  n = size in bytes of the trie
 *   n bytes               a darts-clone double-array trie (uint32 units) over UTF-8 byte strings; each key's
 *                         value is an offset into the strings below
 *   the rest              the replacement strings, UTF-8, each ended by a NUL byte
 * Rust's rule: the text is cut into extended grapheme clusters; a cluster under 6 UTF-8 bytes whose bytes
 * start with a key (the shortest such key) becomes that key's replacement as a whole; otherwise each of its
 * characters that starts with a key becomes the replacement, and the others stay.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class PrecompiledCharsmap {
  private readonly units: Uint32Array;
  private readonly strings: Uint8Array;
  /** Replacement (or null for "none") of each ASCII character, the common case looked up once. */
  private readonly ascii: (string | null)[] = [];
  private readonly memo = new Map<string, string | null>();
  private segmenter: Intl.Segmenter | null = null;

  /** base64: the `precompiled_charsmap` value of a tokenizer.json Precompiled normalizer. */
  constructor(base64: string, source = 'precompiled_charsmap') {
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length < 4) throw new Error(`${source}: the precompiled_charsmap is ${bytes.length} bytes, too short to hold its trie size`);
    const trieBytes = bytes.readUInt32LE(0);
    if (trieBytes % 4 !== 0 || trieBytes === 0 || 4 + trieBytes > bytes.length) {
      throw new Error(`${source}: the precompiled_charsmap declares a ${trieBytes}-byte trie in ${bytes.length - 4} bytes`);
    }
    this.units = new Uint32Array(trieBytes / 4);
    for (let i = 0; i < this.units.length; i++) this.units[i] = bytes.readUInt32LE(4 + 4 * i);
    this.strings = new Uint8Array(bytes.subarray(4 + trieBytes));
    for (let c = 0; c < 128; c++) this.ascii.push(this.replacement(encoder.encode(String.fromCharCode(c))));
  }

  normalize(text: string): string {
    // Printable ASCII without "\r" (which joins "\n" in one cluster): every character is its own cluster.
    if (!/[^\x00-\x0c\x0e-\x7f]/.test(text)) {
      let out = '';
      for (let i = 0; i < text.length; i++) out += this.ascii[text.charCodeAt(i)] ?? text[i];
      return out;
    }
    this.segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
    let out = '';
    for (const { segment } of this.segmenter.segment(text)) out += this.cluster(segment);
    return out;
  }

  private cluster(grapheme: string): string {
    if (grapheme.length === 1 && grapheme.charCodeAt(0) < 128) return this.ascii[grapheme.charCodeAt(0)] ?? grapheme;
    const known = this.memo.get(grapheme);
    if (known !== undefined) return known ?? grapheme;
    const bytes = encoder.encode(grapheme);
    let result: string | null = bytes.length < 6 ? this.replacement(bytes) : null;
    if (result === null) {
      let changed = false;
      let out = '';
      for (const ch of grapheme) {
        const r = this.replacement(encoder.encode(ch));
        if (r !== null) changed = true;
        out += r ?? ch;
      }
      result = changed ? out : null;
    }
    if (this.memo.size < 100_000) this.memo.set(grapheme, result);
    return result ?? grapheme;
  }

  /** The replacement of the shortest key that starts `bytes`, or null when no key does. */
  private replacement(bytes: Uint8Array): string | null {
    const units = this.units;
    let node = unitOffset(units[0]);
    for (const byte of bytes) {
      if (byte === 0) return null;
      node ^= byte;
      if (node >= units.length) return null;
      const unit = units[node];
      if (unitLabel(unit) !== byte) return null;
      node ^= unitOffset(unit);
      if (unitHasLeaf(unit)) return this.stringAt(units[node] & 0x7fffffff);
    }
    return null;
  }

  private stringAt(offset: number): string {
    let end = offset;
    while (end < this.strings.length && this.strings[end] !== 0) end++;
    return decoder.decode(this.strings.subarray(offset, end));
  }
}

// darts-clone's 32-bit unit: bits 0-7 the label (bit 31 set on value units), bit 8 "has a leaf child",
// bit 9 scales the offset, bits 10-31 the offset to the children; a value unit holds the value in bits 0-30.
function unitOffset(unit: number): number {
  return ((unit >>> 10) << ((unit & (1 << 9)) >>> 6)) >>> 0;
}

function unitLabel(unit: number): number {
  return (unit & ((1 << 31) | 0xff)) >>> 0;
}

function unitHasLeaf(unit: number): boolean {
  return ((unit >>> 8) & 1) === 1;
}
