// What is not her line (#15, precision): unconfigured characters found per file, narrators who say
// who they are, thoughts and written text next to speech, and the Doctor not assumed where he is
// not about. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { discoverNames } from '../../stages/extract/discover.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
/** [speaker or kind, text] of every quote. */
const speakers = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.kind === 'speech' ? (u.speaker ?? '?') : u.kind, u.text]);
const baseNames = buildNameIndex(opts.persona, opts.doctor, opts.others);
const found = (t: string) => discoverNames(t, baseNames).names.sort();

describe('character discovery, per file', () => {
  test('a name introduced by 叫 (一个叫X，, “我叫X，…”) that occurs again', () => {
    expect(found('车上坐着两个学生，一个叫林澈，一个叫白芍。林澈睡着了，白芍在看窗外。')).toEqual(['林澈', '白芍']);
    expect(found('“你好，我叫秦岚，是来送文件的。”她放下箱子。秦岚擦了擦汗。')).toEqual(['秦岚']);
    // Once only: no name.
    expect(found('队里有个叫林澈的新人。艾雅法拉点了点头。')).toEqual([]);
  });
  test('the subject of a speech tag with manner words before the verb; where the name ends is read from the file', () => {
    const t = ['“这块石头好重。”阿砾抱怨着说。', '“放下吧。”艾雅法拉说。', '“不要！”阿砾抢着说，“我要带回去。”'].join('\n');
    expect(found(t)).toEqual(['阿砾']);
    // 石大伯 occurs as often as 石大: the name goes on to 伯.
    const three = ['“天要下雨了。”石大伯眯着眼睛说。', '“那我们快走吧。”', '“不急。”石大伯慢慢地说。'].join('\n');
    expect(found(three)).toEqual(['石大伯']);
  });
  test('descriptive nouns and role words before a speech verb are no names', () => {
    const t = [
      '“快看！”红发女孩兴奋地说。',
      '“嗯。”',
      '“你也看看。”红发女孩又说。',
      '“好。”前辈笑着说。',
      '“走吧。”前辈笑着说。',
      '“早。”学姐轻声说。',
      '“早啊。”学姐轻声说。',
    ].join('\n');
    expect(found(t)).toEqual([]);
    // A possessor or a place before the subject: 厨房的阿姨说, 屋里有人问.
    expect(found(['“饭好了。”厨房的阿姨说。', '“来了！”', '“还有汤。”厨房的阿姨又说。'].join('\n'))).toEqual([]);
  });
  test('a discovered speaker is another character: her answer is hers, their question is not', () => {
    const t = ['一个叫林澈的学生跟着艾雅法拉，林澈第一次来火山。', '“这里为什么这么热？”林澈擦着汗问。', '“因为下面有岩浆。”艾雅法拉回答。'].join('\n\n');
    expect(speakers(t).map((x) => x[0])).toEqual(['other:林澈', 'persona']);
  });
});

describe('a first-person narrator who says who they are', () => {
  test('at a clause start (`不过，我的名字是X。`) the narrator is X, not the Doctor', () => {
    const t = '朋友们都喊我小兔，不过，我的名字是阿米娅。我推开门，艾雅法拉正在看书。\n\n“你来了。”她抬起头。\n\n“嗯，我来了。”我说。';
    expect(discoverNames(t, baseNames).narrator).toBe('other:阿米娅');
    expect(speakers(t).map((x) => x[0])).toEqual(['persona', 'other:阿米娅']);
  });
  test('a script or radio line saying 我是X is someone speaking, not the narrator', () => {
    expect(discoverNames('芙蓉：你好，我是芙蓉。\n艾雅法拉：你好。', baseNames).narrator).toBeUndefined();
    expect(discoverNames('【芙蓉】喂，这里是二号站，我是芙蓉。\n【艾雅法拉】收到。', baseNames).narrator).toBeUndefined();
  });
});

describe('thoughts next to speech', () => {
  test('想了想 / 想一想 before or after a quote is no thought', () => {
    expect(speakers('“这个嘛……”艾雅法拉想了想，“应该是玄武岩。”').map((x) => x[0])).toEqual(['persona', 'persona']);
    expect(speakers('艾雅法拉想一想，说：“再等十分钟。”')[0]![0]).toBe('persona');
  });
  test('像在心里… is a simile, no thought tag; 在心里 on its own is', () => {
    expect(speakers('“前辈，”艾雅法拉顿了顿，像在心里算日子，“至少要一个月。”').map((x) => x[0])).toEqual(['persona', 'persona']);
    expect(speakers('“至少要一个月。”艾雅法拉在心里算着日子，“也许更久。”').map((x) => x[0])).toEqual(['thought', 'thought']);
  });
  test('a thought tag still makes a thought', () => {
    expect(speakers('“明天会下雪吗？”艾雅法拉想。')[0]![0]).toBe('thought');
    expect(speakers('艾雅法拉想，“还是不要告诉他了。”')[0]![0]).toBe('thought');
  });
});

describe('the Doctor is not assumed where he is not about', () => {
  const juniors = [
    '两个学生跟着艾雅法拉上了山，一个叫林澈，一个叫白芍。',
    '“到了吗？”林澈问。',
    '“快了。”艾雅法拉说。',
    '白芍放下背包，坐在石头上。',
    '艾雅法拉蹲下来，看了看地上的裂缝。',
    '“这是新的。”',
    '“新的裂缝？”',
    '“嗯。”',
  ];
  test('her with others and no Doctor in the scene yet: a bare line after hers is not his', () => {
    const got = speakers(juniors.join('\n\n'));
    expect(got.find((x) => x[1] === '新的裂缝？')![0]).not.toBe('doctor');
  });
  test('once the Doctor is about, turn-taking between her and him fills bare lines', () => {
    const t = ['博士和艾雅法拉上了山。', '艾雅法拉蹲下来，看了看地上的裂缝。', '“这是新的。”', '“新的裂缝？”', '“嗯。”'].join('\n\n');
    expect(speakers(t).map((x) => x[0])).toEqual(['persona', 'doctor', 'persona']);
  });
});

describe('written text and terms next to speech', () => {
  test('text typed or written in small letters is no speech; knocking on a door is no typing', () => {
    expect(speakers('艾雅法拉在键盘上敲了一行：“明天八点出发。”')[0]![0]).toBe('sign');
    expect(speakers('门上有一行小字，是用铅笔写上去的：“请勿打扰。”')[0]![0]).toBe('sign');
    expect(speakers('艾雅法拉敲了敲门，说：“前辈，在吗？”')[0]).toEqual(['persona', '前辈，在吗？']);
  });
  test('a short quote that is the object of a verb ending the sentence is a term; after a speech verb it is speech', () => {
    expect(speakers('艾雅法拉把“每天”改成了“每周”。').map((x) => x[0])).toEqual(['term', 'term']);
    expect(speakers('艾雅法拉小声说“好”。')[0]![0]).toBe('persona');
    // A form of address reported mid-sentence after 一声 is a term too; said after a speech verb it is speech.
    expect(speakers('那天艾雅法拉叫了我一声“芙蓉小姐”，我才发现她一直很客气。')[0]![0]).toBe('term');
    expect(speakers('艾雅法拉轻声说“芙蓉小姐”，又低下了头。')[0]![0]).toBe('persona');
  });
  test('after a paragraph that ends in her thought or her writing, the next bare line is not read as hers', () => {
    const wrote = '艾雅法拉看着屏幕，在报告里写道：“一切正常。”\n\n“那就好。”';
    expect(speakers(wrote).at(-1)![0]).not.toBe('persona');
    const thought = '艾雅法拉看着窗外，心想：“他会来吗？”\n\n“我来了。”';
    expect(speakers(thought).at(-1)![0]).not.toBe('persona');
    // Narration ending in her act: the bare line after it is hers.
    const acted = '艾雅法拉看着屏幕，写完了报告。\n\n“那就好。”';
    expect(speakers(acted).at(-1)![0]).toBe('persona');
  });
});

describe('who a pronoun or a descriptive noun means', () => {
  test('一个…的女人 introduces someone new: 女人 after it is not her', () => {
    const t = '艾雅法拉在门口等着，一个穿着红外套的女人走了过来。\n\n“你就是新来的学者？”女人问。';
    expect(speakers(t)[0]![0]).not.toBe('persona');
    // Without an introduction, 少女 is the one woman about.
    expect(speakers('艾雅法拉在门口等着。\n\n“前辈还没来吗？”少女问。')[0]![0]).toBe('persona');
  });
  test('a pronoun tag right after a line in which she names herself is hers, whoever 她 meant before', () => {
    const t = '芙蓉推开门，向屋里的人招手。\n\n“您好，我是艾雅法拉。”她鞠了一躬，“请多指教。”';
    expect(speakers(t).map((x) => x[0])).toEqual(['persona', 'persona']);
    // A name in the tag says otherwise.
    const named = '芙蓉推开门，向屋里的人招手。\n\n“您好，我是艾雅法拉。”芙蓉看了她一眼，“请进吧。”';
    expect(speakers(named).map((x) => x[0])).toEqual(['persona', 'other:芙蓉']);
  });
});

describe('a bare question after narration about her', () => {
  test('a question calling no one is not put in her mouth; one calling 前辈 is hers', () => {
    const asked = ['博士把碗递给艾雅法拉。', '艾雅法拉一勺一勺地吃着，吃得很慢。', '“好吃吗？”'].join('\n\n');
    expect(speakers(asked).at(-1)![0]).not.toBe('persona');
    const hers = ['博士把碗递给艾雅法拉。', '艾雅法拉一勺一勺地吃着，吃得很慢。', '“前辈，您不吃吗？”'].join('\n\n');
    expect(speakers(hers).at(-1)![0]).toBe('persona');
    // Not a question: hers.
    const said = ['博士把碗递给艾雅法拉。', '艾雅法拉一勺一勺地吃着，吃得很慢。', '“很好吃。”'].join('\n\n');
    expect(speakers(said).at(-1)![0]).toBe('persona');
  });
});

describe('turn-taking and her honorific', () => {
  test('a bare line calling 前辈 is not given to someone else by alternation', () => {
    const t = ['阿米娅和艾雅法拉推开门，看见博士站在门口。', '“博士，您怎么来了？”阿米娅问。', '“路过。”', '“前辈，这是秘密。”'].join('\n\n');
    expect(speakers(t).at(-1)![0]).not.toBe('other:阿米娅');
    // Without 前辈 the alternation stands.
    const plain = ['阿米娅和艾雅法拉推开门，看见博士站在门口。', '“博士，您怎么来了？”阿米娅问。', '“路过。”', '“这是秘密。”'].join('\n\n');
    expect(speakers(plain).at(-1)![0]).toBe('other:阿米娅');
  });
});

describe('no one speaks of themselves by name', () => {
  test('a line naming someone in the third person is not theirs, whoever 她 meant', () => {
    const t = ['芙蓉把听诊器递给艾雅法拉。', '“听到了吗？”芙蓉问。', '“芙蓉小姐的心跳……很快。”她说。'].join('\n\n');
    expect(speakers(t).at(-1)![0]).not.toBe('other:芙蓉');
    // A self-introduction names its speaker.
    const intro = ['芙蓉推开门。', '“你好，我是芙蓉。”她说。'].join('\n\n');
    expect(speakers(intro).at(-1)![0]).toBe('other:芙蓉');
    const doctor = ['博士走进矿镇。', '“你好，我是罗德岛的博士。”他说。'].join('\n\n');
    expect(speakers(doctor).at(-1)![0]).toBe('doctor');
  });
  test('two parts split by a pronoun tag are one line: a veto of the first part takes the tag’s speaker off the second', () => {
    const t = ['芙蓉把听诊器递给艾雅法拉。', '“听到了吗？”芙蓉问。', '“芙蓉小姐的心跳……不对。”她睁开眼，“是手表。”'].join('\n\n');
    const got = speakers(t);
    expect(got.at(-2)![0]).not.toBe('other:芙蓉');
    expect(got.at(-1)![0]).not.toBe('other:芙蓉');
    // A name in the tag speaks both parts, whatever the first part names.
    const named = ['芙蓉把听诊器递给艾雅法拉。', '“听到了吗？”芙蓉问。', '“芙蓉小姐的心跳……不对。”艾雅法拉睁开眼，“是手表。”'].join('\n\n');
    expect(
      speakers(named)
        .slice(-2)
        .map((x) => x[0]),
    ).toEqual(['persona', 'persona']);
  });
  test('her own names in her line (a letter read out, an alias) do not veto her', () => {
    const t = '艾雅法拉拆开信。\n\n“‘亲爱的阿黛尔’……老师总是这样叫我。”艾雅法拉笑着说。';
    expect(speakers(t)[0]![0]).toBe('persona');
  });
});

describe('a clause subject', () => {
  test('a name ending its clause after a modifier with 的 is an object (看向门边的芙蓉), not the subject', () => {
    expect(speakers('艾雅法拉睁开眼，看向门边的芙蓉，“很规律。”')[0]![0]).toBe('persona');
    // With something said of it after it, the modified name is the subject.
    expect(speakers('艾雅法拉睁开眼。门边的芙蓉笑着说：“很规律。”')[0]![0]).toBe('other:芙蓉');
  });
});

describe('speech tags', () => {
  test('a name opening a clause is its subject even where it starts like an adverbial (可露希尔, not 可 + 露希尔)', () => {
    const t = '艾雅法拉点了点头。可露希尔从柜台下面拿出一个盒子，掂了掂，“最后一盒。”';
    expect(speakers(t)[0]![0]).toBe('other:可露希尔');
    // 可 as a real adverbial still leaves the subject after it.
    expect(speakers('可艾雅法拉摇了摇头，“不用了。”')[0]![0]).toBe('persona');
  });
  test('narration after a quote whose only speech verb ends it, right before the next quote, introduces that one', () => {
    const t = '“你的椅子坏了。”芙蓉说。“大家都知道。”艾雅法拉没忍住，笑出了声，小声说“对不起。”';
    const got = speakers(t);
    expect(got[1]![0]).toBe('other:芙蓉');
    expect(got[2]).toEqual(['persona', '对不起。']);
    // One clause with the verb: a tag of the quote before, as always.
    expect(speakers('“好。”艾雅法拉说，“我们走吧。”').map((x) => x[0])).toEqual(['persona', 'persona']);
  });
});

describe('descriptive nouns', () => {
  test('a descriptive noun that is a verb’s object (看见是羊角少女) is not bound to whoever the sentence named', () => {
    const t = ['芙蓉抬起头，看见是羊角少女，笑了。', '“你来了。”芙蓉说。', '艾雅法拉放下书包。', '“嗯，我来了。”羊角少女小声说。'].join('\n\n');
    expect(speakers(t).at(-1)![0]).toBe('persona');
  });
});

describe('the pronoun of a discovered name', () => {
  test('他 when the file says 他 of them (`老周说他…`, `老周放下桶，他…`), else 她', () => {
    const t = ['老周提着桶走过来。', '“水又浑了。”老周说。', '老周说他活了六十年，头一回见。', '老周放下桶，他叹了口气。'].join('\n');
    expect(discoverNames(t, baseNames).male).toEqual(['老周']);
    const she = ['阿青提着桶走过来。', '“水又浑了。”阿青说。', '阿青放下桶，她叹了口气。'].join('\n');
    expect(discoverNames(she, baseNames).male).toBeUndefined();
  });
  test('a man the file discovered does not take 她: her line after his is hers', () => {
    const t = ['老周提着桶走过来。', '“水又浑了。”老周说。', '老周说他活了六十年，头一回见。', '“可能是地下水。”她蹲在井边，“我再测一次。”'].join('\n\n');
    const sp = speakers(`艾雅法拉站在井边。\n\n${t}`);
    expect(sp.at(-1)![0]).not.toBe('other:老周');
  });
});

describe('someone who leaves', () => {
  test('the one who leaves at the end of a paragraph does not speak the bare line after it', () => {
    const stays = '艾雅法拉接过书。博士笑了笑，坐了下来。\n\n“这本书很旧了。”';
    expect(speakers(stays).at(-1)![0]).toBe('doctor');
    const leaves = '艾雅法拉接过书。博士笑了笑，转身走了。\n\n“这本书很旧了。”';
    expect(speakers(leaves).at(-1)![0]).not.toBe('doctor');
  });
  test('after he leaves, the two who are left take turns', () => {
    const t = ['艾雅法拉和阿米娅坐在桌边，博士站在一旁。', '博士看了看表，转身走了。', '“你看这个。”艾雅法拉说。', '“好漂亮。”'].join('\n\n');
    expect(speakers(t).at(-1)![0]).toBe('other:阿米娅');
  });
});

describe('a run of bare lines', () => {
  test('a line whose words forbid the speaker alternation gives it breaks the run after it', () => {
    const broken = ['博士和艾雅法拉坐在桌边。', '“这是什么？”艾雅法拉问。', '“谢谢博士！”', '“不客气。”'].join('\n\n');
    expect(speakers(broken).at(-1)![0]).not.toBe('persona');
    const plain = ['博士和艾雅法拉坐在桌边。', '“这是什么？”艾雅法拉问。', '“石头。”', '“好漂亮。”'].join('\n\n');
    expect(speakers(plain).map((x) => x[0])).toEqual(['persona', 'doctor', 'persona']);
  });
});

describe('a paragraph that ends in a colon introduces the next one', () => {
  test('writing or a thought introduced across paragraphs is no speech; a speech verb still introduces speech', () => {
    const board = ['博士推开门。', '白板上写着一行字：', '“今天不许熬夜。”', '“这是谁写的？”博士问。'].join('\n\n');
    expect(speakers(board)[0]![0]).toBe('sign');
    expect(speakers('艾雅法拉看着窗外，心里想：\n\n“他一定很累。”')[0]![0]).toBe('thought');
    expect(speakers('艾雅法拉想了想，说：\n\n“前辈，我明白了。”')[0]).toEqual(['persona', '前辈，我明白了。']);
  });
  test('in prose, a `名字：` line after writing is introduced is the writing, not her line', () => {
    const t = [
      '博士推开门，艾雅法拉正趴在桌上。',
      '“前辈，您来了。”艾雅法拉抬起头。',
      '白板上写着一行字：',
      '艾雅法拉：今天不许熬夜。',
      '“这是谁写的？”博士问。',
    ].join('\n\n');
    expect(speakers(t).map((x) => x[1])).not.toContain('今天不许熬夜。');
    // A script keeps its lines.
    const script = ['艾雅法拉：前辈，早。', '博士：早。', '艾雅法拉：今天不许熬夜。', '博士：好。'].join('\n');
    expect(speakers(script).map((x) => x[0])).toEqual(['persona', 'doctor', 'persona', 'doctor']);
  });
});
