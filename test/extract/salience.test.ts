// Pronoun salience (#15): a sentence that opens on one character by name and names another only
// later, as an object, leaves the opening subject as whom 她 / 他 means next. Snippets written
// for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
/** The speaker of every quote, '?' when open. */
const who = (lines: string[]) => analyzeText(lines.join('\n\n'), opts).segmented.utterances.map((u) => u.speaker ?? '?');

describe('the opening subject of a sentence naming two', () => {
  test('她 in the next sentence continues the subject, not the one named as an object', () => {
    expect(who(['凯尔希推门进来，把一叠化验单放在艾雅法拉面前。她清了清嗓子，开口道：“下周的复查改到周三上午。”'])).toEqual(['other:凯尔希']);
    expect(who(['艾雅法拉抱着岩芯箱走进来，一直走到阿米娅桌前。她把箱子放下，小声说：“样本都在这里了，一块也没少。”'])).toEqual(['persona']);
  });
  test('a man named in the first clause is no rival for 她', () => {
    expect(who(['阿米娅看了看博士，又转向艾雅法拉，把文件夹抱在怀里。她说：“我先去把这个交上去。”'])).toEqual(['other:阿米娅']);
  });
  test('a leading time clause is background: the subject opens the clause after it', () => {
    expect(who(['等艾雅法拉坐稳了，凯尔希才把听诊器放下。她说：“心跳比上次平稳多了。”'])).toEqual(['other:凯尔希']);
    // (Without 等, the same two clauses are parallel subjects: open.)
    expect(who(['艾雅法拉坐稳了，凯尔希把听诊器放下。她说：“心跳比上次平稳多了。”'])).toEqual(['?']);
  });
  test('must not fire: one clause naming both (no chain carries the subject on)', () => {
    expect(who(['阿米娅望着艾雅法拉。她问：“你是不是又熬夜了？”'])).toEqual(['?']);
  });
  test('must not fire: parallel subjects, each opening a clause', () => {
    expect(who(['凯尔希翻着病历，艾雅法拉坐在床沿上。她轻声说：“今天的药我已经吃过了。”'])).toEqual(['?']);
  });
  test('must not fire: someone just introduced in that sentence', () => {
    expect(who(['艾雅法拉在站台上等了很久，一个背着包的女人朝这边走来。她开口道：“你就是来测地温的那位吗？”'])).not.toEqual(['persona']);
  });
  test('must not fire: a pronoun in that sentence already meant someone', () => {
    // (她 there is 艾雅法拉, not the opening subject: the next 她 stays open.)
    expect(who(['阿米娅拉住艾雅法拉的手，把她带到窗边。她小声说：“外面的雪好像停了。”'])).toEqual(['?']);
  });
});
