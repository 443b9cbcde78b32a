// Her traits (persona.traits: a hearing aid, horns) as evidence of who 她 / 少女 is where two women
// are about. Snippets written for these tests.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { analyzeText } from '../../stages/extract/extractFile.js';

const withTraits = fileOptions(configSchema.parse(undefined));
const noTraits = fileOptions(configSchema.parse({ persona: { names: ['艾雅法拉', '阿黛尔', '小羊', '艾雅'] } }));
const speakerOf = (text: string, line: string, opts = withTraits) => analyzeText(text, opts).segmented.utterances.find((u) => u.text === line)?.speaker ?? null;

const twoWomen = (beat: string, line: string) => ['凯尔希推门进来的时候，艾雅法拉正在窗边整理一箱岩片，两个人都没有说话。', '', `${beat}“${line}”`].join('\n');

describe('her traits settle an ambiguous 她', () => {
  test('她 touching her hearing aid is her', () => {
    const t = twoWomen('她扶了扶耳边的助听器，', '外面的风声好像变大了。');
    expect(speakerOf(t, '外面的风声好像变大了。')).toBe('persona');
    // (Without the traits configured the same beat decides nothing for her.)
    expect(speakerOf(t, '外面的风声好像变大了。', noTraits)).not.toBe('persona');
  });
  test('a modifier naming the trait before 她 (戴着助听器的她)', () => {
    const t = twoWomen('戴着助听器的她低声说：', '这一层的颜色不太对。');
    expect(speakerOf(t, '这一层的颜色不太对。')).toBe('persona');
  });
  test('羊角 before a descriptive noun (羊角少女)', () => {
    const t = twoWomen('羊角少女把一块岩片举到灯下，', '您看，这里有一圈气孔。');
    expect(speakerOf(t, '您看，这里有一圈气孔。')).toBe('persona');
  });
  test('a subjectless clause about something on her right after 她 (她…，羊角上…)', () => {
    const t = twoWomen('她低头看着那张地图，羊角上还沾着一点雪，', '北坡的路被埋住了。');
    expect(speakerOf(t, '北坡的路被埋住了。')).toBe('persona');
    expect(speakerOf(t, '北坡的路被埋住了。', noTraits)).not.toBe('persona');
  });
  test('must not fire: that clause names someone else', () => {
    const t = twoWomen('她低头看着那张地图，羊角上的雪被凯尔希拍掉了，', '北坡的路被埋住了。');
    expect(speakerOf(t, '北坡的路被埋住了。')).not.toBe('persona');
  });
  test('must not fire: 她 hands the device to her by name (someone else)', () => {
    const t = twoWomen('她把新的助听器递给艾雅法拉，', '电池我已经换好了。');
    expect(speakerOf(t, '电池我已经换好了。')).not.toBe('persona');
  });
  test('must not fire: the trait in another clause than the pronoun', () => {
    const t = twoWomen('她看了看窗外，助听器还放在桌上，', '今晚大概要下雨。');
    expect(speakerOf(t, '今晚大概要下雨。')).not.toBe('persona');
  });
});

describe('persona.traits in the config', () => {
  test('defaults to her traits; a persona configured without them has none', () => {
    expect(configSchema.parse(undefined).persona.traits).toEqual(['助听器', '羊角']);
    expect(noTraits.persona.traits).toBeUndefined();
  });
  test('an empty trait is a config error', () => {
    expect(configSchema.safeParse({ persona: { names: ['甲'], traits: [''] } }).success).toBe(false);
  });
  test('traits are read for her only: on the Doctor or another character they are an unknown key, not silently ignored', () => {
    expect(configSchema.safeParse({ doctor: { names: ['博士'], pronoun: '他', traits: ['眼镜'] } }).success).toBe(false);
    expect(configSchema.safeParse({ others: [{ names: ['阿米娅'], traits: ['耳朵'] }] }).success).toBe(false);
  });
});
