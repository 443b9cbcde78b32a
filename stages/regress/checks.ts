// Applies a case's checks to a response, with the old script's failure strings:
//   missing_required:X  missing_required_any:A|B  contains_forbidden:X  contains_forbidden_any:X
//   too_short:N<M  too_long:N>M  regex_must_fail:R  regex_must_not_fail:R
// plus regex_timeout:R when a pattern exceeds the time bound. Lengths count Unicode code points.
import type { Checks } from './cases.js';
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

/** Every failure of `response` against `checks`, in a stable order; [] means the case passes. */
export async function applyChecks(response: string, checks: Checks, regex: BoundedRegex): Promise<string[]> {
  const failures: string[] = [];
  for (const x of checks.must_contain ?? []) if (!response.includes(x)) failures.push(`missing_required:${x}`);
  const any = checks.must_contain_any;
  if (any && any.length > 0 && !any.some((x) => response.includes(x))) failures.push(`missing_required_any:${any.join('|')}`);
  for (const x of checks.must_not_contain ?? []) if (response.includes(x)) failures.push(`contains_forbidden:${x}`);
  for (const x of checks.must_not_contain_any ?? []) if (response.includes(x)) failures.push(`contains_forbidden_any:${x}`);
  const n = codePointLength(response.trim());
  if (checks.min_chars !== undefined && n < checks.min_chars) failures.push(`too_short:${n}<${checks.min_chars}`);
  if (checks.max_chars !== undefined && n > checks.max_chars) failures.push(`too_long:${n}>${checks.max_chars}`);
  for (const r of checks.regex_must ?? []) {
    const o = await regex.test(r, response);
    if (o.kind === 'timeout') failures.push(`regex_timeout:${r}`);
    else if (o.kind !== 'match') failures.push(`regex_must_fail:${r}`);
  }
  for (const r of checks.regex_must_not ?? []) {
    const o = await regex.test(r, response);
    if (o.kind === 'timeout') failures.push(`regex_timeout:${r}`);
    else if (o.kind !== 'no-match') failures.push(`regex_must_not_fail:${r}`);
  }
  return failures;
}
