// A glued run opened by a beat in which its first speaker acts on one other character
// (`…差点撞上X的额头。“对不起！”“没关系。”`): the second line is that character's answer
// (turns.ts fillBackToBack, narrationOnly.ts actedOn). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const line = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)!;

const scene = (beat: string) =>
  [
    '仓库里堆满了纸箱，三个人挤在过道中间清点标本。',
    '',
    `博士在一旁翻着清单。可露希尔蹲下去拆封条，${beat}“啊，抱歉！”“不要紧。箱子轻一点放。”“这样？”“嗯，就这样。”`,
  ].join('\n');

describe('a beat whose speaker acts on one other', () => {
  test('the second glued line is the one acted on; the run alternates from there', () => {
    const t = scene('艾雅法拉抱着箱子退了一步，一脚踩在可露希尔的手上。');
    expect(line(t, '啊，抱歉！').speaker).toBe('persona');
    expect(line(t, '不要紧。箱子轻一点放。').speaker).toBe('other:可露希尔');
    expect(line(t, '这样？').speaker).toBe('persona');
    expect(line(t, '嗯，就这样。').speaker).toBe('other:可露希尔');
  });
  test('must not fire: looking at someone is no act on them (the one looked at need not answer)', () => {
    const t = scene('艾雅法拉抱着箱子退了一步，回头看了看可露希尔。');
    expect(line(t, '啊，抱歉！').speaker).toBe('persona');
    expect(line(t, '不要紧。箱子轻一点放。').speaker).toBeNull();
  });
  test('must not fire: a beat naming two others says nothing of who answers', () => {
    const t = scene('艾雅法拉抱着箱子退了一步，一脚踩在可露希尔的手上，又撞到了博士的胳膊。');
    expect(line(t, '不要紧。箱子轻一点放。').speaker).toBeNull();
  });
});

// The same after a beat that gave the line before it its speaker: `“…”X冲他摆摆手。“…？”` (turns.ts fillBackToBack, rule acted-on).
const afterBeat = (beat: string) =>
  [
    '夜里的观测站只亮着一盏灯。博士推门进来的时候，两个人正围着一台拆开的仪器。',
    '',
    `“接好了吗？”艾雅法拉小声问。“先别碰，线还没接好。”可露希尔${beat}“这是在修什么？”`,
  ].join('\n');

describe('a beat after a line whose speaker acts on one other', () => {
  test('the next line, across the beat, is the one acted on', () => {
    const u = line(afterBeat('回头冲博士摆了摆手。'), '这是在修什么？');
    expect([u.speaker, u.rule]).toEqual(['doctor', 'acted-on']);
  });
  test('must not fire: looking at him says nothing of who speaks next', () => {
    expect(line(afterBeat('回头看了博士一眼。'), '这是在修什么？').rule).not.toBe('acted-on');
  });
});
