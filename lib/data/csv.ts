/**
 * A CSV/TSV parser (RFC 4180 plus what spreadsheets and pandas write): quoted fields, "" as an escaped
 * quote inside quotes, delimiters and newlines (LF, CRLF, lone CR) inside quotes, CRLF line ends, a
 * UTF-8 byte-order mark. `quote: null` turns quoting off (csv.QUOTE_NONE, e.g. the STS benchmark files,
 * whose sentences hold bare quote characters).
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

export function parseCsv(text: string, options: CsvOptions, source: string): CsvRecords {
  const { delimiter, quote } = options;
  if (delimiter.length !== 1) throw new Error(`${source}: the delimiter must be one character, got ${JSON.stringify(delimiter)}`);
  if (quote !== null && (quote.length !== 1 || quote === delimiter)) {
    throw new Error(`${source}: the quote must be one character other than the delimiter, got ${JSON.stringify(quote)}`);
  }
  const records: string[][] = [];
  const lines: number[] = [];
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  const n = text.length;

  while (i < n) {
    const recordLine = line;
    const fields: string[] = [];
    let atRecordEnd = false;
    let quoted = false;
    while (!atRecordEnd) {
      let field = '';
      if (quote !== null && text[i] === quote) {
        const openLine = line;
        i++;
        for (;;) {
          const close = text.indexOf(quote, i);
          if (close < 0) throw new Error(`${source} line ${openLine}: a quoted field is never closed`);
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
      if (i >= n) { atRecordEnd = true; } else if (text[i] === delimiter) { i++; } else {
        // \n, \r\n or a lone \r ends the record.
        i += text[i] === '\r' && text[i + 1] === '\n' ? 2 : 1;
        line++;
        atRecordEnd = true;
      }
    }
    if (fields.length === 1 && fields[0] === '' && !quoted) continue; // a blank line
    records.push(fields);
    lines.push(recordLine);
  }
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
