// The extractor's hand-written scans (speed rewrites of a global regex scan) find exactly what the
// regex they stand for finds, on texts built from the characters those patterns turn on.
import fc from 'fast-check';
import { forEachTagClause, TAG_CLAUSE_Y } from '../../stages/extract/tagClauses.js';

/** The speech-tag clause pattern tagClauses.ts stands for, as a plain global scan. */
const TAG_CLAUSE_G = new RegExp(TAG_CLAUSE_Y.source, 'gm');

const pieces = [
  '说',
  '问',
  '答道',
  '回答',
  '叫道',
  '笑道',
  '插嘴',
  '道',
  '答',
  '回',
  '柯文',
  '阿鸢',
  '葛大叔',
  '抢着',
  '。',
  '，',
  '：',
  '！',
  '？',
  '”',
  '“',
  '\n',
  '\r',
  ' ',
  '\u3000',
  '\u2028',
  'a',
];
const texts = fc.array(fc.constantFrom(...pieces), { maxLength: 60 }).map((xs) => xs.join(''));

const byRegex = (text: string) => [...text.matchAll(TAG_CLAUSE_G)].map((m) => m[1]!);
function byScan(text: string, limit = Infinity): string[] {
  const out: string[] = [];
  forEachTagClause(text, (c) => out.push(c) < limit);
  return out;
}

describe('forEachTagClause', () => {
  test('finds the clauses a global scan of the pattern finds, in order', () => {
    expect(byScan('”阿鸢抢着说，“走吧。”\n柯文捂着鼻子问：“谁？”葛大叔笑着说')).toEqual(['阿鸢抢着', '柯文捂着鼻子', '葛大叔笑着']);
    fc.assert(
      fc.property(texts, (t) => expect(byScan(t)).toEqual(byRegex(t))),
      { numRuns: 3000 },
    );
  });
  test('a subject run longer than the pattern allows, spaces and blank lines before it', () => {
    for (const t of [
      '。一二三四五六七八九十一二三说，',
      '。一二三四五六七八九十一二说，',
      '。\n\n \u3000柯文说，',
      '柯文说',
      '\n\n柯文回答道。',
      '柯文说柯文说，',
    ])
      expect(byScan(t)).toEqual(byRegex(t));
  });
  test('stops when told to', () => {
    expect(byScan('。柯文说，。阿鸢说，。葛大叔说，', 2)).toEqual(['柯文', '阿鸢']);
  });
});
