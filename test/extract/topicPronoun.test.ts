// A sentence that opens on one woman by name and refers to her once more by 她 keeps her the topic,
// whoever else it names as an object: the 她 of the next tag is her. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const opts = fileOptions(configSchema.parse({ persona: { names: ['艾雅法拉', '阿黛尔', '小羊', '艾雅'] } }));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;

const kitchen = (beat: string) => ['凯尔希和艾雅法拉守在烤箱前，谁也没有走开。', '', beat, '', '“颜色开始变深了。”她说。'].join('\n');

describe('the opening subject and one pronoun of hers', () => {
  test('甲…，她的…碰到乙的…: 她 after it is 甲', () => {
    expect(speakerOf(kitchen('艾雅法拉蹲下来，额头贴着玻璃，她的围巾差点扫到凯尔希的膝盖。'), '颜色开始变深了。')).toBe('persona');
    expect(speakerOf(kitchen('凯尔希蹲下来，额头贴着玻璃，她的围巾差点扫到艾雅法拉的膝盖。'), '颜色开始变深了。')).toBe('other:凯尔希');
  });
  test('must not fire: a later clause opens on the other woman (parallel subjects)', () => {
    expect(speakerOf(kitchen('艾雅法拉蹲下来，凯尔希拍了拍她的肩膀。'), '颜色开始变深了。')).toBeNull();
  });
});
