import { applyChecks, codePointLength, failureKind } from '../../stages/regress/checks.js';
import { BoundedRegex } from '../../stages/regress/regexBound.js';

describe('checks', () => {
  let regex: BoundedRegex;
  beforeAll(() => {
    regex = new BoundedRegex(1000);
  });
  afterAll(async () => {
    await regex.close();
  });

  const answer = '前辈，我是艾雅法拉。今天也要好好休息哦。';

  test.each<[string, Parameters<typeof applyChecks>[1], string[]]>([
    ['must_contain passes', { must_contain: ['前辈', '艾雅法拉'] }, []],
    ['must_contain fails', { must_contain: ['前辈', '博士'] }, ['missing_required:博士']],
    ['must_contain_any passes', { must_contain_any: ['博士', '前辈'] }, []],
    ['must_contain_any fails', { must_contain_any: ['博士', '阿米娅'] }, ['missing_required_any:博士|阿米娅']],
    ['must_not_contain passes', { must_not_contain: ['AI'] }, []],
    ['must_not_contain fails', { must_not_contain: ['休息', 'AI'] }, ['contains_forbidden:休息']],
    ['must_not_contain_any fails per hit', { must_not_contain_any: ['前辈', 'AI', '哦'] }, ['contains_forbidden_any:前辈', 'contains_forbidden_any:哦']],
    ['min_chars passes at the bound', { min_chars: 20 }, []],
    ['min_chars fails', { min_chars: 21 }, ['too_short:20<21']],
    ['max_chars passes at the bound', { max_chars: 20 }, []],
    ['max_chars fails', { max_chars: 19 }, ['too_long:20>19']],
    ['regex_must passes', { regex_must: ['^前辈', '艾雅法拉。'] }, []],
    ['regex_must fails', { regex_must: ['^博士'] }, ['regex_must_fail:^博士']],
    ['regex_must_not passes', { regex_must_not: ['AI|人工智能'] }, []],
    ['regex_must_not fails', { regex_must_not: ['休息.*哦'] }, ['regex_must_not_fail:休息.*哦']],
  ])('%s', async (_name, checks, failures) => {
    expect(await applyChecks(answer, checks, regex)).toEqual(failures);
  });

  test('lengths are Python len() of the raw answer: code points (CJK, emoji), whitespace counted (U+3000 too)', async () => {
    expect(codePointLength('火山🌋')).toBe(3);
    expect('火山🌋'.length).toBe(4);
    expect(await applyChecks('火山🌋', { max_chars: 3, min_chars: 3 }, regex)).toEqual([]);
    expect(await applyChecks('\u3000火山🌋\n', { max_chars: 3 }, regex)).toEqual(['too_long:5>3']);
    expect(await applyChecks('\u3000火\u3000', { min_chars: 4 }, regex)).toEqual(['too_short:3<4']);
    expect(await applyChecks('火山🌋！', { max_chars: 3 }, regex)).toEqual(['too_long:4>3']);
  });

  test('several failing checks are all reported, with their kinds', async () => {
    const failures = await applyChecks('你好', { must_contain: ['前辈'], min_chars: 5, regex_must: ['火山'] }, regex);
    expect(failures).toEqual(['missing_required:前辈', 'too_short:2<5', 'regex_must_fail:火山']);
    expect(failures.map(failureKind)).toEqual(['missing_required', 'too_short', 'regex_must_fail']);
  });

  test('a catastrophic regex fails its case within the time bound and the next regex still works', async () => {
    const bounded = new BoundedRegex(300);
    try {
      const evil = '^(a+)+$';
      const t0 = Date.now();
      const failures = await applyChecks(`${'a'.repeat(40)}!`, { regex_must_not: [evil], regex_must: ['a{3}'] }, bounded);
      const ms = Date.now() - t0;
      expect(failures).toEqual([`regex_timeout:${evil}`]);
      expect(ms).toBeLessThan(3000);
      // The worker was replaced: a harmless pattern right after gets a real answer.
      expect(await bounded.test('a!$', `${'a'.repeat(40)}!`)).toEqual({ kind: 'match' });
    } finally {
      await bounded.close();
    }
  });
});
