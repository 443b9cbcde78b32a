// The pure pieces of the extractor: decode, normalize, segment, attribute, filter, samples.
import { configSchema, fileOptions } from '../../stages/extract/config.js';
import { decodeBytes } from '../../stages/extract/decode.js';
import { analyzeText, extractFile } from '../../stages/extract/extractFile.js';
import { normalizeText } from '../../stages/extract/normalize.js';
import { checkParagraph } from '../../stages/extract/nsfw.js';

const opts = fileOptions(configSchema.parse(undefined));
const speakers = (text: string) => analyzeText(text, opts).segmented.utterances.map((u) => [u.kind === 'speech' ? (u.speaker ?? '?') : u.kind, u.text]);

describe('decode', () => {
  const text = '艾雅法拉说：“前辈，早上好。”';
  test('UTF-8, UTF-8 with BOM, GB18030, UTF-16 LE/BE with BOM', () => {
    const utf8 = Buffer.from(text, 'utf8');
    expect(decodeBytes(utf8)).toEqual({ ok: true, encoding: 'utf-8', text });
    expect(decodeBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), utf8]))).toEqual({ ok: true, encoding: 'utf-8-bom', text });
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(decodeBytes(le)).toEqual({ ok: true, encoding: 'utf-16le', text });
    const be = Buffer.from(le);
    for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1]!, be[i]!];
    expect(decodeBytes(be)).toEqual({ ok: true, encoding: 'utf-16be', text });
    // 你好 in GB18030: two characters are also two common Big5 ones, so it is a guess, and says so.
    expect(decodeBytes(Buffer.from([0xc4, 0xe3, 0xba, 0xc3]))).toEqual({
      ok: true,
      encoding: 'gb18030',
      text: '你好',
      warning: expect.stringMatching(/best guess.*also valid big5/),
    });
  });
  test('UTF-8 of every sequence length decodes exactly, a large file after a small one included', () => {
    // 1-byte, 2-byte (é, ©), 3-byte (CJK, “”, \u3000, a leading U+FEFF), 4-byte (emoji, CJK ext. B) sequences.
    const mixed = '\ufeffa é©\u3000“前辈”😀𠀋~\n';
    for (const t of [mixed, mixed.repeat(5000), 'short 短']) {
      const got = decodeBytes(Buffer.from(`x${t}`, 'utf8'));
      expect(got).toEqual({ ok: true, encoding: 'utf-8', text: `x${t}` });
    }
    // A subarray of a larger buffer decodes only its own bytes.
    const whole = Buffer.from('前辈前辈', 'utf8');
    expect(decodeBytes(whole.subarray(3, 9))).toEqual({ ok: true, encoding: 'utf-8', text: '辈前' });
  });
  test('valid UTF-8 with control characters: a few are kept, many make it binary', () => {
    const few = `前辈\u0001${'a'.repeat(200)}`;
    expect(decodeBytes(Buffer.from(few, 'utf8'))).toEqual({ ok: true, encoding: 'utf-8', text: few });
    expect(decodeBytes(Buffer.from('\u0001\u0002\u0003前辈', 'utf8'))).toMatchObject({ ok: false, reason: 'binary' });
    // Tab, LF, FF, CR and ESC are not control characters for this purpose.
    const fine = '前辈\t\n\f\r\u001b好';
    expect(decodeBytes(Buffer.from(fine.repeat(3), 'utf8'))).toEqual({ ok: true, encoding: 'utf-8', text: fine.repeat(3) });
  });
  test('empty and binary input are refused with a reason', () => {
    expect(decodeBytes(new Uint8Array())).toMatchObject({ ok: false, reason: 'empty' });
    expect(decodeBytes(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))).toMatchObject({ ok: false, reason: 'binary' });
  });
});

describe('normalize', () => {
  test('CRLF, zero-width characters, HTML entities and quote styles', () => {
    expect(normalizeText('a\r\nb\rc')).toBe('a\nb\nc');
    expect(normalizeText('前\u200b辈\ufeff')).toBe('前辈');
    expect(normalizeText('It&#39;s &quot;ok&quot; &amp; &#x4f60;')).toBe("It's “ok” & 你");
    expect(normalizeText('「前辈，『熔岩』很美。」')).toBe('“前辈，‘熔岩’很美。”');
    expect(normalizeText('『前辈』')).toBe('“前辈”');
    expect(normalizeText('她说："好的。"然后"走吧')).toBe('她说：“好的。”然后“走吧');
  });
});

describe('segment and attribute', () => {
  test('attribution before and after quotes, pronouns, paragraph inheritance', () => {
    const t = ['博士走进观测室。艾雅法拉抬起头，小声说：“前辈，您来得正好。”', '“数据整理好了吗？”博士问。', '“还差一点。”她揉了揉眼睛，“今晚就能完成。”'].join(
      '\n',
    );
    expect(speakers(t)).toEqual([
      ['persona', '前辈，您来得正好。'],
      ['doctor', '数据整理好了吗？'],
      ['persona', '还差一点。'],
      ['persona', '今晚就能完成。'],
    ]);
  });

  test('other characters who say 博士 or call her 前辈 never become hers', () => {
    const t = [
      '阿米娅推门进来：“博士，凯尔希医生在找您，罗德岛的会议要开始了。”',
      '炎熔跟在后面，冲艾雅法拉挥手：“艾雅法拉前辈，下午的训练别忘了！”',
      '“我知道了。”博士点点头。',
    ].join('\n');
    expect(speakers(t)).toEqual([
      ['other:阿米娅', '博士，凯尔希医生在找您，罗德岛的会议要开始了。'],
      ['other:炎熔', '艾雅法拉前辈，下午的训练别忘了！'],
      ['doctor', '我知道了。'],
    ]);
  });

  test('a first-person narrator is the Doctor; bare runs alternate between the two speakers', () => {
    const t = [
      '我推开资料室的门，看见她趴在桌上。我走过去，我轻轻敲了敲桌面。',
      '艾雅法拉抬起头：“前辈？您怎么来了？”',
      '“来看看你。”',
      '“我没事的，只是有点困了。”',
      '“那就早点休息。”',
    ].join('\n');
    expect(speakers(t)).toEqual([
      ['persona', '前辈？您怎么来了？'],
      ['doctor', '来看看你。'],
      ['persona', '我没事的，只是有点困了。'],
      ['doctor', '那就早点休息。'],
    ]);
  });

  test('speech over several paragraphs and a quote broken over lines are one utterance each', () => {
    const t = ['艾雅法拉对博士说：“第一段。', '', '“第二段。', '“第三段，前辈。”', '博士说：“嗯，', '我听着。”'].join('\n');
    expect(speakers(t)).toEqual([
      ['persona', '第一段。\n第二段。\n第三段，前辈。'],
      ['doctor', '嗯，\n我听着。'],
    ]);
  });

  test('thoughts, terms and written text are not utterances', () => {
    const t = ['艾雅法拉心想：“前辈会不会生气呢？”', '这种现象被称为“火山冬天”。她把所谓的“安全距离”又念了一遍。', '便签上写着：“记得吃饭。——博士”'].join('\n');
    expect(speakers(t).map((x) => x[0])).toEqual(['thought', 'term', 'term', 'sign']);
  });

  test('script lines map names to speakers, unknown names to others, and strip stage directions', () => {
    const lines = ['博士：早上好。', '艾雅法拉：（揉眼睛）前辈早上好……', '路人：让一让！', '我：走吧。'];
    const t = [...lines, ...lines, ...lines].join('\n');
    expect(speakers(t).slice(0, 4)).toEqual([
      ['doctor', '早上好。'],
      ['persona', '前辈早上好……'],
      ['other:路人', '让一让！'],
      ['doctor', '走吧。'],
    ]);
  });

  test('an unclosed quote is dropped and reported without losing the lines after it', () => {
    const a = analyzeText(['艾雅法拉说：“前辈，这句话没有结束', '博士说：“那我替你说完。”'].join('\n'), opts);
    expect(a.segmented.unclosedQuotes).toBe(1);
    expect(a.segmented.warnings).toEqual([{ line: 1, reason: 'unclosed quote; dropped' }]);
    expect(a.segmented.utterances.map((u) => [u.speaker, u.text])).toEqual([['doctor', '那我替你说完。']]);
  });

  test('uncertain lines are dropped, not guessed', () => {
    // Two women in the scene, a bare quote with no evidence either way.
    const t = ['阿米娅和艾雅法拉站在窗边。', '“今天的云好低啊。”'].join('\n');
    expect(speakers(t)).toEqual([['?', '今天的云好低啊。']]);
  });
});

describe('content filter', () => {
  test('explicit words trip it; innocent uses of ambiguous words survive', () => {
    expect(checkParagraph('音乐会进入了高潮，全场安静下来。')).toEqual({ explicit: false, excused: 1 });
    expect(checkParagraph('她把存储卡插入读卡器。')).toEqual({ explicit: false, excused: 1 });
    expect(checkParagraph('伤员在担架上痛苦地呻吟。')).toEqual({ explicit: false, excused: 1 });
    expect(checkParagraph('他们做爱了。').explicit).toBe(true);
    expect(checkParagraph('两人的身体逐渐高潮迭起').explicit).toBe(true);
  });

  test('a filtered paragraph ends the conversation and is counted; allow_nsfw keeps it', () => {
    const t = ['博士问：“你还好吗？”', '艾雅法拉说：“前辈，我很好，只是有点累了。”', '那一夜两人做爱了。艾雅法拉说：“前辈，今天谢谢您陪着我。”'].join('\n');
    const strict = extractFile(Buffer.from(t), opts);
    expect(strict.report.dropped.nsfw_paragraphs).toBe(1);
    expect(strict.samples).toEqual([['你还好吗？', '前辈，我很好，只是有点累了。']]);
    const lax = extractFile(Buffer.from(t), { ...opts, allow_nsfw: true });
    expect(lax.report.dropped.nsfw_paragraphs).toBe(0);
    expect(lax.samples.some((s) => s.some((t) => t.includes('前辈，今天谢谢您陪着我。')))).toBe(true);
  });
});

describe('samples', () => {
  const dialogue = [
    '艾雅法拉说：“前辈，今天的观测数据出来了。”',
    '博士问：“结果怎么样？”',
    '艾雅法拉说：“比预想的还要稳定，前辈可以放心了。”',
    '博士说：“辛苦你了。”',
    '艾雅法拉说：“这是我应该做的，前辈不用客气。”',
  ].join('\n');

  test('a run that starts with her gets the Doctor-voiced opener; windows alternate and end with gpt', () => {
    const { samples } = extractFile(Buffer.from(dialogue), opts);
    expect(samples[0]).toEqual(['艾雅法拉，在忙吗？', '前辈，今天的观测数据出来了。']);
    for (const s of samples) {
      expect(s.length % 2).toBe(0);
      expect(s.length).toBeLessThanOrEqual(6);
    }
    expect(samples).toContainEqual(['结果怎么样？', '比预想的还要稳定，前辈可以放心了。', '辛苦你了。', '这是我应该做的，前辈不用客气。']);
    const noOpener = extractFile(Buffer.from(dialogue), { ...opts, opener: null });
    expect(noOpener.samples.every((s) => s[0] !== '艾雅法拉，在忙吗？')).toBe(true);
    expect(noOpener.report.dropped.leading_assistant).toBe(1);
  });

  test('max_turns, min_assistant_chars (a sample holds one reply of hers that long; shorter ones stay in it and may end it) and the anchor requirement', () => {
    expect(extractFile(Buffer.from(dialogue), { ...opts, max_turns: 2 }).samples.every((s) => s.length === 2)).toBe(true);
    const short = extractFile(Buffer.from(dialogue), { ...opts, min_assistant_chars: 16 });
    // Her first (14 chars) and last (15) replies are short, the middle one 17: both short ones are
    // in a sample that holds the long one — the last one ends it — and no sample holds only short ones.
    expect(short.samples).toContainEqual(['艾雅法拉，在忙吗？', '前辈，今天的观测数据出来了。', '结果怎么样？', '比预想的还要稳定，前辈可以放心了。']);
    expect(short.samples).toContainEqual([
      '艾雅法拉，在忙吗？',
      '前辈，今天的观测数据出来了。',
      '结果怎么样？',
      '比预想的还要稳定，前辈可以放心了。',
      '辛苦你了。',
      '这是我应该做的，前辈不用客气。',
    ]);
    expect(short.samples).not.toContainEqual(['辛苦你了。', '这是我应该做的，前辈不用客气。']);
    expect(short.samples.every((s) => s.some((t, i) => i % 2 === 1 && t.length >= 16))).toBe(true);
    expect(short.report.dropped.her_too_short).toBe(0);
    // A run whose replies are all short yields nothing, and says why.
    const onlyShort = extractFile(Buffer.from('博士问：“冷吗？”\n艾雅法拉说：“不冷。”\n博士问：“真的？”\n艾雅法拉说：“嗯。”'), opts);
    expect(onlyShort.samples).toEqual([]);
    expect(onlyShort.report.dropped.her_too_short).toBe(2);
    const noAnchor = '博士问：“结果怎么样？”\n艾雅法拉说：“比预想的还要稳定，可以放心了。”';
    expect(extractFile(Buffer.from(noAnchor), opts).samples).toEqual([['结果怎么样？', '比预想的还要稳定，可以放心了。']]);
    const gated = extractFile(Buffer.from(noAnchor), { ...opts, require_anchor: true });
    expect(gated.samples).toEqual([]);
    expect(gated.report.dropped.her_no_anchor).toBe(1);
  });

  test('a 50 MB single-line file is skipped paragraph-wise with a reason, quickly', () => {
    const big = Buffer.alloc(50 * 1024 * 1024, 'a');
    // (CPU time, not wall time: on a loaded machine this process waits for a core, and that is no
    // slowness of its own. About 1 s here: the bound catches a pass over the text that grows faster
    // than its length, which on 50 MB would take hours.)
    const c0 = process.cpuUsage();
    const r = extractFile(big, opts);
    const c = process.cpuUsage(c0);
    expect((c.user + c.system) / 1000).toBeLessThan(5000);
    expect(r.report.status).toBe('ok');
    expect(r.report.dropped.long_paragraphs).toBe(1);
    expect(r.report.warnings[0]).toEqual({ line: 1, reason: expect.stringMatching(/longer than max_paragraph_chars/) });
  });
});
