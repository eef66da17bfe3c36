/**
 * A CSV/TSV parser (RFC 4180 plus what spreadsheets and pandas write): quoted fields, "" as an escaped
 * quote inside quotes, delimiters and newlines (LF, CRLF, lone CR) inside quotes, CRLF line ends, a
 * UTF-8 byte-order mark. `quote: null` turns quoting off (csv.QUOTE_NONE, e.g. the STS benchmark files,
 * whose sentences hold bare quote characters).
 *
 * The parser is incremental (`CsvParser.push` text as it is read, then `finish`), so files far larger
 * than a JavaScript string can hold are read piece by piece; `parseCsv` parses one string.
 */
export interface CsvOptions {
  delimiter: string;
  /** The quote character, or null when fields are never quoted. */
  quote: string | null;
}

export interface CsvRecords {
  /** Every record's fields, blank lines skipped. */
  records: string[][];
  /** The 1-based line on which each record starts. */
  lines: number[];
}

/** Called with each record's fields and the 1-based line it starts on. */
export type CsvRecordHandler = (fields: string[], line: number) => void;

/** Parsed as far as the text allows: a record cut off by the end of the text waits for more. */
const INCOMPLETE = Symbol('incomplete');

export class CsvParser {
  private pending = '';
  /** The line on which `pending` starts. */
  private line = 1;
  private atStart = true;
  /** An incomplete record is re-parsed only once the pending text has doubled (linear time for huge fields). */
  private retryAtLength = 0;

  constructor(private readonly options: CsvOptions, private readonly source: string, private readonly onRecord: CsvRecordHandler) {
    const { delimiter, quote } = options;
    if (delimiter.length !== 1) throw new Error(`${source}: the delimiter must be one character, got ${JSON.stringify(delimiter)}`);
    if (quote !== null && (quote.length !== 1 || quote === delimiter)) {
      throw new Error(`${source}: the quote must be one character other than the delimiter, got ${JSON.stringify(quote)}`);
    }
  }

  push(text: string): void {
    this.pending += text;
    if (this.pending.length >= this.retryAtLength) this.parse(false);
  }

  finish(): void {
    this.parse(true);
  }

  private parse(final: boolean): void {
    const text = this.pending;
    const at = { i: this.atStart && text.charCodeAt(0) === 0xfeff ? 1 : 0, line: this.line };
    if (text.length > 0) this.atStart = false;
    while (at.i < text.length) {
      const start = at.i;
      const startLine = at.line;
      const record = this.record(text, at, final);
      if (record === INCOMPLETE) {
        this.pending = text.slice(start);
        this.line = startLine;
        this.retryAtLength = 2 * this.pending.length;
        return;
      }
      if (record !== null) this.onRecord(record, startLine);
    }
    this.pending = '';
    this.line = at.line;
    this.retryAtLength = 0;
  }

  /** One record from at.i (advancing at), null for a blank line, INCOMPLETE when the text ends inside it. */
  private record(text: string, at: { i: number; line: number }, final: boolean): string[] | null | typeof INCOMPLETE {
    const { delimiter, quote } = this.options;
    const source = this.source;
    const n = text.length;
    let { i, line } = at;
    const fields: string[] = [];
    let quoted = false;
    for (;;) {
      let field = '';
      if (quote !== null && text[i] === quote) {
        const openLine = line;
        i++;
        for (;;) {
          const close = text.indexOf(quote, i);
          if (close < 0) {
            if (!final) return INCOMPLETE;
            throw new Error(`${source} line ${openLine}: a quoted field is never closed`);
          }
          // A quote at the very end may be the first half of an escaped "".
          if (close === n - 1 && !final) return INCOMPLETE;
          const chunk = text.slice(i, close);
          line += countLineBreaks(chunk);
          field += chunk;
          if (text[close + 1] === quote) { field += quote; i = close + 2; continue; }
          i = close + 1;
          break;
        }
        quoted = true;
        // After the closing quote only a delimiter or the end of the record may follow.
        if (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') {
          throw new Error(`${source} line ${line}: unexpected ${JSON.stringify(text[i])} after the closing quote of field ${fields.length + 1}`);
        }
      } else {
        const start = i;
        while (i < n && text[i] !== delimiter && text[i] !== '\n' && text[i] !== '\r') i++;
        field = text.slice(start, i);
      }
      fields.push(field);
      if (i >= n) {
        if (!final) return INCOMPLETE;
        break;
      }
      if (text[i] === delimiter) { i++; continue; }
      // \n, \r\n or a lone \r ends the record; a \r at the very end may be the first half of \r\n.
      if (text[i] === '\r' && i === n - 1 && !final) return INCOMPLETE;
      i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
      line++;
      break;
    }
    at.i = i;
    at.line = line;
    return fields.length === 1 && fields[0] === '' && !quoted ? null : fields;
  }
}

export function parseCsv(text: string, options: CsvOptions, source: string): CsvRecords {
  const records: string[][] = [];
  const lines: number[] = [];
  const parser = new CsvParser(options, source, (fields, line) => { records.push(fields); lines.push(line); });
  parser.push(text);
  parser.finish();
  return { records, lines };
}

function countLineBreaks(s: string): number {
  let count = 0;
  for (let k = 0; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c === 10 || (c === 13 && s.charCodeAt(k + 1) !== 10)) count++;
  }
  return count;
}
