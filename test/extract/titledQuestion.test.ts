// A bare question that opens on a name with a polite title (`凯尔希医生连这个都算好了吗？`) is put to
// that person, so right after narration about her it is hers, not asked of her. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';
import { askedOfThem } from '../../stages/extract/quoteKind.js';
import { buildNameIndex } from '../../stages/extract/names.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakerOf = (text: string, line: string) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;
const greenhouse = (line: string) =>
  ['凯尔希和艾雅法拉在温室里守着那排番茄。凯尔希看了看表，把定时器拧紧了。', '', '艾雅法拉眨了眨眼。', '', `“${line}”`].join('\n');
const names = buildNameIndex(opts.persona, opts.doctor, opts.others);

describe('a question to someone by a titled name', () => {
  test('after narration about her alone it is hers', () => {
    expect(speakerOf(greenhouse('凯尔希医生连浇水的时间都算好了吗？'), '凯尔希医生连浇水的时间都算好了吗？')).toBe('persona');
    expect(askedOfThem('凯尔希医生连浇水的时间都算好了吗？', names)).toBe(false);
  });
  test('must not fire: a question naming no one, or a name without a title, may be asked of her', () => {
    expect(askedOfThem('浇水的时间都算好了吗？', names)).toBe(true);
    expect(askedOfThem('凯尔希也来吗？', names)).toBe(true);
    expect(speakerOf(greenhouse('浇水的时间都算好了吗？'), '浇水的时间都算好了吗？')).not.toBe('persona');
  });
});
