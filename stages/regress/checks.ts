// Applies a case's checks to a response, with the old script's failure strings:
//   missing_required:X  missing_required_any:A|B  contains_forbidden:X  contains_forbidden_any:X
//   too_short:N<M  too_long:N>M  regex_must_fail:R  regex_must_not_fail:R
// plus regex_timeout:R when a pattern exceeds the time bound and regex_unsupported:R (why) for a
// Python construct with no JavaScript equivalent. Lengths count Unicode code points.
import { intLength, type Checks } from './cases.js';
import { translatePyRegex, type PyRegexResult } from './pyRegex.js';
import type { BoundedRegex } from './regexBound.js';

/** Number of Unicode code points (what a reader counts as characters, also for CJK and emoji). */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** The kind of a failure string (`missing_required`, `too_short`, …). */
export function failureKind(failure: string): string {
  const i = failure.indexOf(':');
  return i < 0 ? failure : failure.slice(0, i);
}

const translations = new Map<string, PyRegexResult>();
/** The JavaScript form of a Python pattern (memoized: a suite repeats its patterns). */
export function pyRegex(pattern: string): PyRegexResult {
  let t = translations.get(pattern);
  if (t === undefined) translations.set(pattern, (t = translatePyRegex(pattern)));
  return t;
}

/**
 * Every failure of `response` against `checks`, in the old script's order; [] means the case
 * passes. Lengths are Python's len() of the raw answer (code points, nothing trimmed); a length
 * that is not an integer is not checked. Regexes are Python patterns (`re.search`).
 */
export async function applyChecks(response: string, checks: Checks, regex: BoundedRegex): Promise<string[]> {
  const failures: string[] = [];
  for (const x of checks.must_contain ?? []) if (!response.includes(x)) failures.push(`missing_required:${x}`);
  const any = checks.must_contain_any;
  if (any && any.length > 0 && !any.some((x) => response.includes(x))) failures.push(`missing_required_any:${any.join('|')}`);
  for (const x of checks.must_not_contain ?? []) if (response.includes(x)) failures.push(`contains_forbidden:${x}`);
  for (const x of checks.must_not_contain_any ?? []) if (response.includes(x)) failures.push(`contains_forbidden_any:${x}`);
  const n = codePointLength(response);
  const min = intLength(checks.min_chars);
  const max = intLength(checks.max_chars);
  if (min !== undefined && n < min) failures.push(`too_short:${n}<${min}`);
  if (max !== undefined && n > max) failures.push(`too_long:${n}>${max}`);
  for (const [list, want, kind] of [
    [checks.regex_must ?? [], 'match', 'regex_must_fail'],
    [checks.regex_must_not ?? [], 'no-match', 'regex_must_not_fail'],
  ] as const) {
    for (const r of list) {
      const t = pyRegex(r);
      if (!t.ok) {
        failures.push(`regex_unsupported:${r} (${t.reason})`);
        continue;
      }
      const o = await regex.test(t.source, response, t.flags);
      if (o.kind === 'timeout') failures.push(`regex_timeout:${r}`);
      else if (o.kind === 'error') failures.push(`regex_unsupported:${r} (${o.message})`);
      else if (o.kind !== want) failures.push(`${kind}:${r}`);
    }
  }
  return failures;
}
