// Which lines `extract.attribution: model` asks about, and what an answer does (extractFile.ts
// askModel): the lines the rules left open, every line they only inferred (hers and anyone
// else's), and a line a pronoun gave while someone else it could mean was about; never a line a
// name gave. On snippets written for these tests, with a scripted in-process model.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { answerToSpeaker, NOBODY, SOMEONE_ELSE, type ModelOracle, type ModelQuestion } from '../../stages/extract/question.js';
import { SOMEONE } from '../../stages/extract/types.js';

const opts = fileOptions(configSchema.parse({ attribution: 'model' }));

/** A model that answers by the line asked about (the first key its text starts with), and logs what it was asked. */
function scripted(answers: Record<string, string>): ModelOracle & { asked: string[]; questions: ModelQuestion[] } {
  const asked: string[] = [];
  const questions: ModelQuestion[] = [];
  return {
    model: 'scripted',
    asked,
    questions,
    ask(q) {
      const line = /台词：“([\s\S]*)”\n候选人/.exec(q.messages.at(-1)!.content)![1]!;
      asked.push(line);
      questions.push(q);
      const key = Object.keys(answers).find((k) => line.startsWith(k));
      const name = key === undefined ? NOBODY : answers[key]!;
      return name === NOBODY ? null : (q.candidates.get(name) ?? null);
    },
  };
}

const turns = (text: string, oracle?: ModelOracle) => analyzeText(text, opts, oracle).windows.map((w) => w.map((t) => `${t.role}:${t.text}`));

/** 她 right after a sentence about 炎熔, while she is about too: the rules give the line to 炎熔. */
const TWO_WOMEN = [
  '艾雅法拉坐在窗边写报告，炎熔在一旁擦拭法杖。',
  '博士推门进来：“你们俩都在啊。”',
  '炎熔把法杖靠在墙上。',
  '“刚回来没多久。”她抬起头，“今天的采样很顺利，样本袋都装满了。”',
].join('\n\n');

/** A tagged pair, then bare lines only the order of turns (and one 您) attributes. */
const BARE = [
  '博士推门进来，艾雅法拉正在整理样本。',
  '“还没忙完？”博士问。',
  '艾雅法拉把最后一个样本袋放回架子上：“马上就好了，前辈再等我两分钟。”',
  '“这些是什么？”',
  '“上周从北边山脚下带回来的火山灰。”',
  '“明天的会议资料准备好了吗？”',
  '“放在您桌上了，蓝色的那个文件夹。”',
].join('\n\n');

test('a line a pronoun gave while another woman is about is asked, both halves of it, and the model can give it to her', () => {
  const rules = analyzeText(TWO_WOMEN, opts).segmented.utterances.map((u) => `${u.speaker}/${u.rule}`);
  expect(rules).toEqual(['doctor/intro', 'other:炎熔/split', 'other:炎熔/intro']);
  expect(turns(TWO_WOMEN)).toEqual([]);
  const model = scripted({ 刚回来: '艾雅法拉', 今天的采样: '艾雅法拉' });
  expect(turns(TWO_WOMEN, model)).toEqual([['human:你们俩都在啊。', 'gpt:刚回来没多久。\n今天的采样很顺利，样本袋都装满了。']]);
  // (The Doctor's line, which a name gave, is not asked about.)
  expect(model.asked).toEqual(['刚回来没多久。', '今天的采样很顺利，样本袋都装满了。']);
  // (Not sure: the rules' label stands.)
  expect(turns(TWO_WOMEN, scripted({}))).toEqual([]);
  expect(analyzeText(TWO_WOMEN, opts, scripted({})).segmented.utterances.map((u) => u.speaker)).toEqual(['doctor', 'other:炎熔', 'other:炎熔']);
});

test('a line 她 gave her is asked even with no other woman known (one the rules do not know may be meant); one her name gave is not', () => {
  const text = [
    '博士推门进来，艾雅法拉正在窗边看书。',
    '“你在看什么？”博士问。',
    '“火山的书，前辈要不要一起看？”她抬起头说。',
    '艾雅法拉说：“这一章讲的是火山灰怎么落到很远的地方。”',
  ].join('\n\n');
  expect(analyzeText(text, opts).segmented.utterances.map((u) => `${u.speaker}/${u.rule}`)).toEqual(['doctor/tag', 'persona/tag', 'persona/intro']);
  const model = scripted({ 火山的书: SOMEONE_ELSE });
  const a = analyzeText(text, opts, model);
  expect(model.asked).toEqual(['火山的书，前辈要不要一起看？']);
  expect(a.segmented.utterances[1]).toMatchObject({ speaker: null, notHer: true, rule: 'model' });
  // (Not sure: hers, as the rules have it.)
  expect(analyzeText(text, opts, scripted({})).segmented.utterances[1]).toMatchObject({ speaker: 'persona', rule: 'tag' });
});

test("the Doctor's lines by turn order are asked too: 其他人 makes one someone's, 不确定 leaves the rules' label", () => {
  expect(analyzeText(BARE, opts).segmented.utterances.map((u) => `${u.speaker}/${u.rule}`)).toEqual([
    'doctor/tag',
    'persona/intro',
    'doctor/turn-taking',
    'persona/turn-taking',
    'doctor/turn-taking',
    'persona/addressee',
  ]);
  const model = scripted({ 这些是什么: SOMEONE_ELSE, 上周: '艾雅法拉', 放在您桌上: '艾雅法拉' });
  const out = turns(BARE, model);
  expect(model.asked).toEqual(['这些是什么？', '上周从北边山脚下带回来的火山灰。', '明天的会议资料准备好了吗？', '放在您桌上了，蓝色的那个文件夹。']);
  expect(out).toContainEqual([
    'human:还没忙完？',
    'gpt:马上就好了，前辈再等我两分钟。',
    'human:【某人】这些是什么？',
    'gpt:上周从北边山脚下带回来的火山灰。',
    'human:明天的会议资料准备好了吗？',
    'gpt:放在您桌上了，蓝色的那个文件夹。',
  ]);
  // (Someone else: the speaker stays open, a line that is not hers, Utterance.notHer.)
  expect(analyzeText(BARE, opts, model).segmented.utterances[2]).toMatchObject({ speaker: null, notHer: true, rule: 'model' });
  // (A model that is sure of nothing: her inferred lines stay out, the Doctor's keep his label.)
  expect(turns(BARE, scripted({}))).toEqual([['human:还没忙完？', 'gpt:马上就好了，前辈再等我两分钟。']]);
});

test('the question offers the names in its window, someone else, and not sure', () => {
  const model = scripted({});
  analyzeText(TWO_WOMEN, opts, model);
  const q = model.questions[0]!;
  expect([...q.candidates]).toEqual([
    ['艾雅法拉', 'persona'],
    ['博士', 'doctor'],
    ['炎熔', 'other:炎熔'],
    [SOMEONE_ELSE, SOMEONE],
  ]);
  expect(q.messages.at(-1)!.content).toMatch(/候选人：艾雅法拉、博士、炎熔、其他人、不确定$/);
  expect(q.messages[0]!.content).toContain(`是候选人以外的人就选“${SOMEONE_ELSE}”`);
  // (The line is marked where it stands in the window; where the same words were said before, there only.)
  expect(q.messages.at(-1)!.content).toContain('“⟦刚回来没多久。⟧”她抬起头');
  const twice = scripted({});
  analyzeText(['博士推门进来，艾雅法拉正在看书。', '博士问：“明天去采样吗？”', '艾雅法拉说：“好。”', '“后天也去？”', '“好。”'].join('\n\n'), opts, twice);
  const again = twice.questions.find((x) => x.messages.at(-1)!.content.endsWith('台词：“好。”\n候选人：艾雅法拉、博士、其他人、不确定'))!;
  expect(again.messages.at(-1)!.content).toContain('艾雅法拉说：“好。”\n\n“后天也去？”\n\n“⟦好。⟧”');
});

test("an answer is read as a name offered, one of her or the Doctor's other names, or the one name offered it holds", () => {
  const model = scripted({});
  analyzeText(TWO_WOMEN, opts, model);
  const q = model.questions[0]!;
  expect(answerToSpeaker(q, '炎熔')).toBe('other:炎熔');
  expect(answerToSpeaker(q, SOMEONE_ELSE)).toBe(SOMEONE);
  expect(answerToSpeaker(q, '阿黛尔')).toBe('persona');
  expect(answerToSpeaker(q, '刀客塔')).toBe('doctor');
  expect(answerToSpeaker(q, '是博士说的')).toBe('doctor');
  expect(answerToSpeaker(q, '艾雅法拉（阿黛尔）')).toBe('persona');
  // (Two people, or nobody offered: not an answer.)
  expect(answerToSpeaker(q, '博士和炎熔')).toBeNull();
  expect(answerToSpeaker(q, '阿米娅')).toBeNull();
  expect(answerToSpeaker(q, '不确定，可能是博士')).toBeNull();
});
