// Where an action beat belongs: a time clause's subject is background (`博士进门的时候，…`), and a
// beat in the tag position between two glued quotes is the first one's. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;
const store = (para: string) => ['仓库的灯只开了一半。', '', para].join('\n');

describe('a time clause is no action beat of its subject', () => {
  test('博士…的时候，<someone else there>。“…” is not the Doctor’s', () => {
    expect(speakerOf(store('博士走进仓库的时候，货架中间已经站着两个人。“小心脚下，地上全是油。”'), '小心脚下，地上全是油。')).not.toBe('doctor');
    expect(speakerOf(store('博士走进仓库时，货架中间已经站着两个人。“小心脚下，地上全是油。”'), '小心脚下，地上全是油。')).not.toBe('doctor');
  });
  test('must not fire: the clause after it goes on with the same subject (也…), or names the one acting', () => {
    expect(speakerOf(store('艾雅法拉第一次来仓库的时候，也在这里滑了一跤。“小心脚下，地上全是油。”'), '小心脚下，地上全是油。')).toBe('persona');
    expect(speakerOf(store('博士走进仓库的时候，艾雅法拉抬起了头。“小心脚下，地上全是油。”'), '小心脚下，地上全是油。')).toBe('persona');
    // (An adverb ending in 时 is no time clause: 同时.)
    expect(speakerOf(store('艾雅法拉点了点头，同时，她把手电筒递了过去。“小心脚下，地上全是油。”'), '小心脚下，地上全是油。')).toBe('persona');
  });
});

describe('a beat between two glued quotes', () => {
  // (A wall of text: two more lines glued back to back, `”“`, so no one speaker holds the paragraph.)
  const wall = (mid: string) => store(`“嘘，先别出声。”${mid}“你们在找什么？”“找一卷胶带。”“在第三排。”`);
  test('right after the first quote it is the first one’s, not also the second’s', () => {
    const t = wall('凯尔希回头冲他摆了摆手。');
    expect(speakerOf(t, '嘘，先别出声。')).toBe('other:凯尔希');
    expect(speakerOf(t, '你们在找什么？')).not.toBe('other:凯尔希');
  });
  test('in a paragraph of one speaker both lines are still theirs', () => {
    const t = store('“嘘，先别出声。”凯尔希回头冲他摆了摆手。“你们在找什么？”');
    expect(speakerOf(t, '你们在找什么？')).toBe('other:凯尔希');
  });
  test('must not fire: a sentence that announces the next quote (…应了一声。) is the next one’s', () => {
    const t = store('“找到胶带了吗？”“找到了。”“你们在找什么？”艾雅法拉想了很久，才小声应了一声。“……嗯。”');
    expect(speakerOf(t, '你们在找什么？')).not.toBe('persona');
    expect(speakerOf(t, '……嗯。')).toBe('persona');
  });
});
