// Script and chat shapes of round 2 (rulesF): `名字「台词」` script lines, a chat app's
// `「回复 名字：…」` quote above a reply, sticker-only messages. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const utts = (text: string) =>
  analyzeText(text, opts).segmented.utterances.map((u) => ({ text: u.text, who: u.kind === 'speech' ? (u.speaker ?? '?') : u.kind }));

describe('script lines 名字「台词」', () => {
  const script = [
    '【一　码头】',
    '（雾很大。）',
    '船老大「今天不开船，浪太高。」',
    '博士「那明天呢？」',
    '船老大（叹气）「明天再看。」',
    '艾雅法拉「前辈，我们可以先去测一下水温。」',
    '艾雅法拉（心想）「其实我想坐船。」',
    '博士「……」',
  ].join('\n');
  test('each line is its speaker’s; an unknown name leading two lines is a speaker; （心想） is a thought', () => {
    expect(utts(script)).toEqual([
      { text: '今天不开船，浪太高。', who: 'other:船老大' },
      { text: '那明天呢？', who: 'doctor' },
      { text: '明天再看。', who: 'other:船老大' },
      { text: '前辈，我们可以先去测一下水温。', who: 'persona' },
      { text: '其实我想坐船。', who: 'thought' },
      { text: '……', who: 'doctor' },
    ]);
  });
  test('prose with a pronoun or a speech verb before the quote is not a script line', () => {
    const prose = ['她小声说“前辈，等等我。”', '他问“风大吗？”', '他问“冷吗？”', '博士点点头。', '“走吧。”'].join('\n');
    const u = utts(prose);
    expect(u.map((x) => x.text)).toEqual(['前辈，等等我。', '风大吗？', '冷吗？', '走吧。']);
    expect(u[0]!.who).toBe('persona');
  });
  test('one name before a quote, in a file not written so, stays prose', () => {
    const prose = ['码头边很安静。', '', '船老大“今天不开船。”', '', '“那就明天。”博士说。'].join('\n');
    expect(utts(prose).map((x) => x.who)).not.toContain('other:船老大');
  });
});

describe('chat app shapes under `名字 HH:MM` headers', () => {
  const chat = [
    '阿米娅 08:10',
    '九点在车库集合。',
    '',
    '艾雅法拉 08:11',
    '[表情]',
    '',
    '博士 08:12',
    '「回复 阿米娅：九点在车库集合…」',
    '可以晚一点吗',
    '',
    '艾雅法拉 08:13',
    '前辈，我帮您带早饭。',
    '',
    '「艾雅法拉」撤回了一条消息',
  ].join('\n');
  test('a reply quote is skipped for the message below it; a sticker is no line', () => {
    expect(utts(chat)).toEqual([
      { text: '九点在车库集合。', who: 'other:阿米娅' },
      { text: '可以晚一点吗', who: 'doctor' },
      { text: '前辈，我帮您带早饭。', who: 'persona' },
      { text: '艾雅法拉', who: 'term' },
    ]);
  });
  test('a message that only mentions a reply, or has words beside a sticker, is a message', () => {
    const t = ['博士 08:12', '回复你：晚一点吧', '', '艾雅法拉 08:13', '[表情] 好的', '', '博士 08:14', '嗯'].join('\n');
    expect(utts(t).map((x) => x.text)).toEqual(['回复你：晚一点吧', '[表情] 好的', '嗯']);
  });
});

describe('chat system lines about a quoted name', () => {
  test('a spoken line before 拍了拍 stays speech', () => {
    const t = ['“走吧，前辈。”拍了拍衣服上的灰，艾雅法拉站了起来。', '', '“阿米娅”拍了拍“博士”'].join('\n');
    expect(utts(t).map((x) => x.who)).toEqual(['persona', 'term', 'term']);
  });
});

describe('typed and edited text next to speech', () => {
  test('a quote after 打字： is typed text, one after 换成了 a term; a line said after typing is speech', () => {
    const t = [
      '艾雅法拉坐在长椅上，低头打字：“前辈，我在二号门。”想了想，又把“二号门”换成了“东门”，才按下发送。',
      '',
      '她抬起头，小声说：“前辈马上就来。”',
    ].join('\n');
    expect(utts(t)).toEqual([
      { text: '前辈，我在二号门。', who: 'sign' },
      { text: '二号门', who: 'term' },
      { text: '东门', who: 'term' },
      { text: '前辈马上就来。', who: 'persona' },
    ]);
  });
  test('打字 said of someone else before a line does not make the line typed', () => {
    expect(utts('阿米娅还在打字，艾雅法拉先开了口：“前辈，走吧。”')).toEqual([{ text: '前辈，走吧。', who: 'persona' }]);
    expect(utts('艾雅法拉停下打字，说：“前辈，到了。”')).toEqual([{ text: '前辈，到了。', who: 'persona' }]);
  });
});

test("a chat line whose time is set off by a bar, `16:21｜名字：…`, is that name's (the bar is no part of it)", () => {
  const chat = [
    '晚上，群里热闹起来。',
    '16:21｜艾雅法拉：前辈，明天的采样还去吗？',
    '16:22｜砂铃：我也想去，能带上我吗？',
    '16:22｜Doctor：去，七点楼下见。',
    '16:23|砂铃：好，我带早饭。',
    '16:23 丨 艾雅法拉：那我带温度计！',
  ].join('\n');
  expect(utts(chat).map((x) => x.who)).toEqual(['persona', 'other:砂铃', 'doctor', 'other:砂铃', 'persona']);
});
