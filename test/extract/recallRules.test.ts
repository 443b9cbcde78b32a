// Rules added for her recall in round 2 of #15, each on its own, on short snippets written for
// these tests (never copied from a gold story), each with a case where it must not fire.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
/** The speaker (or kind) of every quote, '?' when open. */
const who = (lines: string[], sep = '\n\n') =>
  analyzeText(lines.join(sep), opts).segmented.utterances.map((u) => (u.kind === 'speech' ? (u.speaker ?? '?') : u.kind));

describe('a call sign the narration explains', () => {
  const radio = (owner: string) => [
    `${owner}背着电台爬上山脊。队长交代过，这一趟她的呼号是“灰烬”。`,
    '【灰烬】山脊到了，风很大。',
    '【博士】收到，灰烬。注意保暖。',
    '【灰烬】明白。电池还剩一半。',
  ];
  test('lines led by it are the character whose call sign it is; the quoted sign itself is no speech', () => {
    expect(who(radio('艾雅法拉'), '\n')).toEqual(['term', 'persona', 'doctor', 'persona']);
    expect(who(radio('阿米娅'), '\n')).toEqual(['term', 'other:阿米娅', 'doctor', 'other:阿米娅']);
  });
  test('a sign whose owner the narration does not say (她 unresolved) stays a name of its own', () => {
    const t = ['艾雅法拉和阿米娅背着电台爬上山脊。队长交代过，这一趟她的呼号是“灰烬”。', ...radio('').slice(1)];
    expect(who(t, '\n')).toEqual(['term', 'other:灰烬', 'doctor', 'other:灰烬']);
  });
});

describe('a line telling how to call its speaker is no third-person mention', () => {
  test('叫我X就好 / 叫X就行 said by X keeps the tag that says so', () => {
    expect(who(['“叫我阿米娅就好，不用加头衔。”阿米娅笑着说。'])).toEqual(['other:阿米娅']);
    expect(who(['“叫博士就行。”博士摆摆手说。'])).toEqual(['doctor']);
  });
  test('a name after 叫 that is not how to call the speaker still vetoes them', () => {
    expect(who(['“去叫博士过来。”博士说。'])).toEqual(['?']);
    expect(who(['“阿米娅就在楼下。”阿米娅说。'])).toEqual(['?']);
  });
});

describe('a first-person narrator who names themselves', () => {
  test('is never who 她 means in the narration', () => {
    expect(who(['我叫柳絮，在仓库值夜班。那天很晚了，窗口外面还有人。', '“我要两颗电池。”她说。'])).toEqual(['?']);
  });
  test('another woman named there still is', () => {
    expect(who(['我叫柳絮，在仓库值夜班。那天很晚了，阿米娅走到窗口前。', '“我要两颗电池。”她说。'])).toEqual(['other:阿米娅']);
  });
});

describe('a line no one is known to have said that calls someone by name', () => {
  const night = (reply: string) => [
    '我叫柳絮，在仓库值夜班。那天很晚了，窗口外面还有人。',
    '“请问……还能领东西吗？”',
    reply,
    '“七号的电池。”她把空盒子放在窗台上。',
  ];
  test('makes them who 她 means in the next paragraph', () => {
    expect(who(night('“能啊，艾雅法拉小姐。要什么？”')).at(-1)).toBe('persona');
  });
  test('not when the line calls no one, nor when its speaker is known (then the speaker stays as salient: 她 is open)', () => {
    expect(who(night('“能啊。要什么？”')).at(-1)).toBe('?');
    // (Known speaker: whom she calls does not become the only 她 — both are, address.ts withCalled — so it abstains.)
    expect(who(['阿米娅和艾雅法拉在仓库门口。', '“艾雅法拉，帮我拿一下。”阿米娅说。', '“这个吗？”她指了指桌上的箱子。']).at(-1)).toBe('?');
  });
});

describe('a bare question right after narration about her alone', () => {
  test('is asked of her: the Doctor’s, where only the two of them are about (and her answer follows)', () => {
    expect(who(['博士和艾雅法拉坐在食堂的角落里。', '艾雅法拉捧着碗，小口小口地喝汤。', '“好喝吗？”', '“好喝。”'])).toEqual(['doctor', 'persona']);
  });
  test('not with a third person about, and a line that is no question stays hers', () => {
    expect(who(['博士、阿米娅和艾雅法拉坐在食堂的角落里。', '艾雅法拉捧着碗，小口小口地喝汤。', '“好喝吗？”'])).toEqual(['?']);
    expect(who(['博士和艾雅法拉坐在食堂的角落里。', '艾雅法拉捧着碗，小口小口地喝汤。', '“真好喝。”'])).toEqual(['persona']);
    // (Nor a question about its own speaker: `我…吗？` is hers.)
    expect(who(['博士和艾雅法拉坐在食堂的角落里。', '艾雅法拉放下碗，看了看自己的袖口。', '“我是不是又把汤洒了？”'])).toEqual(['persona']);
  });
});

describe('a first-person narrator acting right before a bare line', () => {
  const night = (beat: string, line = '“要我帮忙吗？”') => ['我叫柳絮。那天夜里，我和艾雅法拉在天台上守着仪器。', `她跪在地上拧开箱盖。${beat}`, line];
  test('the line is the narrator’s, whoever else the sentence names', () => {
    expect(who(night('我蹲在旁边替她挡风。'))).toEqual(['other:柳絮']);
  });
  test('not when the sentence gives the other one something, nor when a later clause opens on someone else', () => {
    expect(who(night('我把一颗糖塞给了她。', '“谢谢。”'))).toEqual(['?']);
    expect(who(night('我蹲在旁边，她低头拧着螺丝。'))).toEqual(['?']);
  });
});

describe('two anchors around a bare line that disagree with strict alternation', () => {
  const room = (after: string) => ['博士和艾雅法拉在仓库里整理样本。', '博士看了一眼表。“还要多久？”', '“大概还要半个小时。”', after];
  test('the one ahead opening after a beat (she goes on): the line answers the one before', () => {
    expect(who(room('博士搬起箱子。艾雅法拉赶紧扶住箱底，小声说：“小心台阶。”'))).toEqual(['doctor', 'persona', 'persona']);
  });
  test('the one ahead a plain turn of its own: no guess', () => {
    expect(who(room('“半个小时？”艾雅法拉问。'))).toEqual(['doctor', '?', 'persona']);
  });
});

describe('elimination among three people about', () => {
  const map = (who0: string, lines: string[]) => [`${who0}围着桌上的地图。`, '阿米娅指着地图问：“这条路能走吗？”', ...lines];
  test('a bare line that is not the one before it and calls the third by name is the remaining one’s (and the called one answers)', () => {
    expect(who(map('博士、阿米娅和艾雅法拉', ['“能走。博士，这一段要绕一点。”', '“绕多远？”']))).toEqual(['other:阿米娅', 'persona', 'doctor']);
  });
  test('not with four about, nor when the line before it is open', () => {
    expect(who(map('博士、凯尔希、阿米娅和艾雅法拉', ['“能走。博士，这一段要绕一点。”']))[1]).toBe('?');
    expect(who(map('博士、阿米娅和艾雅法拉', ['“嗯……”', '“能走。博士，这一段要绕一点。”'])).slice(1)).toEqual(['?', '?']);
  });
});

describe('an intro with no subject that goes on from before the quote in front of it', () => {
  test('is said by whoever wrote the text before it, or said the line before it', () => {
    expect(who(['阿米娅在白板上写道：“明天八点集合。”然后回头问：“这样写清楚吗？”'])).toEqual(['sign', 'other:阿米娅']);
    expect(who(['博士和艾雅法拉走进茶水间。', '艾雅法拉说：“我去泡茶。”然后又回头问：“您要喝什么？”'])).toEqual(['persona', 'persona']);
  });
  test('not when the intro has a subject of its own', () => {
    expect(who(['阿米娅在白板上写道：“明天八点集合。”然后博士问：“这样写清楚吗？”'])).toEqual(['sign', 'doctor']);
  });
});

describe('a line glued to the one before, then a beat that runs on into the next part', () => {
  const store = (rest: string) => [`博士走进仓库，问：“箱子还在吗？”${rest}`];
  test('is the beat’s subject’s, like the part after it', () => {
    expect(who(store('“我去看看。”艾雅法拉蹲下来，掀开最上面的箱盖，“还在，都没有受潮。”'))).toEqual(['doctor', 'persona', 'persona']);
  });
  test('not when the beat ends in a colon, nor when its only speech verb introduces the next part (a reaction)', () => {
    expect(who(store('“早就搬走了。”艾雅法拉愣住了：“那我的样本呢？”'))[1]).toBe('?');
    expect(who(store('“早就搬走了。”艾雅法拉愣了一下，小声说“那我的样本呢？”'))[1]).toBe('?');
  });
});
