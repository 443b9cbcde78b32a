// Turn-taking's Doctor lines and elimination (turns.ts, presence.ts, elimination.ts): what a
// reader checks before giving a bare line after hers to the Doctor, or to a third person.
// Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (lines: string[]) =>
  analyzeText(lines.join('\n\n'), opts)
    .segmented.utterances.filter((u) => u.kind === 'speech')
    .map((u) => [u.text, u.speaker]);

describe('a line calling her as a stranger does', () => {
  const stall = (line: string) => [
    '码头边的摊子上堆着晒干的海带，艾雅法拉停下来看了一会儿，博士站在她身后。',
    '艾雅法拉拿起一片，问：“这个是今天早上收的吗？”',
    `“${line}”`,
    '“我只是看看，谢谢你。”',
    '“我奶奶说这是最好的海带！”',
  ];
  test('`姐姐，…` after her line is not the Doctor’s, and someone unnamed is about: no Doctor in the run', () => {
    const u = who(stall('姐姐，你要买海带吗？'));
    expect(u[0]).toEqual(['这个是今天早上收的吗？', 'persona']);
    for (const [, sp] of u.slice(1)) expect(sp).not.toBe('doctor');
  });
  test('the same word not as a call (`我姐姐…`) says nothing: the run alternates with the Doctor', () => {
    const u = who(stall('我姐姐以前也晒过海带。'));
    expect(u[1]).toEqual(['我姐姐以前也晒过海带。', 'doctor']);
  });
  test('where the Doctor’s own tagged line uses the word in the scene, it is no sign of someone else', () => {
    const u = who([
      '雨停了，艾雅法拉抱着资料从车站跑出来，博士在屋檐下等她。',
      '博士把伞递过去，学着车站大叔的腔调说：“姑娘，你的伞。”',
      '“谢谢前辈。您怎么知道我没带伞？”',
      '“姑娘，你哪次记得带了？”',
      '“……这次是意外。”',
    ]);
    expect(u[0]).toEqual(['姑娘，你的伞。', 'doctor']);
    expect(u[2]).toEqual(['姑娘，你哪次记得带了？', 'doctor']);
  });
});

describe('a line said to a group', () => {
  const room = (intro: string, answer: string) => [
    '教室里坐满了人，艾雅法拉站在讲台边，博士靠在后门。',
    `${intro}“那下周我们一起去看岩石，好不好？”`,
    `“${answer}”`,
  ];
  test('the bare answer to `她转向孩子们：` is one of theirs, not the Doctor’s', () => {
    const u = who(room('她转向孩子们，笑着说：', '好——！'));
    expect(u[0]![1]).toBe('persona');
    expect(u[1]![1]).toBeNull();
  });
  test('said to the Doctor (`她转向博士`), the answer is his', () => {
    const u = who(room('她转向博士，小声说：', '可以。'));
    expect(u[1]).toEqual(['可以。', 'doctor']);
  });
});

describe('who is about, read again before turn-taking', () => {
  const kitchen = (called: string, answer: string) => [
    '深夜的厨房里，博士在洗杯子，艾雅法拉在揉面团，阿米娅坐在一旁剥栗子。',
    '“前辈，烤箱要预热多久？”艾雅法拉问。',
    '“十分钟。”博士说。',
    '面团分成了八份，每一份都歪歪扭扭的。',
    '窗外开始下雪了。',
    '她把第一盘推进烤箱，这才发现自己的鼻尖上全是面粉。',
    `“${called}，你刚才怎么不告诉我？”艾雅法拉问。`,
    `“${answer}”`,
    '“一点都不可爱！”艾雅法拉鼓起了脸。',
    '“真的。”',
  ];
  test('after her exchange with 阿米娅 (her answer filled by a scene pass), the next bare line is 阿米娅’s, not the Doctor’s', () => {
    const u = who(kitchen('阿米娅', '因为很可爱。'));
    expect(u[3]).toEqual(['因为很可爱。', 'other:阿米娅']);
    expect(u[5]).toEqual(['真的。', 'other:阿米娅']);
  });
  test('in an exchange with the Doctor, it is his', () => {
    const u = who(kitchen('前辈', '因为很可爱。'));
    expect(u[3]).toEqual(['因为很可爱。', 'doctor']);
    expect(u[5]).toEqual(['真的。', 'doctor']);
  });
});

describe('elimination among three, with her going on after a beat', () => {
  const shop = (third: string, next: string) => [
    '可露希尔把一把旧锤子放在柜台上，艾雅法拉和博士站在柜台前。',
    '“修一下要三千。”可露希尔笑道。',
    '“三千？那不如买把新的。”博士说。',
    `“${third}”`,
    next,
  ];
  test('the speaker of the next line is not ruled out where that line opens after her own beat: `前辈！` is not given to 可露希尔', () => {
    const u = who(shop('前辈！', '艾雅法拉回头瞪了他一眼，又转向柜台：“能便宜一点吗？”'));
    expect(u[2]![1]).not.toBe('other:可露希尔');
  });
  test('where the next line has no beat of its own (`“…”艾雅法拉小声说。`), its speaker is ruled out and the third one decided', () => {
    const u = who(shop('好吧，两千五。', '“还是太贵了。”艾雅法拉小声说。'));
    expect(u[2]).toEqual(['好吧，两千五。', 'other:可露希尔']);
  });
});

describe('a long bare run between two anchors while a third person is about', () => {
  const fire = (scene: string) =>
    who([
      scene,
      '艾雅法拉抱着膝盖问：“明天几点出发？”',
      '“六点。”',
      '“那我五点就起来收拾。”',
      '“用不着那么早。”',
      '“可是样本箱还没有封好。”',
      '博士往火里添了一根柴：“那就五点半，我帮你封。”',
    ]);
  test('with a third person about, the lines far from both anchors are left open (any of the three may answer)', () => {
    const u = fire('艾雅法拉、博士和炎熔围着火堆坐着，炎熔在烤土豆。');
    expect(u[1]).toEqual(['六点。', null]);
    expect(u[3]).toEqual(['用不着那么早。', null]);
  });
  test('with only her and the Doctor about, the same run alternates', () => {
    const u = fire('艾雅法拉和博士围着火堆坐着。');
    expect(u.slice(1, 5).map((x) => x[1])).toEqual(['doctor', 'persona', 'doctor', 'persona']);
  });
});
