// Whether a character the config does not know is 他: the sentence after one about them alone
// opens with 他 (`…杭老师问起她的近况，她一一答了。然后他沉默了一会儿`). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { discoverNames } from '../../stages/extract/discover.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
const baseNames = buildNameIndex(opts.persona, opts.doctor, opts.others);
const maleOf = (text: string) => discoverNames(text, baseNames).male ?? [];

const story = (middle: string) =>
  ['“喂？是我。”艾雅法拉接起终端。', '杭老师问：“最近还好吗？”', middle, '“嗯，都挺好的。”', '杭老师问：“那批岩芯你还要不要？”'].join('\n');

describe('the pronoun of a discovered name', () => {
  test('the next sentence opens with 他 after a sentence about them alone: 他', () => {
    const t = story('杭老师问起她在那边吃得惯不惯，她一样一样答了。然后他停了一下，换了个话题。');
    expect(discoverNames(t, baseNames).names).toContain('杭老师');
    expect(maleOf(t)).toContain('杭老师');
  });
  test('must not fire: that sentence already speaks of 他 (someone else)', () => {
    const t = story('杭老师问起他在那边的工作，说了很久很久。然后他停了一下，换了个话题。');
    expect(maleOf(t)).not.toContain('杭老师');
  });
  test('must not fire: the next sentence opens with 她', () => {
    const t = story('杭老师问起她在那边吃得惯不惯，说了很久。她停了一下，换了个话题。');
    expect(maleOf(t)).not.toContain('杭老师');
  });
});
