// A referent after a coverb in an intro clause (`把外套往他怀里一塞`) is its object, not the
// speaker (rulesH). Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (t: string, text: string) => analyzeText(t, opts).segmented.utterances.find((u) => u.text === text)?.speaker;

describe('a coverb before the referent', () => {
  test('她…，把湿透的围巾往他手里一放，…：“…” is hers, not his', () => {
    const t = '博士蹲下来看那台仪器。艾雅法拉站起身，把湿透的围巾往他手里一放，又去翻背包：“备用电池应该还在最下面那层。”';
    expect(speakerOf(t, '备用电池应该还在最下面那层。')).toBe('persona');
  });
  test('must not fire: a modifier and a role noun in apposition still stands before the subject (值夜班的医生凯尔希)', () => {
    const t = '门被推开了。艾雅法拉抬起头，值夜班的医生凯尔希抱着文件走进来，小声说：“博士，这是今天的报告。”';
    expect(speakerOf(t, '博士，这是今天的报告。')).toBe('other:凯尔希');
  });
});
