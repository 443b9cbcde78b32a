// A bare request right after narration about her alone (`她抱着箱子不放。` + `“放下来吧，…”`) may
// as well be said to her as by her: not put in her mouth; between her and the Doctor it is his
// (rulesH). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { toldToThem } from '../../stages/extract/quoteKind.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)?.speaker;

const scene = (line: string) =>
  [
    '博士和艾雅法拉在山脚下等车。',
    '',
    '风很大，艾雅法拉把那台旧仪器抱在怀里，抱得紧紧的。',
    '',
    `“${line}”`,
    '',
    '艾雅法拉摇了摇头，笑着说：“前辈，它比看起来结实，但我还是想抱着。”',
  ].join('\n');

describe('a request right after narration about her', () => {
  test('放下来吧 / 别抱那么紧: not hers — the Doctor’s, only the two of them about', () => {
    expect(speakerOf(scene('放下来吧，车还有一会儿才到。'), '放下来吧，车还有一会儿才到。')).toBe('doctor');
    expect(speakerOf(scene('别抱那么紧，它又不会跑。'), '别抱那么紧，它又不会跑。')).toBe('doctor');
  });
  test('must not fire: a line of hers about herself (我), or calling the Doctor, after her beat stays hers', () => {
    expect(speakerOf(scene('我再抱一会儿吧，风太大了。'), '我再抱一会儿吧，风太大了。')).toBe('persona');
    expect(speakerOf(scene('前辈，车是不是快到了？'), '前辈，车是不是快到了？')).toBe('persona');
    expect(speakerOf(scene('车好像晚点了。'), '车好像晚点了。')).toBe('persona');
  });
  test('toldToThem reads the request shape only', () => {
    const names = buildNameIndex(opts.persona, opts.doctor, opts.others);
    expect(toldToThem('先坐下吧，腿还疼着。', names)).toBe(true);
    expect(toldToThem('小心台阶。', names)).toBe(true);
    expect(toldToThem('你看，那边就是火山口。', names)).toBe(false);
    expect(toldToThem('让我来吧。', names)).toBe(false);
    expect(toldToThem('艾雅法拉，别动吧。', names)).toBe(false);
  });
});
