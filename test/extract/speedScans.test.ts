// The extractor's hand-written scans (speed rewrites of a global regex scan) find exactly what the
// regex they stand for finds, on texts built from the characters those patterns turn on.
import fc from 'fast-check';
import { forgetVocatives, vocativesIn } from '../../stages/extract/address.js';
import { NARRATOR_RE, narratorIntro } from '../../stages/extract/discover.js';
import { buildNameIndex } from '../../stages/extract/names.js';
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

describe('NameIndex referents / containsAny', () => {
  // Names that share first characters and contain one another (艾雅 / 艾雅法拉, 小羊 / 小女孩), and a
  // discovered one holding a pronoun's character (他山).
  const idx = buildNameIndex(
    { names: ['艾雅法拉', '艾雅', '小羊'], pronoun: '她' },
    { names: ['博士', 'Doctor'], pronoun: '他' },
    [{ names: ['凯尔希', '凯尔希医生'], pronoun: '她' }],
    ['他山', '小女'],
  );
  // What they stand for: one regex alternation, names longest first, then the descriptive nouns no name holds, then the pronouns.
  const names = ['艾雅法拉', '艾雅', '小羊', '博士', 'Doctor', '凯尔希', '凯尔希医生', '他山', '小女'].sort((a, b) => b.length - a.length);
  const descs = [
    '小女孩',
    '女孩子',
    '女孩',
    '小姑娘',
    '姑娘',
    '少女',
    '女人',
    '女子',
    '女生',
    '女士',
    '小男孩',
    '男孩子',
    '男孩',
    '少年',
    '男人',
    '男子',
    '小伙子',
  ].sort((a, b) => b.length - a.length);
  const refRe = new RegExp(`${[...names, ...descs].join('|')}|(?<![其吾])[她他](?![们人])|我(?!们)`, 'g');
  const anyRe = new RegExp([...names, ...descs].join('|'));
  const words = ['艾雅', '法拉', '小', '羊', '女孩', '子', '凯尔希', '医生', '博士', 'Doc', 'tor', '他', '她', '我', '们', '人', '其', '吾', '山', '，', '男'];
  const lines = fc.array(fc.constantFrom(...words), { maxLength: 30 }).map((xs) => xs.join(''));
  test('a referent where the regex alternation finds one, the same word and length', () => {
    expect(idx.referents('其他人说她们和我，艾雅法拉小女孩').map((r) => [r.index, r.len])).toEqual([
      [7, 1],
      [9, 4],
      [13, 2],
    ]);
    fc.assert(
      fc.property(lines, (t) => {
        const got = idx.referents(t).map((r) => `${r.index}:${r.len}:${t.slice(r.index, r.index + r.len)}`);
        expect(got).toEqual([...t.matchAll(refRe)].map((m) => `${m.index}:${m[0].length}:${m[0]}`));
        expect(idx.containsAny(t)).toBe(anyRe.test(t));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('narratorIntro', () => {
  const words = ['我', '叫', '是', '名叫', '的名字是', '炎熔', '阿', '。', '，', '！', ';', '；', '\n', ' ', '\u3000', '好', '“', '”'];
  const texts = fc.array(fc.constantFrom(...words), { maxLength: 40 }).map((xs) => xs.join(''));
  const byRegex = (t: string) => {
    const m = NARRATOR_RE.exec(t);
    return m ? { index: m.index, name: m[1]! } : undefined;
  };
  test('the first match of NARRATOR_RE, its index and name', () => {
    expect(narratorIntro('好\n 我叫炎熔。')).toEqual({ index: 1, name: '炎熔' });
    expect(narratorIntro('好，\n我是阿炎。')).toEqual({ index: 1, name: '阿炎' });
    expect(narratorIntro('好，\n我是我叫阿炎熔。')).toBeUndefined();
    fc.assert(
      fc.property(texts, (t) => expect(narratorIntro(t)).toEqual(byRegex(t))),
      { numRuns: 5000 },
    );
  });
});

describe('vocativesIn (answered once per line)', () => {
  const persona = { names: ['艾雅法拉'], pronoun: '她' as const };
  const doctor = { names: ['博士'], pronoun: '他' as const };
  const withAlu = buildNameIndex(persona, doctor, [], ['阿芦']);
  const without = buildNameIndex(persona, doctor, []);
  test('the same line read with another index is read again, and after forgetVocatives', () => {
    const line = '阿芦，过来。博士！';
    expect([...vocativesIn(line, withAlu)].sort()).toEqual(['doctor', 'other:阿芦']);
    expect([...vocativesIn(line, without)]).toEqual(['doctor']);
    expect([...vocativesIn(line, withAlu)].sort()).toEqual(['doctor', 'other:阿芦']);
    forgetVocatives();
    expect([...vocativesIn(line, withAlu)].sort()).toEqual(['doctor', 'other:阿芦']);
    // (A long line, not remembered, reads the same.)
    const long = `${'走'.repeat(600)}。博士，等等。`;
    expect([...vocativesIn(long, without)]).toEqual(['doctor']);
  });
});
