// Radio and chat transcripts written without quote marks (stages/extract/lineFormats.ts): dash-led
// lines, `【名字】` lines, `【名字】HH:MM` headers with the message below. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const utts = (text: string) =>
  analyzeText(text, opts).segmented.utterances.map((u) => ({ text: u.text, who: u.kind === 'speech' ? (u.speaker ?? '?') : u.kind, line: u.line }));

describe('dash-led radio lines', () => {
  const radio = ['艾雅法拉蹲在石头后面，按下了通话键。', '', '——前辈，我到二号点了。', '——收到。风大吗？', '——很大，不过仪器没事。', '——那就好。'].join('\n');
  test('each is a bare line of its own, its text what follows the dash', () => {
    const u = utts(radio);
    expect(u.map((x) => x.text)).toEqual(['前辈，我到二号点了。', '收到。风大吗？', '很大，不过仪器没事。', '那就好。']);
    expect(u.map((x) => x.line)).toEqual([3, 4, 5, 6]);
    // (The first is hers by the beat before it; the rest alternate.)
    expect(u.map((x) => x.who)).toEqual(['persona', 'doctor', 'persona', 'doctor']);
  });
  test('one or two dash-led lines in prose stay narration', () => {
    const prose = ['那天下午的事，她后来想了很久。', '——直到天黑，也没有人回来。', '“前辈，我回来了。”'].join('\n');
    expect(utts(prose).map((x) => x.text)).toEqual(['前辈，我回来了。']);
  });
  test('dash-led asides that never follow one another stay narration, however many', () => {
    const prose = ['她后来想了很久。', '——直到天黑。', '“前辈，我回来了。”', '——那是后话了。', '“欢迎回来。”', '——她没有再提起。'].join('\n');
    expect(utts(prose).map((x) => x.text)).toEqual(['前辈，我回来了。', '欢迎回来。']);
  });
  test('a dash line holding a quote is prose', () => {
    const t = ['——前辈，到了。', '——收到。', '——她说：“再等一下。”', '——好。'].join('\n');
    expect(utts(t).map((x) => x.text)).toEqual(['前辈，到了。', '收到。', '再等一下。', '好。']);
  });
});

describe('lines led by a bracketed name', () => {
  test('a known name, or one the file uses twice, is the speaker', () => {
    const t = ['【阿米娅】博士，信号接通了。', '【博士】收到。', '【青禾】这里是三号站。', '【青禾】听得到吗？'].join('\n');
    expect(utts(t).map((x) => x.who)).toEqual(['other:阿米娅', 'doctor', 'other:青禾', 'other:青禾']);
  });
  test('a label that is no speaker, or an unknown name used once, is not a line', () => {
    const t = ['【系统】信号弱。', '【阿米娅】博士，信号接通了。', '【博士】收到。', '【注意】前方塌方。'].join('\n');
    expect(utts(t).map((x) => x.text)).toEqual(['博士，信号接通了。', '收到。']);
  });
});

describe('chat headers 【名字】HH:MM with the message below', () => {
  const chat = [
    '【艾雅法拉】18:02',
    '前辈，到营地了。',
    '风很大。',
    '【博士】18:05',
    '人没事就好。',
    '〔系统〕消息可能延迟。',
    '【艾雅法拉】18:06',
    '没事。',
  ].join('\n');
  test('each message line under a header is a line of that speaker; a system line is none', () => {
    const u = utts(chat);
    expect(u.map((x) => [x.text, x.who, x.line])).toEqual([
      ['前辈，到营地了。', 'persona', 2],
      ['风很大。', 'persona', 3],
      ['人没事就好。', 'doctor', 5],
      ['没事。', 'persona', 8],
    ]);
  });
  test('her consecutive messages are one turn of a sample', () => {
    const windows = analyzeText(chat, opts).windows;
    // (She opens the scene: the opener stands before her two messages, merged.)
    expect(windows[0]!.map((t) => t.sources)).toEqual([[], [0, 1]]);
    expect(windows[0]![1]!.text).toBe('前辈，到营地了。\n风很大。');
  });
  test('a header line without a message below is not a line', () => {
    expect(utts(['【艾雅法拉】18:02', '', '她没有再发消息。'].join('\n'))).toEqual([]);
  });
});
