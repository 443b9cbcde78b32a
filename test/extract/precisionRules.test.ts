// Precision rules of round 2 (#15, lane rulesE): lines of others kept out of her mouth and the
// Doctor's, on snippets written for these tests (never taken from the gold texts).
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { discoverNames } from '../../stages/extract/discover.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
/** [speaker or kind, text] of every quote. */
const speakers = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.kind === 'speech' ? (u.speaker ?? '?') : u.kind, u.text]);
const baseNames = buildNameIndex(opts.persona, opts.doctor, opts.others);
const found = (t: string) => discoverNames(t, baseNames).names.sort();

describe('character discovery from bodily action', () => {
  test('a name that opens two sentences of bodily action is a character; her line is not given to her after its beat', () => {
    const t = ['林檎推开仓库的门，拎进来两桶水。', '艾雅法拉接过一桶，放在墙角。', '林檎把另一桶搁在桌上，甩了甩手。', '“够用一周了。”'].join('\n\n');
    expect(found(t)).toEqual(['林檎']);
    expect(speakers(t)).toEqual([['other:林檎', '够用一周了。']]);
  });
  test('one such sentence, or a counted group as the subject, names no one', () => {
    expect(found('晚风推开了窗，艾雅法拉抬起头。\n\n“要下雨了。”')).toEqual([]);
    expect(found('几个人放下背包，几个人拿起水壶。几个人放下背包，几个人拿起水壶。')).toEqual([]);
    // An adverb where a subject could stand, and a name after commas only, are not enough.
    expect(found('艾雅法拉看完报告。顺手把杯子放下。她站起来，顺手把灯关了。')).toEqual([]);
    expect(found('艾雅法拉回过头，林檎推开门。她笑了笑，林檎把伞收好。')).toEqual([]);
  });
});

describe('the pronoun of a discovered name', () => {
  const scene = (title: string) =>
    [
      '石岚扛着测量杆走在前面，艾雅法拉跟在后面。',
      `“石岚${title}，休息一下吧。”艾雅法拉说。`,
      '“再走一段。”石岚说。',
      '“坡太陡了。”她擦了擦汗，“我们走慢一点。”',
    ].join('\n\n');
  test('an honorific of a man after it (先生) makes it 他: 她 after his line is still her', () => {
    expect(discoverNames(scene('先生'), baseNames).male).toEqual(['石岚']);
    expect(speakers(scene('先生')).slice(2)).toEqual([
      ['persona', '坡太陡了。'],
      ['persona', '我们走慢一点。'],
    ]);
  });
  test('a woman’s (小姐) leaves it 她: the line after hers is not put in her mouth', () => {
    expect(discoverNames(scene('小姐'), baseNames).male).toBeUndefined();
    expect(
      speakers(scene('小姐'))
        .slice(2)
        .map((x) => x[0]),
    ).not.toContain('persona');
  });
});

describe('an alias the narration gives someone (call sign, code name)', () => {
  const radio = (intro: string) => [intro, '【灰鹭】前辈，我到山脚了，风很大。', '【博士】收到，灰鹭。注意落石。', '【灰鹭】明白，我会小心的。'].join('\n');
  test('her call sign (她的代号是“X”) is her name in this file: its radio lines are hers, the quoted sign a term', () => {
    const t = radio('艾雅法拉戴上耳机，坐到电台前。出发前博士交代过，这次行动里她的代号是“灰鹭”。\n');
    expect(discoverNames(t, baseNames).aliases).toEqual([['灰鹭', 'persona']]);
    expect(speakers(t)).toEqual([
      ['term', '灰鹭'],
      ['persona', '前辈，我到山脚了，风很大。'],
      ['doctor', '收到，灰鹭。注意落石。'],
      ['persona', '明白，我会小心的。'],
    ]);
  });
  test('whose it is unclear (two women before 她): no alias, the call sign stays someone else', () => {
    const t = radio('艾雅法拉和阿米娅戴上耳机，坐到电台前。她的代号是“灰鹭”。\n');
    expect(discoverNames(t, baseNames).aliases).toBeUndefined();
    expect(speakers(t).filter((x) => x[0] === 'persona')).toEqual([]);
  });
});

describe('descriptive nouns of another age name someone else', () => {
  const start = ['艾雅法拉坐在显微镜前，少女的手指冻得发红。', '凯尔希推门进来，手里拿着一份报告。', '“两个小时了。”女人把报告放在桌上。'];
  test('女人 meant 凯尔希: 那个女孩 right after is the other woman about, her', () => {
    const t = [...start, '那个女孩抬起头，小声说：“再给我十分钟。”'].join('\n\n');
    expect(speakers(t)).toEqual([
      ['other:凯尔希', '两个小时了。'],
      ['persona', '再给我十分钟。'],
    ]);
  });
  test('a descriptive noun of the same age (女子 after 女人) still means the one it meant', () => {
    const t = [...start, '女子又看了看钟，说：“最多十分钟。”'].join('\n\n');
    expect(speakers(t)).toEqual([
      ['other:凯尔希', '两个小时了。'],
      ['other:凯尔希', '最多十分钟。'],
    ]);
  });
});

describe('a bare line after narration about one character', () => {
  const after = (line: string) => ['博士推开资料室的门。', '艾雅法拉趴在桌上，手里还攥着铅笔，睡得正香。', line].join('\n\n');
  test('is theirs (the beat before it)', () => {
    expect(speakers(after('“……我没睡着。”'))).toEqual([['persona', '……我没睡着。']]);
  });
  test('but not when it speaks of them as 她 / 他: it talks about them', () => {
    expect(speakers(after('“她昨晚又熬到了三点吧。”'))[0]![0]).not.toBe('persona');
  });
});

describe('whom a line calls by name stays salient after it', () => {
  const scene = (called: string) =>
    ['阿米娅推开门，看见艾雅法拉抱着一摞资料站在走廊里。', `“${called}，东西放桌上就好。”阿米娅说。`, '她侧身走进屋里：“那我就打扰了。”'].join('\n\n');
  test('a woman called by name: 她 in the next paragraph may be either, not surely the speaker', () => {
    expect(speakers(scene('艾雅法拉小姐'))[1]![0]).not.toBe('other:阿米娅');
  });
  test('a man called (博士): 她 is still the one woman who spoke', () => {
    expect(speakers(scene('博士'))[1]![0]).toBe('other:阿米娅');
  });
});

describe('a first-person narrator who names themselves', () => {
  test('is 我, never whom 她 means, though the narration names them (我叫X)', () => {
    const t = ['我叫林岫，在观测站守夜已经三年了。夜里很少有人来。', '门被敲了两下，她探进头来，小声说：“打扰了。”'].join('\n\n');
    expect(discoverNames(t, baseNames).narrator).toBe('other:林岫');
    expect(speakers(t)[0]![0]).not.toBe('other:林岫');
  });
  test('a woman the narration names is still 她', () => {
    const t = ['我叫林岫，在观测站守夜已经三年了。艾雅法拉常常半夜来借仪器。', '门被敲了两下，她探进头来，小声说：“打扰了。”'].join('\n\n');
    expect(speakers(t)).toEqual([['persona', '打扰了。']]);
  });
});

describe('someone who comes in later is not about before', () => {
  const scene = (first: string) =>
    [first, '“好热……”她擦了擦额头上的汗。', '“要帮忙吗？”', '“不用啦，马上就好。”', '温室的门被推开，博士推门走了进来。', '“前辈！您来得正好。”'].join('\n\n');
  test('the Doctor first seen coming in: a bare line before it is not his', () => {
    const got = speakers(scene('艾雅法拉一个人蹲在温室里，给番茄浇水。'));
    expect(got[1]).toEqual(['?', '要帮忙吗？']);
  });
  test('seen before (坐在一旁): the same line is his answer', () => {
    const got = speakers(scene('艾雅法拉蹲在温室里给番茄浇水，博士坐在一旁看书。'));
    expect(got[1]).toEqual(['doctor', '要帮忙吗？']);
  });
});

describe('an intro sentence says its own subject', () => {
  test('one whose subject is no known character (一个老人…才开口：) does not take the sentence before’s', () => {
    const t = '艾雅法拉蹲在泉边记数。一个戴草帽的老人慢慢走过来，在石头上坐下，看了很久才开口：“水比去年烫多了。”';
    expect(speakers(t)[0]![0]).not.toBe('persona');
  });
  test('a subject in the intro sentence itself still counts', () => {
    expect(speakers('艾雅法拉蹲在泉边，看了很久才开口：“水比去年烫多了。”')).toEqual([['persona', '水比去年烫多了。']]);
  });
});
