// The pieces added for her recall by rules alone (#15): each on its own, on short snippets
// written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { scoreFile } from './goldEval.js';

const opts = fileOptions(configSchema.parse(undefined));
/** The speaker (or kind) of every quote, '?' when open. */
const who = (lines: string[], o = opts) =>
  analyzeText(lines.join('\n\n'), o).segmented.utterances.map((u) => (u.kind === 'speech' ? (u.speaker ?? '?') : u.kind));

describe('turn-taking with the partner read from the conversation', () => {
  const scene = ['博士把报告放下就走了，芙蓉和艾雅法拉留在实验室。', '芙蓉问：“这是什么？”', '艾雅法拉答：“玄武岩。”', '“好黑啊。”', '“因为里面的铁多。”'];
  test('two anchors who answer each other: the bare lines after them alternate between those two, whoever else was named before', () => {
    expect(who(scene)).toEqual(['other:芙蓉', 'persona', 'other:芙蓉', 'persona']);
  });
  test('a bare line that calls a third person by name stops it', () => {
    const third = [...scene.slice(0, 3), '“凯尔希，您看这块。”', '“因为里面的铁多。”'];
    // (The line after it answers the one called: 凯尔希's, by the reply rule, not turn-taking's guess.)
    expect(who(third).slice(2)).toEqual(['?', 'other:凯尔希']);
  });
  test('narration between the two anchors naming a third person stops it', () => {
    const t = [scene[0]!, scene[1]!, '凯尔希从门口经过。', scene[2]!, scene[3]!];
    expect(who(t).at(-1)).toBe('?');
  });
  test('an anchor after the bare lines answered by the next one: the line right before it is that next speaker’s, no further', () => {
    // (Someone else about: who is about says nothing, the conversation only says who answered.)
    const t = [
      '凯尔希把报告放下，坐到窗边看书。',
      '芙蓉和艾雅法拉在实验台前。',
      '“这是什么？”',
      '“玄武岩。”',
      '芙蓉问：“好黑啊。”',
      '艾雅法拉答：“因为里面的铁多。”',
    ];
    expect(who(t)).toEqual(['?', 'persona', 'other:芙蓉', 'persona']);
    // Only those two about: the alternation reaches back further (herLines.test).
    expect(who(t.slice(1))).toEqual(['other:芙蓉', 'persona', 'other:芙蓉', 'persona']);
  });
  test('an anchor only after the bare lines does not say who its partner was before', () => {
    const t = ['博士把报告放下就走了，芙蓉和艾雅法拉留在实验室。', '“这是什么？”', '“玄武岩。”', '芙蓉问：“好黑啊。”', '艾雅法拉答：“因为里面的铁多。”'];
    expect(who(t).slice(0, 2)).toEqual(['?', '?']);
  });
});

describe("evidence in the line's own words", () => {
  test('a speaker who names themselves (我叫…) is that character; not 我是X的…, not a question', () => {
    expect(who(['孩子们围着两个人。', '“你叫什么名字？”', '“我叫艾雅法拉。”'])[1]).toBe('persona');
    expect(who(['孩子们围着两个人。', '“你叫什么名字？”', '“我是艾雅法拉的朋友。”'])[1]).toBe('?');
    expect(who(['孩子们围着两个人。', '“你叫什么名字？”', '“我是艾雅法拉吗？”'])[1]).toBe('?');
  });
  test('a pronoun tag that bridges two quotes gives the second the first one’s speaker', () => {
    // 她 after a sentence naming two women is unresolved; bridging the two parts, it is 芙蓉's.
    const t = ['芙蓉拉着艾雅法拉跑进来，又看了看她。“快看！”她喘着气，“外面下雪了！”'];
    expect(who(t)).toEqual(['other:芙蓉', 'other:芙蓉']);
    // A bridge that ends a sentence is a beat, not a bridge: left to the other rules.
    const beat = ['芙蓉拉着艾雅法拉跑进来，又看了看她。“快看！”她喘着气。“外面下雪了！”'];
    expect(who(beat)[1]).not.toBe('other:芙蓉');
  });
  test('her honorific for the Doctor says it is her, with three people about, in a file where no one else uses it', () => {
    // (A paragraph between her line and 凯尔希's: elimination among the three, which would answer it from
    // 凯尔希's turn and the Doctor's veto, stays out — elimination.ts.)
    const t = ['博士、凯尔希和艾雅法拉站在走廊上。', '凯尔希说：“报告出来了。”', '走廊里安静了一会儿。', '“谢谢前辈。”'];
    expect(who(t)[1]).toBe('persona');
    // Someone else calls her by it elsewhere in the file: it says nothing, in any scene.
    const shared = [...t, '* * *', '栗苗说：“艾雅法拉前辈，早。”'];
    expect(who(shared)[1]).toBe('?');
    // Someone else's line with 前辈 that the other rules settle (turn-taking: 栗苗's): off in the whole file.
    const junior = ['栗苗和艾雅法拉在实验室。', '栗苗问：“这是什么石头？”', '艾雅法拉答：“玄武岩。”', '“前辈，那这个呢？”', '* * *', ...t];
    expect(who(junior)).toEqual(['other:栗苗', 'persona', 'other:栗苗', 'other:凯尔希', '?']);
    // Someone the config does not know about in the scene (a junior of the story's own may say it): no evidence.
    const stranger = ['博士、青禾和艾雅法拉站在山路上。', '青禾说：“路断了。”', '青禾指着前面说：“那里也塌了。”', '山路上安静了一会儿。', '“谢谢前辈。”'];
    expect(who(stranger).at(-1)).toBe('?');
    // 前辈 talked about, not called: her word for him all the same (herLines.test); 前辈们 is not.
    expect(who(['博士、凯尔希和艾雅法拉站在走廊上。', '凯尔希说：“报告出来了。”', '“前辈的报告呢？”'])[1]).toBe('persona');
    expect(who(['博士、凯尔希和艾雅法拉站在走廊上。', '凯尔希说：“报告出来了。”', '“前辈们的报告呢？”'])[1]).toBe('?');
  });
  test('turn-taking back from an anchor after the bare lines: all the way where only two are about, not at all where a third was named and no one answers the anchor', () => {
    const t = ['阿米娅刚出去。', '博士和艾雅法拉在观测站。', '“今天风很大。”', '“仪器没问题吧？”', '“还好。”', '艾雅法拉说：“前辈，数据都存好了。”'];
    expect(who(t)).toEqual(['?', '?', '?', 'persona']);
    expect(who(t.slice(1))).toEqual(['doctor', 'persona', 'doctor', 'persona']);
  });
});

describe('non-speech cues around a bare line', () => {
  test("someone's voice heard at the end of the narration before a bare line is who says it", () => {
    const t = ['艾雅法拉正要回答，身后就传来了博士的笑声。', '“这个名字很适合你。”'];
    expect(who(t)).toEqual(['doctor']);
    // Two voices: no one.
    expect(who(['门外传来了博士的笑声和凯尔希的声音。', '“进来吧。”'])).toEqual(['?']);
  });
  test('an intro that says whom a line is said to makes the bare line after it their answer', () => {
    const t = ['博士、芙蓉和艾雅法拉围在桌边。', '芙蓉放下杯子，转向艾雅法拉：“这些样本要怎么装？”', '“每块石头一个袋子，写清楚地点和日期。”'];
    expect(who(t)).toEqual(['other:芙蓉', 'persona']);
    const asked = ['博士、芙蓉和艾雅法拉围在桌边。', '芙蓉问博士：“今天还出去吗？”', '“不出去了。”'];
    expect(who(asked)).toEqual(['other:芙蓉', 'doctor']);
  });
  test('where others use 前辈 too, a line calling 前辈 that talks of the Doctor by name calls her', () => {
    const t = ['栗苗和艾雅法拉在实验室，博士刚走。', '栗苗小声问：“前辈，博士平时也这么温柔吗？”', '“……专心写标签。”', '“艾雅法拉前辈脸红了。”'];
    expect(who(t).slice(0, 2)).toEqual(['other:栗苗', 'persona']);
  });
});

describe('gold scoring', () => {
  test('the same line said by two people is two utterances: each prediction takes one not matched yet', () => {
    const gold = {
      file: 'x.txt',
      encoding: 'utf-8',
      utterances: [
        { speaker: 'persona', text: '一言为定。' },
        { speaker: 'doctor', text: '一言为定。' },
      ],
    };
    const s = scoreFile(gold, [
      { text: '一言为定。', role: 'gpt' },
      { text: '一言为定。', role: 'human' },
    ]);
    expect(s).toMatchObject({ gptCorrect: 1, humanCorrect: 1, herFound: 1 });
  });
  test("a 【某人】 line (other:?) is right when it is anyone's but hers, wrong when it is hers or matches no line", () => {
    const gold = {
      file: 'x.txt',
      encoding: 'utf-8',
      utterances: [
        { speaker: 'other:阿米娅', text: '报告带来了吗？' },
        { speaker: 'doctor', text: '辛苦了。' },
        { speaker: 'persona', text: '带来了。' },
      ],
    };
    const claim = (text: string) => ({ text, role: 'human' as const, speaker: 'other:?' });
    expect(scoreFile(gold, [claim('报告带来了吗？'), claim('辛苦了。')])).toMatchObject({ humanPredicted: 2, humanCorrect: 2 });
    expect(scoreFile(gold, [claim('带来了。'), claim('没有这句。')])).toMatchObject({ humanPredicted: 2, humanCorrect: 0 });
  });
});

describe('one paragraph, several speakers', () => {
  test('whom a line calls by name is salient after it: a pronoun or descriptive noun right after may be them', () => {
    const t = ['塞雷娅推门进来，声音不高：“伊芙利特，把火收起来。”小女孩撇了撇嘴，嘟囔道：“知道了。”'];
    expect(who(t)[1]).not.toBe('other:塞雷娅');
  });
  test('two quotes back to back, or a tag naming someone unknown, keep the paragraph from giving every quote one speaker', () => {
    expect(who(['凯尔希走进来：“报告呢？”“在桌上。”'])).toEqual(['other:凯尔希', '?']);
    // (她 after a sentence naming two women is unresolved: the quote after it is not 芙蓉's either.)
    expect(who(['芙蓉拉着艾雅法拉坐下：“你看。”芙蓉和凯尔希都笑了。她说：“真好看。”'])).toEqual(['other:芙蓉', '?']);
  });
});

describe('quotes back to back in one paragraph', () => {
  test('the line after one is whom that one calls (intro 走到…面前, a name, her 前辈), the one after that the first speaker again', () => {
    const t = ['实验室里，伊芙利特、塞雷娅和艾雅法拉都在。博士走到伊芙利特面前蹲下来：“想比赛？”“嗯！”“那换个比法。”'];
    expect(who(t)).toEqual(['doctor', 'other:伊芙利特', 'doctor']);
    const her = ['博士和凯尔希、艾雅法拉坐在一起。艾雅法拉小声说：“前辈，您是故意的吧？”“我只是出了个题目。”“……那我就当作是夸我了。”'];
    expect(who(her)).toEqual(['persona', 'doctor', 'persona']);
  });
  test('nothing calls anyone and no two speakers before: open', () => {
    expect(who(['博士和凯尔希、艾雅法拉坐在一起。凯尔希说：“报告呢？”“在桌上。”“那就好。”'])).toEqual(['other:凯尔希', '?', '?']);
  });
});

describe('pronoun salience', () => {
  test('a pronoun in a clause with a name is the one salient before the sentence, and a pronoun after it in the sentence the same one', () => {
    const t = ['艾雅法拉眨了眨眼睛，好像没有听清。阿米娅轻轻拉了拉她的袖子，她这才反应过来。', '“真的吗？”她的声音有点发抖，“我还以为……”'];
    expect(who(t)).toEqual(['persona', 'persona']);
    // Two women salient before: still no one.
    const two = ['艾雅法拉和凯尔希坐在一起。阿米娅拉了拉她的袖子，她这才反应过来。', '“真的吗？”她的声音有点发抖，“我还以为……”'];
    expect(who(two)).toEqual(['?', '?']);
  });
  test('someone named in the intro of a line said to another is no third speaker of that exchange', () => {
    const t = ['艾雅法拉抓起外套跑了出去。', '芙蓉看着她的背影，转头对博士说：“她每次都这样。”', '博士说：“我知道。”', '“您知道还不拦着她。”'];
    expect(who(t).at(-1)).toBe('other:芙蓉');
  });
});
