// The gold2 set (test/extract/gold2/{tune,heldout,heldout3,heldout5,heldout6,heldout7,heldout8}) loads through the label schema and every label
// is anchored in its story: its text is a whole quoted span (or script / chat line) of the story,
// the labels follow the story's order, and the encoding field is what the bytes are. Scores are not
// asserted here: they are reported by `node bin/pipeline.js --exec bench/gold2.ts`.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { decodeBytes } from '../../stages/extract/decode.js';
import { REPO } from '../helpers/workspace.js';
import { loadGold, type GoldFile } from './goldEval.js';

const GOLD2 = join(REPO, 'test', 'extract', 'gold2');
const HALVES = ['tune', 'heldout', 'heldout3', 'heldout5', 'heldout6', 'heldout7', 'heldout8'] as const;

/** Decodes the bytes the way the label's `encoding` says, refusing bytes that are not that. */
function decodeAs(bytes: Buffer, encoding: string): string {
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  switch (encoding) {
    case 'utf-8':
      if (bom) throw new Error('has a BOM but is labelled utf-8');
      return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    case 'utf-8-bom':
      if (!bom) throw new Error('has no BOM but is labelled utf-8-bom');
      return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    case 'gb18030':
      return new TextDecoder('gb18030', { fatal: true }).decode(bytes);
    default:
      throw new Error(`unknown encoding ${encoding}`);
  }
}

/** Where the labels do not line up with the story; empty when every label is a whole span, in order. */
function anchorProblems(gold: GoldFile, story: string): string[] {
  const text = story.replace(/\r\n/g, '\n');
  const problems: string[] = [];
  let cursor = 0;
  gold.utterances.forEach((u, i) => {
    if (!/^(persona|doctor|other:\S+)$/.test(u.speaker)) problems.push(`#${i}: speaker '${u.speaker}' is not persona, doctor or other:<name>`);
    // The next occurrence at or after the previous label's end that is a whole span: opened by a
    // quote mark, a script colon or a line start, closed by the matching mark or the line end; or a
    // radio line led by `——` or `【名字】` (41), or a span in ASCII double quotes (42).
    let at = text.indexOf(u.text, cursor);
    while (at >= 0) {
      const before = at === 0 ? '\n' : text[at - 1]!;
      const after = text[at + u.text.length] ?? '\n';
      const lead = text.slice(text.lastIndexOf('\n', at - 1) + 1, at);
      const whole =
        (before === '“' && after === '”') ||
        (before === '「' && after === '」') ||
        (before === '"' && after === '"') ||
        ((before === '：' || before === '\n' || /^(——|【[^】]+】)$/.test(lead)) && after === '\n');
      if (whole) break;
      at = text.indexOf(u.text, at + 1);
    }
    if (at < 0) problems.push(`#${i} (${u.speaker}) '${u.text}' is not a whole quoted span or line after the previous label`);
    else cursor = at + u.text.length;
  });
  return problems;
}

describe.each(HALVES)('gold2/%s', (half) => {
  const dir = join(GOLD2, half);
  const gold = loadGold(join(dir, 'labels'));

  test('has ≥ 12 stories, one label file per text, numbered by the split rule (01–26: odd tune, even heldout; 27–58 and 75–106: tune; 59–74: heldout3; 107–122: heldout5; 123–138: heldout6; 139–154: heldout7; 155–170: heldout8)', () => {
    expect(gold.length).toBeGreaterThanOrEqual(12);
    const texts = readdirSync(join(dir, 'texts')).sort();
    expect(gold.map((g) => g.file)).toEqual(texts);
    const labelFiles = readdirSync(join(dir, 'labels')).sort();
    expect(labelFiles).toEqual(texts.map((t) => t.replace(/\.txt$/, '.json')));
    for (const t of texts) {
      const n = Number(/^(\d{2,3})_/.exec(t)?.[1]);
      // 01–26 were written in pairs and split by parity; 27–42 were added to tune, 43–58 (heldout2 in
      // session 6) were moved to tune in session 7, 59–74 form heldout3, 75–90 were added to tune,
      // 91–106 (heldout4 in session 8) were moved to tune in session 9, 107–122 form heldout5,
      // 123–138 (session 10) form heldout6, 139–154 (session 11) heldout7, 155–170 (session 12) heldout8.
      const inHalf =
        half === 'tune'
          ? (n <= 26 && n % 2 === 1) || (n >= 27 && n <= 58) || (n >= 75 && n <= 106)
          : half === 'heldout'
            ? n % 2 === 0 && n <= 26
            : half === 'heldout3'
              ? n >= 59 && n <= 74
              : half === 'heldout5'
                ? n >= 107 && n <= 122
                : half === 'heldout6'
                  ? n >= 123 && n <= 138
                  : half === 'heldout7'
                    ? n >= 139 && n <= 154
                    : n >= 155 && n <= 170;
      expect([t, inHalf]).toEqual([t, true]);
    }
  });

  test.each(gold.map((g) => [g.file, g] as const))('%s: labels anchored in the story, in order; encoding as labelled', (file, g) => {
    const path = join(dir, 'texts', file);
    expect(existsSync(path)).toBe(true);
    const bytes = readFileSync(path);
    const story = decodeAs(bytes, g.encoding);
    const detected = decodeBytes(bytes);
    expect(detected.ok ? detected.encoding : detected.reason).toBe(g.encoding);
    expect(anchorProblems(g, story)).toEqual([]);
    expect(g.utterances.some((u) => u.speaker === 'persona')).toBe(true);
    // 600–2,500 characters of story, not counting whitespace.
    const len = story.replace(/[\s\ufeff]/g, '').length;
    expect(len).toBeGreaterThanOrEqual(600);
    expect(len).toBeLessThanOrEqual(2500);
  });
});

test('the halves are disjoint and together hold ≥ 24 stories in GB18030, UTF-8 and UTF-8 with BOM', () => {
  const all = HALVES.flatMap((h) => loadGold(join(GOLD2, h, 'labels')));
  expect(all.length).toBeGreaterThanOrEqual(24);
  expect(new Set(all.map((g) => g.file.split('_')[0])).size).toBe(all.length);
  expect(new Set(all.map((g) => g.encoding))).toEqual(new Set(['utf-8', 'utf-8-bom', 'gb18030']));
});

describe('anchorProblems', () => {
  const story = '“前辈，早。”她说，“今天也去观测站吗？”\n博士：去。\n';
  const g = (utterances: GoldFile['utterances']): GoldFile => ({ file: 'x.txt', encoding: 'utf-8', utterances });

  test('accepts whole quoted spans and script lines in order', () => {
    expect(
      anchorProblems(
        g([
          { speaker: 'persona', text: '前辈，早。' },
          { speaker: 'persona', text: '今天也去观测站吗？' },
          { speaker: 'doctor', text: '去。' },
        ]),
        story,
      ),
    ).toEqual([]);
  });

  test('rejects a truncated span, a label out of order, a text not in the story and a bad speaker', () => {
    expect(anchorProblems(g([{ speaker: 'persona', text: '前辈，' }]), story)).toHaveLength(1);
    expect(
      anchorProblems(
        g([
          { speaker: 'doctor', text: '去。' },
          { speaker: 'persona', text: '前辈，早。' },
        ]),
        story,
      ),
    ).toHaveLength(1);
    expect(anchorProblems(g([{ speaker: 'persona', text: '晚安。' }]), story)).toHaveLength(1);
    expect(anchorProblems(g([{ speaker: 'her', text: '前辈，早。' }]), story)).toHaveLength(1);
  });

  test('accepts radio lines led by —— or 【名字】 and ASCII-quoted spans, but not a dash or bracket mid-line', () => {
    const radio = '——收到，前辈。\n【博士】记在我账上。\n她说"好。"\n他说——不行。\n注【博士】对。\n';
    const ok = g([
      { speaker: 'persona', text: '收到，前辈。' },
      { speaker: 'doctor', text: '记在我账上。' },
      { speaker: 'persona', text: '好。' },
    ]);
    expect(anchorProblems(ok, radio)).toEqual([]);
    expect(anchorProblems(g([{ speaker: 'doctor', text: '不行。' }]), radio)).toHaveLength(1);
    expect(anchorProblems(g([{ speaker: 'doctor', text: '对。' }]), radio)).toHaveLength(1);
    expect(anchorProblems(g([{ speaker: 'persona', text: '收到' }]), radio)).toHaveLength(1);
  });
});
