// The far end of a call, more ways (rulesQ): 对面 speaking as a subject (`对面又说了一长串。`), and,
// once a call is on in the scene, narration reporting someone's words without quoting them
// (`老板娘说货到了，…`): the bare line after is the phone holder's (narrationOnly.ts farEndSpoke,
// callIn). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;

const opening = '通讯器响的时候，博士正在擦桌子。艾雅法拉接起来：“喂，您好，我是艾雅法拉。”';
const scene = (...paras: string[]) => [opening, ...paras].flatMap((p) => [p, '']).join('\n');

describe('the far end of a call, reported', () => {
  test('对面又说了…: the bare line after is the holder’s', () => {
    const t = scene('对面又说了好一阵，语速很快，隔着桌子听不清说的是什么。', '“好的，下午三点，我记住了。”');
    expect(speakerOf(t, '好的，下午三点，我记住了。')).toBe('persona');
  });
  test('must not fire: 对面的 is a place, not the far end', () => {
    const t = scene('对面的楼里亮起了几盏灯。', '“好的，下午三点，我记住了。”');
    expect(speakerOf(t, '好的，下午三点，我记住了。')).not.toBe('persona');
  });
  test('once a call is on, someone’s words reported in narration are the far end’s', () => {
    const t = scene(
      '电话那头的声音很急，她听了几句就站了起来。',
      '“您是说，岩芯库的门锁坏了？”',
      '老板娘说还没修好，要等明天才有人来。',
      '“那我现在过去看看。”',
    );
    expect(speakerOf(t, '那我现在过去看看。')).toBe('persona');
  });
  test('must not fire: reported words with no call in the scene', () => {
    const t = ['艾雅法拉把样本箱放在桌上：“这些今天要登记完。”', '', '老板娘说还没修好，要等明天才有人来。', '', '“那我现在过去看看。”'].join('\n');
    expect(speakerOf(t, '那我现在过去看看。')).not.toBe('persona');
  });
});
