// Text → normalized text: LF line ends, no zero-width characters, HTML entities decoded, every
// quotation style turned into “ ” (and ‘ ’ for quotes nested in 「」).

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  hellip: '…',
  mdash: '—',
  ndash: '–',
  ldquo: '“',
  rdquo: '”',
  lsquo: '‘',
  rsquo: '’',
  middot: '·',
  emsp: '\u3000',
  ensp: ' ',
};

function decodeEntity(m: string, body: string): string {
  if (body[0] === '#') {
    const code = body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : m;
  }
  return NAMED_ENTITIES[body] ?? m;
}

/** Pairs ASCII/full-width straight double quotes per line; an odd one out opens (speech continues). */
function pairStraightQuotes(line: string): string {
  let open = true;
  return line.replace(/["＂]/g, () => {
    const q = open ? '“' : '”';
    open = !open;
    return q;
  });
}

/** Every character normalizeText may change: text without any of them is returned as is. */
const TOUCHED_RE = /[\r\ufeff\u200b-\u200d\u2060\u00ad&「『"＂]/;

export function normalizeText(input: string): string {
  if (!TOUCHED_RE.test(input)) return input;
  let s = input;
  if (s.includes('\r')) s = s.replace(/\r\n?/g, '\n');
  s = s.replace(/[\ufeff\u200b-\u200d\u2060\u00ad]/g, '');
  if (s.includes('&')) s = s.replace(/&(#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-z]{2,8});/g, decodeEntity);
  const hasCorner = s.includes('「');
  if (hasCorner) s = s.replace(/「/g, '“').replace(/」/g, '”');
  if (s.includes('『')) s = hasCorner ? s.replace(/『/g, '‘').replace(/』/g, '’') : s.replace(/『/g, '“').replace(/』/g, '”');
  if (s.includes('"') || s.includes('＂')) {
    s = s
      .split('\n')
      .map((l) => (l.includes('"') || l.includes('＂') ? pairStraightQuotes(l) : l))
      .join('\n');
  }
  return s;
}
