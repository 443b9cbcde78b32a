// What a beat paragraph's one character does that says who speaks the bare line after it (rulesM,
// issue #15): a silence, a story told in narration or a gift (the thanks) is answered by the other
// one; turning back is about to speak; a voice of someone unnamed over a speaker is theirs.
// Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { answersBeat, speaksOf } from '../../stages/extract/narrationOnly.js';
import { SOMEONE } from '../../stages/extract/types.js';

const opts = fileOptions(configSchema.parse(undefined));
const who = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => ({ text: u.text, speaker: u.speaker, rule: u.rule }));
const opening = ['站台的灯坏了一半。艾雅法拉和博士并排坐在长椅上，等最后一班车。', '', '“前辈，车是不是又晚点了？”艾雅法拉问。', ''];
const story = (beat: string, ...bare: string[]) => [...opening, beat, '', ...bare.flatMap((b) => [`“${b}”`, ''])].join('\n');

describe('beat cues', () => {
  test('after the Doctor stays silent, the bare line is hers, and the run alternates from it', () => {
    const u = who(story('博士没有接话。', '……我只是随便问问。', '晚了七分钟。', '七分钟啊。'));
    expect(u.slice(1).map((x) => x.speaker)).toEqual(['persona', 'doctor', 'persona']);
    expect(u[1]!.rule).toBe('answers-beat');
  });
  test('after a story he tells in narration, her reaction; not where 讲起话来 only describes him', () => {
    const told = who(story('博士想了想，讲起他当年在雪原上等车的事。那趟车晚了整整一夜，他在候车室里数完了所有的地砖。', '一整夜？', '一整夜。'));
    expect(told.slice(1).map((x) => x.speaker)).toEqual(['persona', 'doctor']);
    const manner = who(story('博士讲起话来总是慢吞吞的。', '应该快了。'));
    expect(manner[1]!.rule).not.toBe('answers-beat');
  });
  test('after he hands something over, the thanks is hers; anything else stays his beat', () => {
    const thanks = who(story('博士从包里摸出一块饼干，掰成两半，递过去一半。', '谢谢。'));
    expect(thanks[1]).toMatchObject({ speaker: 'persona', rule: 'answers-beat' });
    const his = who(story('博士从包里摸出一块饼干，掰成两半，递过去一半。', '垫一垫。'));
    expect(his[1]).toMatchObject({ speaker: 'doctor', rule: 'beat-paragraph' });
    expect(answersBeat('gives', [{ text: '谢谢。' }])).toBe(true);
    expect(answersBeat('gives', [{ text: '拿着。' }])).toBe(false);
    expect(answersBeat(undefined, [{ text: '谢谢。' }])).toBe(false);
  });
  test('she turns back: her own question, not one asked of her', () => {
    const turned = who(story('艾雅法拉站起来走了两步，又回过头。', '明天还来这儿等车吗？'));
    expect(turned[1]).toMatchObject({ speaker: 'persona', rule: 'beat-paragraph' });
    const asked = who(story('艾雅法拉站起来，把围巾又绕了一圈。', '冷吗？'));
    expect(asked[1]!.speaker).not.toBe('persona');
    const away = who(story('艾雅法拉站起来，转过身去。', '冷吗？'));
    expect(away[1]!.speaker).not.toBe('persona');
  });
  test('a voice of someone unnamed over the speaker is theirs, not hers; a thing’s sound is no voice', () => {
    const voice = who(story('头顶的广播里忽然传出调度员的声音，断断续续的。', '末班车……因故……延误……'));
    expect(voice[1]!.speaker).toBe(SOMEONE);
    const male = who(story('对讲机里忽然传来一个沙哑的男声。', '站台上的人请往后退。'));
    expect(male[1]!.speaker).toBe(SOMEONE);
    const known = who(story('对讲机里传来博士的声音。', '我在二号口等你们。'));
    expect(known[1]!.speaker).toBe('doctor');
    const sound = who(story('远处传来车轮碾过铁轨的声音。', '来了！'));
    expect(sound[1]!.speaker).not.toBe(SOMEONE);
  });
  test('after a beat of hers, a line speaking of 她 is not hers, unless it names whom first (妈妈…她说)', () => {
    const beat = '艾雅法拉低下头，用指尖摸了摸那块石头的裂缝。';
    const kin = who(story(beat, '奶奶以前也捡过这样的石头。她说石头裂开的地方最好看。'));
    expect(kin[1]).toMatchObject({ speaker: 'persona', rule: 'beat-paragraph' });
    const ofHer = who(story(beat, '她好像很喜欢这块石头。'));
    expect(ofHer[1]!.rule).not.toBe('beat-paragraph');
    expect(speaksOf('她说明天还会下雨。', '她')).toBe(true);
    expect(speaksOf('妈妈说过，她小时候也这样。', '她')).toBe(false);
    expect(speaksOf('其他人呢？', '他')).toBe(false);
  });
});
