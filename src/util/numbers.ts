/**
 * Number parsing and formatting exactly as Redis does it.
 */

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

/**
 * Redis's string2ll: an optional '-', then digits with no leading zeros (or a
 * single "0"), within int64. Returns a number when it is a safe integer, a
 * bigint when it is beyond 2^53, or null when the text is not a valid integer.
 */
export function parseInt64(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  const neg = s.charCodeAt(0) === 45; // '-'
  if (neg) {
    i = 1;
    if (len === 1) return null;
  }
  const first = s.charCodeAt(i);
  if (first === 48) return len === 1 ? 0 : null; // "0" only; "-0" and "01" are invalid
  if (first < 49 || first > 57) return null;
  if (len - i <= 15) {
    let n = 0;
    for (; i < len; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) return null;
      n = n * 10 + c;
    }
    return neg ? -n : n;
  }
  for (let j = i; j < len; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) return null;
  }
  const b = BigInt(s);
  if (b > INT64_MAX || b < INT64_MIN) return null;
  return Number.isSafeInteger(Number(b)) ? Number(b) : b;
}

export { INT64_MAX, INT64_MIN };

/** 10^k for k in 0..22: the powers of ten a double holds exactly. */
const POW10: number[] = [];
for (let k = 0, v = 1; k <= 22; k++, v *= 10) POW10.push(v);

/**
 * Redis's strtold-based float parsing for commands taking a double (e.g.
 * INCRBYFLOAT, ZADD scores): the whole text must be a number, no spaces, and
 * "inf"/"-inf"/"+inf" variants are accepted; NaN is not. Returns null when invalid.
 */
export function parseDouble(s: string): number | null {
  const len = s.length;
  if (len === 0 || len > 5000) return null;
  const c0 = s.charCodeAt(0);
  // Fast path (ZADD scores, weights, coordinates): plain decimals such as
  // "-13.361389", "5." or ".5", which the regular expression below accepts
  // and Number(s) converts. With at most 15 digits and 22 decimals the value
  // is m / 10^k of two exact doubles, and one correctly rounded division
  // gives exactly Number(s) (Clinger's fast path); longer ones go the slow way.
  if (len < 40) {
    let i = c0 === 45 ? 1 : 0;
    let m = 0;
    let digits = 0;
    let dot = -1;
    for (; i < len; i++) {
      const c = s.charCodeAt(i);
      if (c >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        digits++;
      } else if (c === 46 && dot < 0) dot = i;
      else break;
    }
    const k = dot < 0 ? 0 : len - dot - 1;
    if (i === len && digits > 0 && digits <= 15 && k <= 22) {
      const v = m / POW10[k]!;
      return c0 === 45 ? -v : v;
    }
  }
  // strtod skips leading white space; Redis rejects it by checking isspace(buf[0]).
  if (c0 === 32 || (c0 >= 9 && c0 <= 13)) return null;
  const lower = s.toLowerCase();
  if (lower === 'inf' || lower === '+inf' || lower === 'infinity' || lower === '+infinity') return Infinity;
  if (lower === '-inf' || lower === '-infinity') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s)) {
    if (/^[+-]?0x[0-9a-f]+(\.[0-9a-f]*)?(p[+-]?\d+)?$/i.test(s)) return parseHexFloat(s);
    return null;
  }
  const n = Number(s);
  return Number.isNaN(n) ? null : n;
}

function parseHexFloat(s: string): number | null {
  const m = /^([+-]?)0x([0-9a-f]*)(?:\.([0-9a-f]*))?(?:p([+-]?\d+))?$/i.exec(s);
  if (!m) return null;
  const intPart = m[2] ?? '';
  const frac = m[3] ?? '';
  let v = 0;
  for (const ch of intPart + frac) v = v * 16 + parseInt(ch, 16);
  v = v / Math.pow(16, frac.length);
  if (m[4]) v = v * Math.pow(2, Number(m[4]));
  return m[1] === '-' ? -v : v;
}

/**
 * Formats a double the way Redis 7.2 replies with it (ZSCORE, RESP3 doubles,
 * d2string): integral values within +-2^62 as integers; otherwise (fpconv_dtoa) the shortest digits that round-trip (JS gives the same digits
 * as Grisu2 except in rare cases where Grisu2 is not shortest), then laid out
 * as Redis's emit_digits does: with K the decimal exponent of the last digit
 * and E that of the first, a plain integer when K >= 0 and |E| < digits + 7,
 * a plain decimal when K < 0 and (K > -7 or |E| < 4), otherwise
 * d.ddde+X / d.ddde-X with no exponent padding ("1e+20", "1.5e-7").
 * "inf"/"-inf"/"nan"; -0 keeps its sign.
 */
export function formatDouble(x: number): string {
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (Number.isNaN(x)) return 'nan';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  // d2string prints integral values within +-LLONG_MAX/2 as integers (double2ll).
  if (Number.isInteger(x) && x >= -4611686018427387904 && x <= 4611686018427387904) {
    return Number.isSafeInteger(x) ? '' + x : BigInt(x).toString();
  }
  const neg = x < 0;
  const e = (neg ? -x : x).toExponential(); // shortest round-trip digits: d.ddde±X
  const ei = e.indexOf('e');
  const digits = e.charCodeAt(1) === 46 ? e[0] + e.slice(2, ei) : e.slice(0, ei);
  const nd = digits.length;
  const first = Number(e.slice(ei + 1));
  const K = first - nd + 1;
  const absE = first < 0 ? -first : first;
  let out: string;
  if (K >= 0 && absE < nd + 7) out = digits + '0'.repeat(K);
  else if (K < 0 && (K > -7 || absE < 4)) {
    const offset = nd + K;
    out = offset <= 0 ? '0.' + '0'.repeat(-offset) + digits : digits.slice(0, offset) + '.' + digits.slice(offset);
  } else out = digits[0] + (nd > 1 ? '.' + digits.slice(1) : '') + 'e' + (first < 0 ? '-' : '+') + absE;
  return neg ? '-' + out : out;
}
