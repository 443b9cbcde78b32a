// One side of a phone call: after narration of what the far end said, unquoted, the bare line is
// said in the room by the one holding the phone (narrationOnly.ts farEndSpoke). Snippets written
// for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;

const call = (between: string, line: string) =>
  ['博士在整理报告，桌上的通讯器忽然响了。艾雅法拉接了起来：“您好，这里是罗德岛地质组。”', '', between, '', `“${line}”`].join('\n');

describe('the phone holder answers the far end', () => {
  test('the far end spoke, not quoted: the bare line is the holder’s', () => {
    const t = call('电话那头的人说了很长一段，语速很快，隔着半张桌子也听不清在说什么。', '明白了，明天上午我把数据发过去。');
    expect(speakerOf(t, '明白了，明天上午我把数据发过去。')).toBe('persona');
  });
  test('听筒里 as the far end', () => {
    const t = call('听筒里断断续续地说着什么，夹着一阵阵杂音。', '好的，我记下了，周四之前寄到。');
    expect(speakerOf(t, '好的，我记下了，周四之前寄到。')).toBe('persona');
  });
  test('must not fire: the far end’s voice is introduced and quoted next', () => {
    const t = call('电话那头传来一个沙哑的男声，夹着一阵阵杂音。', '是地质组吗？我这边有一批样本要寄过去。');
    expect(speakerOf(t, '是地质组吗？我这边有一批样本要寄过去。')).not.toBe('persona');
  });
  test('must not fire: narration with no far end', () => {
    const t = call('窗外下起了雨，雨点一阵阵打在玻璃上。', '明天上午我把数据发过去。');
    expect(speakerOf(t, '明天上午我把数据发过去。')).not.toBe('persona');
  });
});
