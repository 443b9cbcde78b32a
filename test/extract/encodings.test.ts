// Decoding with confidence: real files in each encoding (original text written here), the guess
// and its warning when the bytes are ambiguous or read badly, and extract.encoding forcing one —
// unit by unit, then through `pipeline run extract` and `pipeline extract`.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import fc from 'fast-check';
import { configSchema } from '../../stages/extract/config.js';
import { decodeBytes } from '../../stages/extract/decode.js';
import { makeWorkspace, parseJsonEvents, PROJECT_PIPELINE_TS, runCli, tempDirs } from '../helpers/workspace.js';

const temp = tempDirs();
afterAll(temp.removeAll);

/**
 * Text → bytes in a legacy CJK encoding: the inverse of the platform's decoder over its one- and
 * two-byte codes (the first code that decodes to a character is the one used).
 */
function encoderFor(encoding: 'gb18030' | 'big5' | 'shift_jis'): (text: string) => Buffer {
  const table = new Map<string, number[]>();
  const dec = new TextDecoder(encoding, { fatal: true });
  const add = (bytes: number[]) => {
    try {
      const c = dec.decode(new Uint8Array(bytes));
      if ([...c].length === 1 && !table.has(c)) table.set(c, bytes);
    } catch {
      /* not a character */
    }
  };
  for (let b = 0; b < 0x80; b++) add([b]);
  if (encoding === 'shift_jis') for (let b = 0xa1; b <= 0xdf; b++) add([b]);
  for (let lead = 0x81; lead <= 0xfe; lead++) for (let trail = 0x40; trail <= 0xfe; trail++) add([lead, trail]);
  return (text) =>
    Buffer.from(
      [...text].flatMap((c) => {
        const b = table.get(c);
        if (!b) throw new Error(`${encoding} cannot encode ${c}`);
        return b;
      }),
    );
}
const encode = (text: string, encoding: 'gb18030' | 'big5' | 'shift_jis') => encoderFor(encoding)(text);
function utf32(text: string, le: boolean): Buffer {
  const cps = [0xfeff, ...[...text].map((c) => c.codePointAt(0)!)];
  const b = Buffer.alloc(cps.length * 4);
  cps.forEach((cp, i) => (le ? b.writeUInt32LE(cp, i * 4) : b.writeUInt32BE(cp, i * 4)));
  return b;
}
function latin1(text: string): Buffer {
  expect([...text].every((c) => c.charCodeAt(0) <= 0xff)).toBe(true);
  return Buffer.from(text, 'latin1');
}
const validAs = (encoding: string, b: Uint8Array) => {
  try {
    new TextDecoder(encoding, { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
};

const SIMPLIFIED =
  '博士问：“今天的火山观测怎么样？”\n艾雅法拉笑着说：“很顺利哦，前辈。岩浆湖比上周平静多了。”\n博士点点头：“辛苦了，记得早点休息。”\n艾雅法拉轻声说：“嗯，前辈也别熬夜整理资料了。”\n';
const TRADITIONAL =
  '博士問道：“今天的火山觀測怎麼樣？”\n艾雅法拉笑道：“很順利哦，前輩。岩漿湖比上週平靜多了。”\n博士點點頭：“辛苦了，記得早點休息。”\n艾雅法拉輕聲道：“嗯，前輩也別熬夜整理資料了。”\n';
const JAPANESE = 'エイヤフィヤトラはノートを閉じた。「先輩、今日の観測はとても順調でした。」\nドクターは笑った。「それはよかった。少し休もう。」\n';
// Every accented letter is followed by a letter, so these bytes are valid GB18030 as well.
const FRENCH = 'Eyjafjalla etait sûre: le cratère était calme, et elle écrivit le rapport dès lundi.\nLe Docteur répondit que la journée serait brève.\n';

describe('decoding real files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await temp.make('pl-extract-enc-');
  });
  const roundTrip = async (name: string, bytes: Buffer) => {
    await writeFile(join(dir, name), bytes);
    return decodeBytes(await readFile(join(dir, name)));
  };

  test('GB18030, Big5, Shift-JIS and Latin-1 are each recognised, with no warning', async () => {
    expect(await roundTrip('gb.txt', encode(SIMPLIFIED, 'gb18030'))).toEqual({ ok: true, encoding: 'gb18030', text: SIMPLIFIED });
    expect(await roundTrip('big5.txt', encode(TRADITIONAL, 'big5'))).toEqual({ ok: true, encoding: 'big5', text: TRADITIONAL });
    expect(await roundTrip('sjis.txt', encode(JAPANESE, 'shift_jis'))).toEqual({ ok: true, encoding: 'shift_jis', text: JAPANESE });
    const fr = latin1(FRENCH);
    expect(validAs('gb18030', fr)).toBe(true); // what used to make it "GB18030"
    expect(await roundTrip('fr.txt', fr)).toEqual({ ok: true, encoding: 'windows-1252', text: FRENCH });
  });

  test('Windows-1252 bytes 0x80–0x9F are its typographic characters, not C1 controls', async () => {
    const b = Buffer.concat([
      latin1('Il dit '),
      Buffer.from([0x93]),
      latin1('bonjour'),
      Buffer.from([0x94]),
      latin1(' et partit'),
      Buffer.from([0x85]),
      latin1('\n'),
    ]);
    expect(await roundTrip('cp1252.txt', b)).toMatchObject({ ok: true, encoding: 'windows-1252', text: 'Il dit “bonjour” et partit…\n' });
  });

  test("UTF-32 with either BOM (the little-endian one starts like UTF-16LE's)", async () => {
    expect(await roundTrip('le.txt', utf32(SIMPLIFIED, true))).toEqual({ ok: true, encoding: 'utf-32le', text: SIMPLIFIED });
    expect(await roundTrip('be.txt', utf32(`${SIMPLIFIED}𠀋😀`, false))).toEqual({ ok: true, encoding: 'utf-32be', text: `${SIMPLIFIED}𠀋😀` });
    // A UTF-32 BOM on something that is not UTF-32 is refused, not decoded as UTF-16.
    const broken = Buffer.concat([Buffer.from([0, 0, 0xfe, 0xff]), Buffer.from([0x7f, 0xff, 0xff, 0xff])]);
    expect(await roundTrip('bad32.txt', broken)).toMatchObject({ ok: false, reason: 'unknown_encoding' });
  });

  test('UTF-16 without a BOM is a guess, with a warning', async () => {
    const d = await roundTrip('nobom.txt', Buffer.from(SIMPLIFIED, 'utf16le'));
    expect(d).toMatchObject({ ok: true, encoding: 'utf-16le', text: SIMPLIFIED, warning: expect.stringMatching(/no byte-order mark: guessed utf-16le/) });
  });

  test('bytes that read about as well in two encodings, or badly in every one, are a guess with a warning', async () => {
    // Four characters that are common both as GB18030 and as Big5.
    const short = await roundTrip('short.txt', encode('你好你好', 'gb18030'));
    expect(short).toMatchObject({
      ok: true,
      encoding: 'gb18030',
      warning: expect.stringMatching(/decoded as gb18030 \(best guess.*also valid big5 and read about as well.*extract\.encoding/),
    });
    // Rare characters only (GBK's extension area): valid, but nobody writes fan-fiction in them.
    const rare = Buffer.from(Array.from({ length: 200 }, (_, i) => [0x81 + (i % 31), 0x41 + (i % 50)]).flat());
    expect(validAs('gb18030', rare)).toBe(true);
    const d = await roundTrip('rare.txt', rare);
    expect(d).toMatchObject({ ok: true, warning: expect.stringMatching(/best guess\), but only \d+% .* likely a wrong encoding/) });
  });

  test('valid UTF-8 decodes to exactly the text that was encoded: every plane, U+FEFF inside, noncharacters', () => {
    // (decode.ts goes through UTF-16 for speed: it must be the same string Node's UTF-8 decoder gives.)
    const special = ['\ufeff', '\ufffe', '\uffff', '\u{10ffff}', '\u{1f600}', '前辈', '\u00e9', '\u0800', '\ud7ff', '\ue000'];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.string({ unit: 'binary' }), fc.constantFrom(...special)), { maxLength: 30 }), (parts) => {
        // (A leading BOM is the UTF-8-BOM encoding, and control bytes make it binary: both tested elsewhere.)
        // eslint-disable-next-line no-control-regex -- control characters are what it removes
        const text = `前${parts.join('')}`.replace(/[\u0000-\u0008\u000b-\u000c\u000e-\u001f]/g, '');
        const d = decodeBytes(Buffer.from(text, 'utf8'));
        expect(d).toEqual({ ok: true, encoding: 'utf-8', text });
      }),
      { numRuns: 300 },
    );
  });

  test('a forced encoding is used as named; bytes invalid in it skip the file with a clear reason', () => {
    const b = encode('你好你好', 'gb18030');
    expect(decodeBytes(b, 'big5')).toEqual({ ok: true, encoding: 'big5', text: new TextDecoder('big5').decode(b) });
    expect(decodeBytes(b, 'gb18030')).toEqual({ ok: true, encoding: 'gb18030', text: '你好你好' });
    expect(decodeBytes(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('前辈')]), 'utf-8')).toEqual({
      ok: true,
      encoding: 'utf-8-bom',
      text: '前辈',
    });
    expect(decodeBytes(utf32('前辈', true), 'utf-32le')).toEqual({ ok: true, encoding: 'utf-32le', text: '前辈' });
    expect(decodeBytes(b, 'utf-8')).toEqual({ ok: false, reason: 'unknown_encoding', detail: 'not valid utf-8 (forced by extract.encoding)' });
  });

  test('extract.encoding takes the usual names and refuses unknown ones', () => {
    expect(configSchema.parse({ encoding: { 'old/*.txt': 'Big5', 'jp/*': 'SJIS', 'fr/*.txt': 'latin1', 'x.txt': 'UTF-32LE' } }).encoding).toEqual({
      'old/*.txt': 'big5',
      'jp/*': 'shift_jis',
      'fr/*.txt': 'windows-1252',
      'x.txt': 'utf-32le',
    });
    const bad = configSchema.safeParse({ encoding: { 'a/*.txt': 'klingon' } });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.message).toMatch(/unknown encoding "klingon": use one of utf-8, .*big5/);
  });
});

describe('through the CLI', () => {
  let ws: string;
  beforeAll(async () => {
    ws = await makeWorkspace({
      'pipeline.ts': PROJECT_PIPELINE_TS,
      'pipeline.yaml': 'extract:\n  input_dir: fics\n  glob: "**/*.txt"\n  encoding: { "old/*.txt": big5 }\n  anchor_words: [前辈, 前輩]\n',
      'fics/gb.txt': encode(SIMPLIFIED, 'gb18030'),
      'fics/big5.txt': encode(TRADITIONAL, 'big5'),
      'fics/sjis.txt': encode(JAPANESE, 'shift_jis'),
      'fics/fr.txt': latin1(FRENCH),
      'fics/u32.txt': utf32(SIMPLIFIED.replace(/前辈/g, '前辈呀'), true),
      'fics/short.txt': encode('你好你好', 'gb18030'),
      // The same kind of bytes, forced: no guess, no warning.
      'fics/old/forced.txt': encode('博士問道：“今天還好嗎？”\n艾雅法拉笑道：“很好哦，前輩，火山很安靜。”\n', 'big5'),
    });
  });
  afterAll(async () => {
    await rm(ws, { recursive: true, force: true });
  });

  test("`pipeline run extract` reports each file's encoding and warns about the guesses", async () => {
    const r = await runCli(ws, ['run', 'extract', '--json']);
    expect(parseJsonEvents(r.stdout).summary.stages[0]).toMatchObject({ name: 'extract', status: 'ran' });
    // The guess is shown in the run's own output, not only in the log.
    const warnings = parseJsonEvents(r.stdout).events.filter((e) => e.event === 'warning');
    expect(warnings.map((e) => [e.stage, String(e.message).slice(0, 41)])).toEqual([['extract', 'short.txt: decoded as gb18030 (best guess']]);
    const rep = JSON.parse(await readFile(join(ws, 'artifacts/reports/extraction.json'), 'utf8')) as {
      totals: { encoding_warnings: number };
      files: Array<{ file: string; encoding: string; encoding_warning?: string; samples: number; utterances: { persona: number; doctor: number } }>;
    };
    const by = new Map(rep.files.map((f) => [f.file, f]));
    expect(Object.fromEntries(rep.files.map((f) => [f.file, f.encoding]))).toEqual({
      'big5.txt': 'big5',
      'fr.txt': 'windows-1252',
      'gb.txt': 'gb18030',
      'old/forced.txt': 'big5',
      'short.txt': 'gb18030',
      'sjis.txt': 'shift_jis',
      'u32.txt': 'utf-32le',
    });
    expect(rep.files.filter((f) => f.encoding_warning).map((f) => f.file)).toEqual(['short.txt']);
    expect(rep.totals.encoding_warnings).toBe(1);
    // Decoded right, the dialogue is found: her lines and the Doctor's, and samples.
    for (const f of ['big5.txt', 'gb.txt', 'u32.txt', 'old/forced.txt']) {
      expect([f, by.get(f)!.utterances.persona > 0, by.get(f)!.utterances.doctor > 0, by.get(f)!.samples > 0]).toEqual([f, true, true, true]);
    }
    const data = JSON.parse(await readFile(join(ws, 'data/eyjafjalla_tongren_sft.json'), 'utf8')) as Array<{ conversations: Array<{ value: string }> }>;
    expect(data.some((s) => s.conversations.some((c) => c.value === '很順利哦，前輩。岩漿湖比上週平靜多了。'))).toBe(true);
    const log = await readFile(join(ws, 'artifacts/logs/extract.log'), 'utf8');
    expect(log).toMatch(/^warning: short\.txt: decoded as gb18030 \(best guess/m);
    expect(log.match(/^warning:/gm)).toHaveLength(1);
  });

  test('`pipeline extract` prints the same warnings on stderr', async () => {
    const r = await runCli(ws, ['extract', '--output', 'out.json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^extract: warning: short\.txt: decoded as gb18030 \(best guess/m);
    expect(r.stdout).toMatch(/\[OK\] report=out\.report\.json/);
  });
});
