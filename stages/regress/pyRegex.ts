// Regression cases are written for Python's `re` (the old script used `re.search` on str
// patterns). This translates a Python pattern into a JavaScript one with the same matches:
// named groups and back-references, leading inline flags, and the classes Python defines over
// Unicode for str patterns (\d \w \s \b), `.` and `$` as Python reads them. A construct with no
// JavaScript equivalent is reported (per case) instead of being matched differently.

/** `invalid`: an error in Python too; `unsupported`: valid Python with no JavaScript equivalent. */
export type PyRegexResult = { ok: true; source: string; flags: string } | { ok: false; kind: 'invalid' | 'unsupported'; reason: string };

// Python str patterns: \d = Unicode decimal digits, \w = str.isalnum() or "_", \s = str.isspace().
const DIGIT = '\\p{Nd}';
const WORD = '\\p{L}\\p{N}_';
const SPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const SYNTAX = new Set([...'^$\\.*+?()[]{}|/']);
const QUANTIFIER = /^\{(\d*)(,?)(\d*)\}/;

/** Translates `pattern` (Python `re`, str pattern) to a JavaScript source and flags (always `u`). */
export function translatePyRegex(pattern: string): PyRegexResult {
  const flags = new Set<string>(['u']);
  let i = 0;
  // Global inline flags, only at the very start (Python 3.11+ rejects them elsewhere).
  for (;;) {
    const m = /^\(\?([aiLmsux]+)\)/.exec(pattern.slice(i));
    if (!m) break;
    for (const f of m[1]!) {
      if (f === 'i' || f === 'm' || f === 's') flags.add(f);
      else if (f === 'u') continue;
      else return { ok: false, kind: 'unsupported', reason: `inline flag (?${f}) has no JavaScript equivalent` };
    }
    i += m[0].length;
  }
  const multiline = flags.has('m');
  const dotAll = flags.has('s');
  let out = '';
  let inClass = false;
  let classStart = false;
  const cps = [...pattern.slice(i)];
  for (let k = 0; k < cps.length; k++) {
    const c = cps[k]!;
    const rest = (): string => cps.slice(k).join('');
    if (c === '\\') {
      const n = cps[k + 1];
      if (n === undefined) return { ok: false, kind: 'invalid', reason: 'pattern ends with a lone backslash' };
      k++;
      const esc = translateEscape(n, cps, k, inClass);
      if ('reason' in esc) return { ok: false, kind: esc.kind, reason: esc.reason };
      out += esc.text;
      k += esc.consumed;
      classStart = false;
      continue;
    }
    if (inClass) {
      if (c === ']' && !classStart) inClass = false;
      else if (c === '[') {
        out += '\\[';
        classStart = false;
        continue;
      }
      out += c;
      classStart = classStart && c === '^';
      continue;
    }
    if (c === '[') {
      inClass = true;
      classStart = true;
      out += c;
      // Python: a `]` right after `[` or `[^` is a literal.
      if (cps[k + 1] === '^') {
        out += '^';
        k++;
      }
      if (cps[k + 1] === ']') {
        out += '\\]';
        k++;
      }
      classStart = false;
      continue;
    }
    if (c === '(' && cps[k + 1] === '?') {
      const r = rest();
      let m: RegExpExecArray | null;
      if ((m = /^\(\?P<([A-Za-z_][A-Za-z0-9_]*)>/.exec(r))) {
        out += `(?<${m[1]}>`;
        k += m[0].length - 1;
      } else if ((m = /^\(\?P=([A-Za-z_][A-Za-z0-9_]*)\)/.exec(r))) {
        out += `\\k<${m[1]}>`;
        k += m[0].length - 1;
      } else if ((m = /^\(\?#[^)]*\)/.exec(r))) {
        k += m[0].length - 1;
      } else if (/^\(\?(?::|=|!|<=|<!|<[A-Za-z_])/.test(r)) {
        out += '(?';
        k++;
      } else if (/^\(\?[aiLmsux-]+[:)]/.test(r)) {
        return { ok: false, kind: 'unsupported', reason: 'inline flags inside the pattern (scoped or not at the start) are not supported' };
      } else if (r.startsWith('(?>')) {
        return { ok: false, kind: 'unsupported', reason: 'atomic groups (?>…) have no JavaScript equivalent' };
      } else if (r.startsWith('(?(')) {
        return { ok: false, kind: 'unsupported', reason: 'conditional groups (?(…)…) have no JavaScript equivalent' };
      } else {
        return { ok: false, kind: 'invalid', reason: `unknown group construct ${r.slice(0, 4)}` };
      }
      continue;
    }
    if (c === '.') {
      out += dotAll ? '[\\s\\S]' : '[^\\n]';
      continue;
    }
    if (c === '$') {
      // Python: end, or before a newline at the end; with (?m) before any "\n".
      out += multiline ? '(?=\\n|(?![\\s\\S]))' : '(?=\\n?(?![\\s\\S]))';
      continue;
    }
    if (c === '^') {
      out += multiline ? '(?<![^\\n])' : '(?<![\\s\\S])';
      continue;
    }
    if (c === '{') {
      const m = QUANTIFIER.exec(rest());
      if (m && (m[1] !== '' || (m[2] === ',' && m[3] !== ''))) {
        out += `{${m[1] || '0'}${m[2]}${m[3]}}`;
        k += m[0].length - 1;
      } else out += '\\{';
      continue;
    }
    if (c === '}' || c === ']') {
      out += `\\${c}`;
      continue;
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && cps[k + 1] === '+' && k > 0) {
      return { ok: false, kind: 'unsupported', reason: 'possessive quantifiers (*+, ++, ?+) have no JavaScript equivalent' };
    }
    if (c === '/') {
      out += '\\/';
      continue;
    }
    out += c;
  }
  if (inClass) return { ok: false, kind: 'invalid', reason: 'unterminated character set [' };
  const f = ['i', 'm', 's', 'u'].filter((x) => flags.has(x)).join('');
  try {
    new RegExp(out, f);
  } catch (err) {
    return { ok: false, kind: 'invalid', reason: `not a valid pattern: ${(err as Error).message}` };
  }
  return { ok: true, source: out, flags: f };
}

type Escape = { text: string; consumed: number } | { reason: string; kind: 'invalid' | 'unsupported' };

function translateEscape(n: string, cps: readonly string[], k: number, inClass: boolean): Escape {
  const set = (body: string, negate: boolean): Escape => {
    if (!inClass) return { text: `[${negate ? '^' : ''}${body}]`, consumed: 0 };
    if (negate) return { kind: 'unsupported', reason: `\\${n} inside a character set has no JavaScript equivalent with Python's Unicode meaning` };
    return { text: body, consumed: 0 };
  };
  const hex = (len: number): Escape => {
    const digits = cps.slice(k + 1, k + 1 + len).join('');
    if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) return { kind: 'invalid', reason: `\\${n} needs ${len} hex digits` };
    return { text: `\\u{${digits}}`, consumed: len };
  };
  switch (n) {
    case 'd':
      return set(DIGIT, false);
    case 'D':
      return set(DIGIT, true);
    case 'w':
      return set(WORD, false);
    case 'W':
      return set(WORD, true);
    case 's':
      return set(SPACE, false);
    case 'S':
      return set(SPACE, true);
    case 'b':
      if (inClass) return { text: '\\x08', consumed: 0 };
      return { text: `(?:(?<=[${WORD}])(?![${WORD}])|(?<![${WORD}])(?=[${WORD}]))`, consumed: 0 };
    case 'B':
      if (inClass) return { kind: 'invalid', reason: '\\B inside a character set is an error in Python' };
      return { text: `(?:(?<=[${WORD}])(?=[${WORD}])|(?<![${WORD}])(?![${WORD}]))`, consumed: 0 };
    case 'A':
      return inClass ? { kind: 'unsupported', reason: '\\A inside a character set' } : { text: '(?<![\\s\\S])', consumed: 0 };
    case 'Z':
      return inClass ? { kind: 'unsupported', reason: '\\Z inside a character set' } : { text: '(?![\\s\\S])', consumed: 0 };
    case 'x':
      return hex(2);
    case 'u':
      return hex(4);
    case 'U':
      return hex(8);
    case 'N':
      return { kind: 'unsupported', reason: '\\N{…} named characters are not supported' };
    case 'n':
    case 't':
    case 'r':
    case 'f':
    case 'v':
      return { text: `\\${n}`, consumed: 0 };
    case 'a':
      return { text: '\\x07', consumed: 0 };
    default:
      break;
  }
  if (/[0-9]/.test(n)) {
    if (n === '0' || inClass) return { kind: 'unsupported', reason: 'octal escapes are not supported' };
    let digits = n;
    if (/[0-9]/.test(cps[k + 1] ?? '')) digits += cps[k + 1];
    return { text: `\\${digits}`, consumed: digits.length - 1 };
  }
  if (/[A-Za-z]/.test(n)) return { kind: 'invalid', reason: `bad escape \\${n} (an error in Python too)` };
  // Python escapes any other character to itself; JavaScript's `u` mode allows only syntax characters.
  if (SYNTAX.has(n) || (inClass && n === '-')) return { text: `\\${n}`, consumed: 0 };
  return { text: /[\]\\^-]/.test(n) && inClass ? `\\${n}` : n, consumed: 0 };
}
