// A paragraph of narration that ends in an intro with a speech verb and a colon (`…小声对着花盆说：`)
// introduces the quote that opens the next paragraph. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const lineOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line);
const room = (intro: string) => ['凯尔希和艾雅法拉在温室里待了一下午。', '', intro, '', '「明天还要再浇一次水。」'].join('\n');

describe('an intro paragraph ending in a colon', () => {
  test('the bare line after `她…说：` is its subject’s', () => {
    const u = lineOf(room('凯尔希走后，艾雅法拉把花盆挪到窗边，小声对着叶子说：'), '明天还要再浇一次水。');
    expect(u?.speaker).toBe('persona');
    expect(u?.rule).toBe('intro');
  });
  test('must not fire: a colon with no speech verb (the writing on a board)', () => {
    const u = lineOf(room('墙边的白板上是凯尔希的字，一笔一画，整整齐齐：'), '明天还要再浇一次水。');
    expect(u?.rule).not.toBe('intro');
  });
  test('must not fire: the colon introduced a written quote inside that paragraph', () => {
    const t = room('艾雅法拉想了想，在本子上写道：「第三盆，叶子发黄。」');
    expect(lineOf(t, '明天还要再浇一次水。')?.rule).not.toBe('intro');
  });
});
