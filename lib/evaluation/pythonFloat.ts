/**
 * A number as Python's str(float) writes it (the evaluators' CSV files are written by Python in
 * sentence-transformers): shortest round-trip digits like JavaScript, but "1.0" for integral values and
 * exponent notation below 1e-4 or from 1e16 on, with a two-digit exponent ("1e-05", "1.5e+16").
 */
export function formatPythonFloat(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa, expText] = x.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const sign = exp < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const point = exp + 1; // digits before the decimal point
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = `${digits}${'0'.repeat(point - digits.length)}.0`;
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${text}` : text;
}

/**
 * A float32 value as numpy writes an np.float32 scalar (str(), which Python's csv module uses): the
 * shortest digits that round-trip in float32, positional for 1e-4 <= |x| < 1e6, else exponent notation
 * with a two-digit exponent ("1e-05", "1.2345679e+08").
 */
export function formatNumpyFloat32(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  let shortest = x.toPrecision(9);
  for (let p = 1; p < 9; p++) {
    const candidate = x.toPrecision(p);
    if (Math.fround(Number(candidate)) === x) {
      shortest = candidate;
      break;
    }
  }
  const [mantissa, expText] = Number(shortest).toExponential().split('e');
  const exp = Number(expText);
  const abs = Math.abs(x);
  if (abs < 1e-4 || abs >= 1e6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const point = exp + 1;
  let text: string;
  if (point <= 0) text = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) text = `${digits}${'0'.repeat(point - digits.length)}.0`;
  else text = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${text}` : text;
}
