// Each piece of attribution (#15) on its own, on short snippets written for these tests, and the
// sample format built on it.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { discoverNames } from '../../stages/extract/discover.js';
import { analyzeText, extractFile } from '../../stages/extract/extractFile.js';
import { buildNameIndex } from '../../stages/extract/names.js';
import * as samplesModule from '../../stages/extract/samples.js';

const opts = fileOptions(configSchema.parse(undefined));
/** [speaker or kind, text] of every quote. */
const speakers = (text: string, o = opts) => analyzeText(text, o).segmented.utterances.map((u) => [u.kind === 'speech' ? (u.speaker ?? '?') : u.kind, u.text]);
const samples = (text: string, o = opts) => extractFile(Buffer.from(text), o).samples;
const baseNames = buildNameIndex(opts.persona, opts.doctor, opts.others);

describe('speech-tag grammar', () => {
  test('punctuation between the closing quote and the tag', () => {
    const t = '博士推门进来。\n\n“前辈，您来了。”，艾雅法拉抬起头说。\n\n“嗯。”';
    expect(speakers(t)[0]).toEqual(['persona', '前辈，您来了。']);
  });
  test('a tag split across the quote, after a dash, with a modifier before the subject (…的她)', () => {
    const t = '艾雅法拉把地图摊开。\n\n“这里。”——戴着助听器的她说起这个，声音轻快起来——“就是那条隧道。”';
    expect(speakers(t)).toEqual([
      ['persona', '这里。'],
      ['persona', '就是那条隧道。'],
    ]);
  });
  test('a bare descriptive noun (少女) is read like 她 and keeps naming the one it first meant; 那女孩 is whoever was just introduced', () => {
    const t = [
      '艾雅法拉坐在窗边，少女正低头看书。',
      '“前辈，早。”，少女小声说。',
      '一个医疗干员走了进来，那是芙蓉。',
      '“找到你了。”，那女孩说。',
      '“芙蓉？”，少女站起来。',
    ].join('\n\n');
    expect(speakers(t).map((x) => x[0])).toEqual(['persona', 'other:芙蓉', 'persona']);
  });
  test('a descriptive noun with a short modifier before it (羊角少女) is a subject', () => {
    const t = '艾雅法拉把地图摊开。\n\n“熔岩流空了以后，就留下一条管道。”，羊角少女一边说，一边比画。';
    expect(speakers(t)[0]![0]).toBe('persona');
  });
  test('a role noun in apposition before a name (新来的干员栗苗) leaves the name the subject', () => {
    const t = '艾雅法拉在实验室。\n\n门口，新来的干员芙蓉抱着书跑进来。\n\n“这是什么石头？”';
    expect(speakers(t)).toEqual([['other:芙蓉', '这是什么石头？']]);
  });
  test('a pronoun is never the character named earlier in its own clause', () => {
    // 她 in 伊芙利特缠着她 is not 伊芙利特: with no other candidate it resolves to no one.
    const t = '伊芙利特缠着她不放，她说：“再来一次！”';
    expect(speakers(t)[0]![0]).not.toBe('other:伊芙利特');
  });
  test('a sentence whose pronouns all meant her keeps her the topic, whoever else it names', () => {
    const t = ['艾雅法拉坐在天台边上。', '她不说话，连凯尔希都会夸她。她终于抬起了头。', '“我没事。”'].join('\n\n');
    expect(speakers(t)).toEqual([['persona', '我没事。']]);
    // One pronoun only: the sentence names two women and 她 after it abstains.
    const one = ['艾雅法拉坐在天台边上。', '连凯尔希都会夸她。她终于抬起了头。', '“我没事。”'].join('\n\n');
    expect(speakers(one)).toEqual([['?', '我没事。']]);
  });
  test('two women in the last sentence: 她 abstains', () => {
    const t = '艾雅法拉看着凯尔希。\n\n她说：“结果出来了。”';
    expect(speakers(t)).toEqual([['?', '结果出来了。']]);
  });
});

describe('non-speech', () => {
  test('thoughts marked after the quote, split thoughts, （内心） script lines', () => {
    expect(speakers('“一定是写得太长了。”她想。')).toEqual([['thought', '一定是写得太长了。']]);
    expect(speakers('“也许吧……”艾雅法拉在心里说。')[0]![0]).toBe('thought');
    expect(speakers('“他说得对……”艾雅法拉咬了一口饼干，默默地想，“可是还不够。”').map((x) => x[0])).toEqual(['thought', 'thought']);
    // 想了想 is not a thought verb: the quote after it is speech.
    expect(speakers('艾雅法拉想了想，说：“前辈，我明白了。”')).toEqual([['persona', '前辈，我明白了。']]);
  });
  test('written text: 写道, 一行字, 日记本上; 旁白 and 附言 labels are nobody', () => {
    expect(speakers('日记本上多了一行字：“今天很开心。”')[0]![0]).toBe('sign');
    expect(speakers('便签上写着：“请您一定保密。”')[0]![0]).toBe('sign');
    const script = [
      '艾雅法拉：前辈，早。',
      '博士：早。',
      '旁白：博士没有回答。',
      '附言：下次再说。',
      '艾雅法拉（内心）：他好像很累。',
      '艾雅法拉：那我先走了。',
      '博士：好。',
      '艾雅法拉：明天见。',
    ].join('\n');
    const got = speakers(script);
    expect(got.filter((x) => x[1] === '博士没有回答。' || x[1] === '下次再说。')).toEqual([]);
    expect(got.find((x) => x[1] === '他好像很累。')![0]).toBe('thought');
  });
});

describe('character discovery', () => {
  test('names from speech tags and action subjects that occur twice; an unconfigured speaker is another character', () => {
    const t = ['桃桃跑了过来。', '“姐姐！”桃桃大声说。', '“嗯？”艾雅法拉回过头。', '桃桃指着羊圈：“你看！”'].join('\n\n');
    expect(discoverNames(t, baseNames).names).toEqual(['桃桃']);
    expect(speakers(t).map((x) => x[0])).toEqual(['other:桃桃', 'persona', 'other:桃桃']);
  });
  test('a first-person narrator who names themselves is not the Doctor; 我叫X inside a quote says nothing', () => {
    const t = '我叫炎熔。我在天台上遇见了艾雅法拉。\n\n“你在干什么？”我问。\n\n“没什么。”她说。';
    expect(discoverNames(t, baseNames).narrator).toBe('other:炎熔');
    expect(speakers(t).map((x) => x[0])).toEqual(['other:炎熔', 'persona']);
    expect(discoverNames('“我叫艾雅法拉。”她说。我点了点头。', baseNames).narrator).toBeUndefined();
  });
  test('a narrator who does not say is the Doctor when 我 dominates', () => {
    const t = '我放下笔。我看着她。我没说话。\n\n“前辈，您还没睡？”艾雅法拉问。\n\n“还没。”我说。';
    expect(speakers(t).map((x) => x[0])).toEqual(['persona', 'doctor']);
  });
  test('an alias used for an animal (一只小羊) is not her in narration, still her as a vocative', () => {
    const t = '栅栏边有一只小羊。\n\n小羊叫了一声。\n\n“小羊姐姐，你看！”孩子说。';
    expect(discoverNames(t, baseNames).animalAliases).toEqual(['小羊']);
    expect(speakers(t)[0]![0]).not.toBe('persona');
  });
});

describe('address and turn-taking', () => {
  const pair = ['博士推开门，艾雅法拉正趴在桌上。', '“还没吃饭？”', '“啊，前辈。几点了？”', '“八点。”', '“诶？我以为才六点。”', '“先吃饭。”', '“可是……”'].join(
    '\n\n',
  );
  test('only her and the Doctor about: the honorific says who speaks, alternation fills the rest', () => {
    expect(speakers(pair).map((x) => x[0])).toEqual(['doctor', 'persona', 'doctor', 'persona', 'doctor', 'persona']);
  });
  test('someone else about: no one-sided turn-taking, and the honorific is off where someone else uses it', () => {
    const three = ['栗苗和艾雅法拉蹲在岩石边。', '“艾雅法拉前辈，这是什么？”', '“玄武岩。”', '“前辈好厉害！”', '“我也学了很久。”'].join('\n\n');
    const got = speakers(three);
    expect(got.filter((x) => x[0] === 'persona').map((x) => x[1])).not.toContain('前辈好厉害！');
    expect(got.filter((x) => x[0] === 'doctor')).toEqual([]);
  });
  test('turn-taking between two anchors that disagree with alternation abstains', () => {
    // Her, bare, bare, her: two steps apart with the same speaker means the line between is not
    // decided by parity from both sides (3 steps, odd) — the bare lines stay open.
    const t = ['艾雅法拉说：“这个给您看。”', '“什么？”', '“这里。”', '“还有这里。”艾雅法拉说。'].join('\n\n');
    const got = speakers(t);
    expect(got[1]![0]).toBe('?');
    expect(got[2]![0]).toBe('?');
    // (The one ahead opening after narration of its own, `艾雅法拉又说：`, may be her going on:
    // then the lines answer the one before, one-sided — recallRules.test.)
    const goesOn = speakers(['艾雅法拉说：“这个给您看。”', '“什么？”', '“这里。”', '艾雅法拉又说：“还有这里。”'].join('\n\n'));
    expect(goesOn.map((x) => x[0])).toEqual(['persona', 'doctor', 'persona', 'persona']);
  });
  test('her and one other character about: alternation runs between those two', () => {
    const t = ['实验室里，栗苗拿着一块石头跑到艾雅法拉身边。', '栗苗问：“这是玄武岩吗？”', '“是的，你看它的小孔。”', '“好多小孔！”', '“都是气体留下的。”'].join(
      '\n\n',
    );
    expect(speakers(t).map((x) => x[0])).toEqual(['other:栗苗', 'persona', 'other:栗苗', 'persona']);
  });
  test('who is about is read again from the lines turn-taking filled: a long run between her and another character', () => {
    const t = [
      '艾雅法拉和栗苗在实验室里。',
      '栗苗问：“这是玄武岩吗？”',
      '“是的。”',
      '“那这个呢？”',
      '“也是。”',
      '“这个呢？”',
      '“那是安山岩。”',
      '“好难分啊。”',
      '“多看几次就好了。”',
    ];
    expect(speakers(t.join('\n\n')).map((x) => x[0])).toEqual([
      'other:栗苗',
      'persona',
      'other:栗苗',
      'persona',
      'other:栗苗',
      'persona',
      'other:栗苗',
      'persona',
    ]);
  });
  test('a partner named only after the line is not yet there; someone far ahead does not block the pair', () => {
    // 芙蓉 comes in three paragraphs after the start of the run: its lines are between her and the
    // Doctor (八点 answers the 前辈 before it; the line right before she comes in alternates with
    // the two anchors before it, conversationPartner).
    const later = [
      '博士推开门，艾雅法拉正趴在桌上。',
      '“还没吃饭？”',
      '“啊，前辈。几点了？”',
      '“八点。”',
      '“我马上就好。”',
      '这时芙蓉走了进来。',
      '芙蓉说：“找到你了。”',
    ];
    const got = speakers(later.join('\n\n')).map((x) => x[0]);
    expect(got).toEqual(['doctor', 'persona', 'doctor', 'persona', 'other:芙蓉']);
    // The Doctor's partner in a run 芙蓉 only enters after: never 芙蓉.
    const ahead = ['“又在这里。”', '“前辈……”', '“很好懂。”', '芙蓉从书架后面探出头来。', '芙蓉说：“原来你在这儿。”'].join('\n\n');
    expect(speakers(ahead)[2]![0]).not.toBe('other:芙蓉');
  });
  test("a line that calls one of the two people about by name is the other one's", () => {
    const t = ['天台上只有炎熔和艾雅法拉。', '炎熔问：“你怎么了？”', '“没什么。”', '“炎熔，你别告诉别人。”'].join('\n\n');
    expect(speakers(t).at(-1)![0]).toBe('persona');
  });
  test('a bare line after narration takes the subject of its last sentence when only they are in it', () => {
    const t = ['第二天早上，博士在食堂门口被人拦住了。艾雅法拉举着一个空盘子。', '“我吃完了！全部！”'].join('\n\n');
    expect(speakers(t)).toEqual([['persona', '我吃完了！全部！']]);
    const two = ['博士看着艾雅法拉举起盘子。', '“我吃完了！”'].join('\n\n');
    expect(speakers(two)).toEqual([['?', '我吃完了！']]);
  });
  test('a bare line right after one that calls someone is their answer, with three people about; 前辈 in the third person calls no one', () => {
    const t = ['凯尔希、阿米娅和博士站在走廊上，艾雅法拉从检查室出来。', '艾雅法拉问：“前辈，结果是不是不太好？”', '“别自己吓自己。”'].join('\n\n');
    expect(speakers(t).map((x) => x[0])).toEqual(['persona', 'doctor']);
    const about = ['芙蓉和艾雅法拉坐在观测室，博士在办公室。', '艾雅法拉说：“我交给前辈的报告，有一个错别字。”', '“就一个？”'].join('\n\n');
    expect(speakers(about)[1]![0]).not.toBe('doctor');
  });
  test('a name at the end of a sentence is not a vocative (它叫小羊。)', () => {
    const t = '博士和艾雅法拉站在一起。\n\n“它叫小羊。”孩子说。';
    expect(speakers(t)[0]![0]).not.toBe('doctor');
  });
});

describe('sample format', () => {
  const scene = [
    '阿米娅说：“艾雅法拉，凯尔希医生找你。”',
    '艾雅法拉说：“现在吗？”',
    '艾雅法拉又说：“我马上就去，谢谢你特地来告诉我。”',
    '博士说：“路上小心。”',
    '艾雅法拉说：“好的，前辈，我很快回来。”',
  ].join('\n');
  test('her reply to another character: a labelled human turn; her consecutive lines merged into one turn', () => {
    const s = samples(scene);
    expect(s).toContainEqual(['【阿米娅】艾雅法拉，凯尔希医生找你。', '现在吗？\n我马上就去，谢谢你特地来告诉我。']);
    expect(s).toContainEqual(['路上小心。', '好的，前辈，我很快回来。']);
  });
  test('each sample records the source lines it was made from', () => {
    const r = extractFile(Buffer.from(scene), opts);
    expect(r.report.sample_lines).toHaveLength(r.samples.length);
    const i = r.samples.findIndex((x) => x[0] === '路上小心。' && x.length === 2);
    expect(r.report.sample_lines[i]).toEqual([4, 5]);
    const j = r.samples.findIndex((x) => x[0]!.startsWith('【阿米娅】') && x.length === 2);
    expect(r.report.sample_lines[j]).toEqual([1, 3]);
  });
  test("an open line that calls her by name is someone else's: she answers it as 【某人】; a line with nothing against her still ends the run", () => {
    const room = '博士、阿米娅和凯尔希在会议室等着。艾雅法拉推门进来。';
    const reply = '艾雅法拉点点头：“带来了，一共三份，我按日期排好了顺序。”';
    const called = [room, '“艾雅法拉，你的报告带来了吗？”', reply].join('\n\n');
    expect(analyzeText(called, opts).segmented.utterances[0]).toMatchObject({ speaker: null, notHer: true });
    expect(samples(called)).toEqual([['【某人】艾雅法拉，你的报告带来了吗？', '带来了，一共三份，我按日期排好了顺序。']]);
    // (Not bare: narration of its own in the open paragraph, and her line opens after her beat — she may be going on.)
    const plain = [room, '“报告，”窗外的雨声大了起来，“带来了吗？”', reply].join('\n\n');
    expect(analyzeText(plain, opts).segmented.utterances[0]).toMatchObject({ speaker: null });
    expect(analyzeText(plain, opts).segmented.utterances[0]!.notHer).toBeUndefined();
    expect(samples(plain)).toEqual([]);
    expect(samples(called, { ...opts, reply_to_others: false })).toEqual([]);
  });
  test('reply_to_others: false ends the conversation at another character instead', () => {
    const s = samples(scene, { ...opts, reply_to_others: false });
    expect(s.some((x) => x.some((t) => t.includes('【'))) || s.some((x) => x[0]!.includes('凯尔希医生找你'))).toBe(false);
    expect(s).toContainEqual(['路上小心。', '好的，前辈，我很快回来。']);
  });
  test('no canned opener after a line that could not be used; her line there is counted, not hidden', () => {
    // Someone unnamed speaks first: that line is uncertain, so her reply has nothing to answer.
    const t =
      '门外有人敲门：“打扰了。”\n\n艾雅法拉说：“前辈，这是今天的观测记录，请您过目。”\n\n博士说：“放这儿吧。”\n\n艾雅法拉说：“好的，那我先回去整理数据了。”';
    const r = extractFile(Buffer.from(t), opts);
    expect(analyzeText(t, opts).segmented.utterances[0]!.speaker).toBeNull();
    expect(r.samples.every((x) => x[0] !== opts.opener)).toBe(true);
    expect(r.report.dropped.her_no_preceding_line).toBe(1);
  });
  test('her lines in no sample are counted by reason; kept + dropped = her lines', () => {
    const t = ['博士说：“早。”', '艾雅法拉说：“嗯。”', '博士说：“今天去哪？”', `艾雅法拉说：“${'北坡的观测站，那里的仪器需要校准。'.repeat(30)}”`].join('\n');
    const r = extractFile(Buffer.from(t), opts).report;
    expect(r.utterances.persona).toBe(2);
    expect(r.dropped.her_too_short).toBe(1);
    expect(r.dropped.her_too_long).toBe(1);
  });
});

describe('end-of-stage line', () => {
  test('her lines kept and not kept, by reason', () => {
    const { herLinesSummary } = samplesModule;
    expect(herLinesSummary(10, { her_too_short: 2, her_nsfw: 1, her_too_long: 0, her_no_preceding_line: 0, her_no_anchor: 0, other_speaker: 5 })).toBe(
      'extract: her lines 10: 7 in samples, not kept: nsfw 1, too short 2',
    );
    expect(herLinesSummary(3, {})).toBe('extract: her lines 3: 3 in samples');
  });
});
