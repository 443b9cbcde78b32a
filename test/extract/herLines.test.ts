// Finding her lines and keeping them in samples (#15): speech-tag grammar and the scene passes,
// each piece on its own, on snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { vocativesIn } from '../../stages/extract/address.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
/** The speaker (or kind) of every quote, '?' when open. */
const who = (lines: string[], o = opts) =>
  analyzeText(lines.join('\n\n'), o).segmented.utterances.map((u) => (u.kind === 'speech' ? (u.speaker ?? '?') : u.kind));

describe('speech-tag grammar', () => {
  test('a name starting with a word read as an adverbial (可 of 可露希尔) is still the subject', () => {
    expect(who(['可露希尔抬起头，“要几颗？”'])).toEqual(['other:可露希尔']);
    expect(who(['于是可露希尔抬起头，“要几颗？”'])).toEqual(['other:可露希尔']);
    // (The adverbial itself still goes: 可 before another name is "but".)
    expect(who(['可阿米娅还是摇了摇头，“不行。”'])).toEqual(['other:阿米娅']);
  });

  test('a denied speech verb after a quote is no tag, nor a beat (没有回答, 不说话)', () => {
    const t = ['博士和艾雅法拉走在走廊上。', '“您的声音原来是这样的。”', '“哪样？”博士问。', '“比我想的温和。”博士没有回答，只是放慢了步子。'];
    expect(who(t).at(-1)).not.toBe('doctor');
    // (The same tag, not denied, is one.)
    expect(who([...t.slice(0, 3), '“比我想的温和。”博士回答。']).at(-1)).toBe('doctor');
  });
  test('a tag that runs on into the next quote speaks for the quote before only in its first clause', () => {
    // 说 in the first clause: both quotes are 阿米娅's.
    expect(who(['“走吧。”阿米娅说，“要迟到了。”'])).toEqual(['other:阿米娅', 'other:阿米娅']);
    // 说 only later, after a beat: it introduces the second quote, and says nothing of the first.
    // (The first quote may still be hers by the paragraph: not by the tag.)
    const later = analyzeText(['博士和凯尔希在说话。', '“椅子坏了。”阿米娅没忍住，笑出了声，又小声说“对不起。”'].join('\n\n'), opts).segmented.utterances;
    expect(later.map((u) => u.rule)).toEqual(['paragraph', 'intro']);
    const first = analyzeText('“走吧。”阿米娅说，“要迟到了。”', opts).segmented.utterances;
    expect(first.map((u) => u.rule)).toEqual(['tag', 'intro']);
  });
  test('a descriptive noun as the object after a named character is someone else; as a subject it may be the same one', () => {
    const obj = ['艾雅法拉和博士走进商店。', '可露希尔抬起头，看见是羊角少女，“要几颗？”', '羊角少女红着脸，“……六颗。”'];
    expect(who(obj)).toEqual(['other:可露希尔', 'persona']);
    const subj = ['博士找到艾雅法拉的时候，少女正埋在地图里。', '“前辈？”少女抬起头。'];
    expect(who(subj)).toEqual(['persona']);
  });
});

describe('turn-taking between two agreeing anchors', () => {
  test('a bare line between two lines of hers is the one she was talking with, read from the conversation when who is about does not say', () => {
    // (凯尔希 is named in the scene, so who is about says nothing; the conversation says the Doctor.)
    const t = ['凯尔希把报告留在桌上就走了。', '博士问：“这是什么？”', '艾雅法拉答：“火山灰。”', '“哪里来的？”', '“样本袋里漏出来的。”艾雅法拉说。'];
    expect(who(t)).toEqual(['doctor', 'persona', 'doctor', 'persona']);
    // Someone else named between the anchor and the line: no partner, no fill.
    const third = [
      '凯尔希把报告留在桌上就走了。',
      '博士问：“这是什么？”',
      '艾雅法拉答：“火山灰。”阿米娅探头看了看。',
      '“哪里来的？”',
      '“样本袋里漏出来的。”艾雅法拉说。',
    ];
    expect(who(third)[2]).toBe('?');
  });
});

describe('turn-taking back from an anchor after the bare lines', () => {
  const lines = ['“明天还去吗？”', '“去。”', '“几点？”', '“六点。”', '“我送你。”', '“好。”艾雅法拉点点头。'];
  test('where only her and the Doctor are about, it reaches back as far as forward', () => {
    expect(who(['夜里的甲板上只有博士和艾雅法拉两个人。', '远处有灯光闪过。', ...lines])).toEqual([
      'doctor',
      'persona',
      'doctor',
      'persona',
      'doctor',
      'persona',
    ]);
  });
  test('where who is about is not known, only the line right before the anchor', () => {
    const t = ['凯尔希和阿米娅刚走，博士和艾雅法拉还在甲板上。', ...lines];
    expect(who(t)).toEqual(['?', '?', '?', '?', 'doctor', 'persona']);
  });
});

describe('her honorific for the Doctor', () => {
  test('a line using 前辈 of him, not only to him, is hers where no one else uses it', () => {
    // (A paragraph between it and 凯尔希's line keeps elimination among the three out: elimination.ts.)
    const t = ['博士、凯尔希和艾雅法拉在检查室。', '凯尔希说：“结果出来了。”', '检查室里安静了一会儿。', '“我还以为前辈这么早来，是因为结果很糟糕。”'];
    expect(who(t)[1]).toBe('persona');
    // Someone else uses it in the file: no evidence.
    const shared = [...t, '* * *', '栗苗说：“艾雅法拉前辈，早。”'];
    expect(who(shared)[1]).toBe('?');
    // (A quoted word is no use of it.)
    expect(who([...t.slice(0, 2), '“大家都叫他‘前辈’吗？”'])[1]).toBe('?');
  });
});

describe('the answer to her 前辈', () => {
  test('a bare line right after a line of hers calling 前辈 is the Doctor’s, even where someone else uses 前辈 too', () => {
    const t = ['阿米娅说：“前辈，名单上有我吗？”', '博士点点头。', '艾雅法拉凑过来：“前辈，那我的仪器呢？”', '“我让后勤装车了。”'];
    expect(who(t)).toEqual(['other:阿米娅', 'persona', 'doctor']);
    // A line of 阿米娅's calling 前辈 says nothing of who answers (it may be her or the Doctor she calls so).
    const his = ['博士、阿米娅和艾雅法拉在仓库里。', '艾雅法拉说：“前辈，早。”', '阿米娅问：“前辈，那我的仪器呢？”', '“我让后勤装车了。”'];
    const line = analyzeText(his.join('\n\n'), opts).segmented.utterances[2]!;
    expect(line.rule).not.toBe('reply');
  });
});

describe('a beat paragraph before a bare line', () => {
  test('one character acting: the bare line after it is theirs', () => {
    expect(who(['博士和艾雅法拉在观测站。', '艾雅法拉坐直了身子。', '“前辈，有信号了。”'])).toEqual(['persona']);
  });
  test('one character thinking or writing instead of speaking: it says nothing of the line after', () => {
    expect(who(['博士和艾雅法拉在观测站。', '艾雅法拉坐直了身子，心想：“又来了。”', '“是好事吗？”'])).toEqual(['thought', '?']);
    expect(who(['博士和艾雅法拉在观测站。', '艾雅法拉在报告里写道：“九点，震颤一次。”', '“是好事吗？”'])).toEqual(['sign', '?']);
  });
});

describe('turn-taking from one anchor where a third person has spoken', () => {
  const tail = ['“前辈。”艾雅法拉说。', '“嗯？”', '“下山以后，我想喝热可可。”', '“我让后勤准备。”', '“热可可也要另算钱。”'];
  test('only her and the Doctor ever spoke: the alternation goes on', () => {
    expect(who(['夜里，博士和艾雅法拉守在仪器旁。', ...tail])).toEqual(['persona', 'doctor', 'persona', 'doctor', 'persona']);
  });
  test('someone else spoke earlier in the scene: no further than two lines from the anchor', () => {
    const t = ['可露希尔说：“无人机还能飞四十分钟。”', '她挂断了通讯。', '很久以后，博士和艾雅法拉还守在仪器旁。', '远处一片漆黑。', ...tail];
    // (嗯？ answers her 前辈: the Doctor's by its own evidence; two lines on from it, no further.)
    expect(who(t)).toEqual(['other:可露希尔', 'persona', 'doctor', 'persona', 'doctor', '?']);
  });
});

describe('someone introduced', () => {
  test('一个 + a modifier + a descriptive noun is someone new, not the woman last meant', () => {
    const t = ['艾雅法拉蹲在花盆前。', '一个红发的女孩从架子后面钻出来。', '“谁在这里种东西？”红发的女孩说。'];
    expect(who(t)).not.toEqual(['persona']);
    // (Without 一个 the descriptive noun is read as the one salient: her.)
    expect(who(['艾雅法拉蹲在花盆前。', '“长得真快。”羊角少女说。'])).toEqual(['persona']);
  });
});

describe('whom a line calls', () => {
  const names = buildNameIndex(opts.persona, opts.doctor, opts.others);
  test('her full name is a vocative although a shorter alias (艾雅) starts it', () => {
    expect([...vocativesIn('艾雅法拉？你那边断了。', names)]).toEqual(['persona']);
    expect([...vocativesIn('艾雅，过来。', names)]).toEqual(['persona']);
    // (A name inside a phrase is no vocative.)
    expect([...vocativesIn('艾雅法拉的仪器坏了。', names)]).toEqual([]);
  });
  test('a particle may stand between the name and the pause (阿黛尔啊，), not a word (阿黛尔啊呜)', () => {
    expect([...vocativesIn('阿黛尔啊，今天的样本够了吗？', names)]).toEqual(['persona']);
    expect([...vocativesIn('走吧，博士呀！', names)]).toEqual(['doctor']);
    expect([...vocativesIn('阿黛尔啊呜一口咬下去。', names)]).toEqual([]);
  });
  test('the bare line after one that calls someone by name is theirs, even when who called is not known', () => {
    const t = ['阿米娅、凯尔希和艾雅法拉在会议室里。', '“艾雅法拉，你的报告呢？”', '“在、在这里。”'];
    expect(who(t)).toEqual(['?', 'persona']);
    // Not when the line after calls that one too (it is someone else speaking to them).
    expect(who([...t.slice(0, 2), '“艾雅法拉，快拿出来。”'])).toEqual(['?', '?']);
  });
  test('a speech tag right after a line that calls someone is not about the one called', () => {
    const t = ['这时，一个干员从书架后面探出头来。那是芙蓉，手里抱着书。', '“艾雅法拉，原来你在这儿。”那女孩压低声音说。'];
    expect(who(t)).toEqual(['other:芙蓉']);
    // A beat there (no speech verb) is the one called: the line is someone else's.
    const beat = ['芙蓉和艾雅法拉在书架边。', '“艾雅法拉，你看。”那女孩红了脸。'];
    expect(who(beat)).not.toEqual(['persona']);
  });
});
