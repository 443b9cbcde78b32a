// Bytes → text, with a confidence. Certain: a byte-order mark (UTF-8, UTF-16, UTF-32) or valid
// UTF-8. Otherwise a guess among the legacy encodings fan-fiction comes in (GB18030, Big5,
// Shift-JIS, Windows-1252/Latin-1) and UTF-16 without a BOM: every candidate that decodes without an
// error is scored by the share of its non-ASCII characters that are likely in such a text (common
// Chinese characters and punctuation; kana and common kanji for Shift-JIS; isolated accented
// letters for Latin-1). The best one wins; when it reads badly, or another candidate reads about as
// well, the result carries a warning naming the guess. `extract.encoding` forces an encoding.
// Binary data is refused instead of decoded into garbage.
import { isUtf8, transcode } from 'node:buffer';

export const ENCODINGS = ['utf-8', 'utf-8-bom', 'utf-16le', 'utf-16be', 'utf-32le', 'utf-32be', 'gb18030', 'big5', 'shift_jis', 'windows-1252'] as const;
export type Encoding = (typeof ENCODINGS)[number];

export type Decoded =
  { ok: true; encoding: Encoding; text: string; warning?: string } | { ok: false; reason: 'empty' | 'binary' | 'unknown_encoding'; detail: string };

/** Names `extract.encoding` accepts besides ENCODINGS themselves. */
const ALIASES: Record<string, Encoding> = {
  utf8: 'utf-8',
  'utf-8-sig': 'utf-8-bom',
  utf16le: 'utf-16le',
  utf16be: 'utf-16be',
  utf32le: 'utf-32le',
  utf32be: 'utf-32be',
  gbk: 'gb18030',
  gb2312: 'gb18030',
  cp936: 'gb18030',
  big5hkscs: 'big5',
  'big5-hkscs': 'big5',
  cp950: 'big5',
  sjis: 'shift_jis',
  'shift-jis': 'shift_jis',
  cp932: 'shift_jis',
  latin1: 'windows-1252',
  'latin-1': 'windows-1252',
  'iso-8859-1': 'windows-1252',
  cp1252: 'windows-1252',
};

/** An encoding name as written in pipeline.yaml (any case, aliases allowed) → ours. */
export function encodingNamed(label: string): Encoding | undefined {
  const l = label.trim().toLowerCase();
  return (ENCODINGS as readonly string[]).includes(l) ? (l as Encoding) : ALIASES[l];
}

const LEGACY = ['gb18030', 'big5', 'shift_jis', 'windows-1252'] as const;
type Legacy = (typeof LEGACY)[number];

/** Below this share of likely characters a decoding "reads badly". */
const PLAUSIBLE = 0.8;
/** A runner-up within this much of the best share reads "about as well". */
const CLOSE = 0.1;

function looksBinary(buf: Uint8Array): boolean {
  const n = Math.min(buf.length, 8192);
  let ctrl = 0;
  for (let i = 0; i < n; i++) {
    const b = buf[i]!;
    if (b === 0) return true;
    if (b < 0x20 && b !== 9 && b !== 10 && b !== 13 && b !== 12 && b !== 27) ctrl++;
  }
  return ctrl > n * 0.02;
}

/** Control characters other than tab, LF, FF, CR and ESC. */
// eslint-disable-next-line no-control-regex -- control bytes are what it looks for
const CONTROL_RE = /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/;

/** Windows-1252's 0x80–0x9F (Node's decoder for it is plain ISO-8859-1 there). */
const CP1252_HIGH =
  '\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178';

function tryDecode(encoding: string, bytes: Uint8Array): string | undefined {
  if (encoding === 'windows-1252')
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      .toString('latin1')
      .replace(/[\x80-\x9f]/g, (c) => CP1252_HIGH[c.charCodeAt(0) - 0x80]!);
  try {
    return new TextDecoder(encoding, { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** UTF-32 (no decoder in the platform): undefined when a unit is not a Unicode scalar value. */
function decodeUtf32(b: Uint8Array, le: boolean): string | undefined {
  if (b.length % 4 !== 0) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const parts: string[] = [];
  const cps: number[] = [];
  for (let i = 0; i < b.length; i += 4) {
    const cp = view.getUint32(i, le);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    cps.push(cp);
    if (cps.length === 8192) parts.push(String.fromCodePoint(...cps.splice(0)));
  }
  parts.push(String.fromCodePoint(...cps));
  return parts.join('');
}

/** Every character the two-byte codes [from, to] of `encoding` decode to (undefined codes skipped). */
function charsOf(encoding: string, from: number, to: number, trail: (t: number) => boolean): string {
  const bytes: number[] = [];
  for (let c = from; c <= to; c++) if (trail(c & 0xff)) bytes.push(c >> 8, c & 0xff);
  return new TextDecoder(encoding).decode(new Uint8Array(bytes)).replace(/\ufffd/g, '');
}

/** Punctuation of Chinese and Japanese prose (besides the full-width forms U+FF01–FF5E). */
const CJK_PUNCT = '\u3000、。〃々〆〇〈〉《》「」『』【】〔〕〖〗〜〝〞“”‘’…—–·・～';

let likelySets: { chinese: Set<number>; japanese: Set<number> } | undefined;
/**
 * Common characters: GB2312 level 1 (3,755 simplified) and Big5 level 1 (5,401 traditional) for
 * Chinese; JIS level 1 kanji and kana for Japanese; CJK punctuation for both. Read from the
 * platform's own decoders, so no list is kept here.
 */
function likely(): { chinese: Set<number>; japanese: Set<number> } {
  if (likelySets) return likelySets;
  const punct = [...CJK_PUNCT].map((c) => c.codePointAt(0)!);
  for (let c = 0xff01; c <= 0xff5e; c++) punct.push(c);
  const cps = (s: string) => [...s].map((c) => c.codePointAt(0)!);
  const gb2312 = charsOf('gb18030', 0xb0a1, 0xd7fe, (t) => t >= 0xa1 && t <= 0xfe);
  const big5 = charsOf('big5', 0xa440, 0xc67e, (t) => (t >= 0x40 && t <= 0x7e) || (t >= 0xa1 && t <= 0xfe));
  const jis = charsOf('shift_jis', 0x889f, 0x9872, (t) => t >= 0x40 && t <= 0xfc && t !== 0x7f);
  const kana: number[] = [];
  for (let c = 0x3041; c <= 0x30ff; c++) kana.push(c);
  likelySets = { chinese: new Set([...punct, ...cps(gb2312), ...cps(big5)]), japanese: new Set([...punct, ...cps(jis), ...kana]) };
  return likelySets;
}

/** Accented letters and typographic punctuation of Western European text. */
function latinLikely(c: number): boolean {
  return (c >= 0xc0 && c <= 0xff && c !== 0xd7 && c !== 0xf7) || 'ŒœŠšŽžŸ“”‘’‚„–—…•€«»°·™'.includes(String.fromCharCode(c));
}

/** Share of the non-ASCII characters of `text` that are likely for `kind` (1 when there are none). */
export function likelyShare(text: string, kind: 'chinese' | 'japanese' | 'latin'): number {
  const set = kind === 'latin' ? undefined : likely()[kind];
  let total = 0;
  let good = 0;
  let prevAscii = true;
  for (const ch of text) {
    const c = ch.codePointAt(0)!;
    if (c < 0x80) {
      prevAscii = true;
      continue;
    }
    total++;
    // Latin-1 text has its accented letters one at a time between ASCII letters; CJK bytes read
    // as Latin-1 come in runs.
    if (set ? set.has(c) : prevAscii && latinLikely(c)) good++;
    prevAscii = false;
  }
  return total === 0 ? 1 : good / total;
}

const KIND: Record<Legacy | 'utf-16le' | 'utf-16be', 'chinese' | 'japanese' | 'latin'> = {
  gb18030: 'chinese',
  big5: 'chinese',
  shift_jis: 'japanese',
  'windows-1252': 'latin',
  'utf-16le': 'chinese',
  'utf-16be': 'chinese',
};

const pct = (x: number) => `${Math.round(x * 100)}%`;
const FORCE_HINT = 'set extract.encoding in pipeline.yaml to force one';

/** UTF-16 without a BOM: NUL bytes (the high bytes of ASCII) all on one side of each pair. */
function utf16WithoutBom(buf: Uint8Array): Decoded | undefined {
  if (buf.length % 2 !== 0) return undefined;
  const n = Math.min(buf.length, 8192);
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i++) {
    if (buf[i] !== 0) continue;
    if (i % 2) odd++;
    else even++;
  }
  const nul = even + odd;
  if (nul < n * 0.01 || Math.min(even, odd) > nul * 0.02) return undefined;
  const encoding = odd > even ? 'utf-16le' : 'utf-16be';
  const text = tryDecode(encoding, buf);
  if (text === undefined || CONTROL_RE.test(text)) return undefined;
  const share = likelyShare(text, KIND[encoding]);
  if (share < 0.5) return undefined;
  return {
    ok: true,
    encoding,
    text,
    warning: `no byte-order mark: guessed ${encoding} (${pct(share)} of its non-ASCII characters are common Chinese characters or punctuation); ${FORCE_HINT}`,
  };
}

/** The best legacy decoding of `buf`, with a warning when it is not clearly right. */
function guessLegacy(buf: Uint8Array): Decoded {
  const scored: Array<{ encoding: Legacy; text: string; share: number }> = [];
  for (const encoding of LEGACY) {
    const text = tryDecode(encoding, buf);
    if (text !== undefined) scored.push({ encoding, text, share: likelyShare(text, KIND[encoding]) });
  }
  if (scored.length === 0) return { ok: false, reason: 'unknown_encoding', detail: `neither UTF-8, UTF-16/32 (with BOM) nor ${LEGACY.join(', ')}` };
  // Stable sort: on a tie the earlier candidate (GB18030 first) wins.
  scored.sort((a, b) => b.share - a.share);
  const [best, next] = scored as [(typeof scored)[number], (typeof scored)[number] | undefined];
  const described = (s: (typeof scored)[number]) =>
    `${pct(s.share)} ${KIND[s.encoding] === 'latin' ? 'plausible Latin-1 characters' : `common ${KIND[s.encoding] === 'chinese' ? 'Chinese' : 'Japanese'} characters or punctuation`}`;
  let warning: string | undefined;
  if (best.share < PLAUSIBLE) {
    warning = `decoded as ${best.encoding} (best guess), but only ${described(best)} among its non-ASCII characters: likely a wrong encoding; ${FORCE_HINT}`;
  } else if (next && next.share >= PLAUSIBLE && best.share - next.share <= CLOSE) {
    warning = `decoded as ${best.encoding} (best guess, ${described(best)}); the bytes are also valid ${next.encoding} and read about as well (${described(next)}); ${FORCE_HINT}`;
  }
  return { ok: true, encoding: best.encoding, text: best.text, ...(warning ? { warning } : {}) };
}

/** Decoding in an encoding the user named: the BOM is dropped, invalid bytes skip the file. */
function decodeForced(buf: Uint8Array, forced: Encoding): Decoded {
  const bom = (...b: number[]) => b.every((x, i) => buf[i] === x);
  let encoding = forced;
  let body = buf;
  if ((forced === 'utf-8' || forced === 'utf-8-bom') && bom(0xef, 0xbb, 0xbf)) {
    encoding = 'utf-8-bom';
    body = buf.subarray(3);
  } else if (forced === 'utf-8-bom') encoding = 'utf-8';
  else if ((forced === 'utf-16le' && bom(0xff, 0xfe)) || (forced === 'utf-16be' && bom(0xfe, 0xff))) body = buf.subarray(2);
  else if ((forced === 'utf-32le' && bom(0xff, 0xfe, 0, 0)) || (forced === 'utf-32be' && bom(0, 0, 0xfe, 0xff))) body = buf.subarray(4);
  const text =
    encoding === 'utf-32le' || encoding === 'utf-32be'
      ? decodeUtf32(body, encoding === 'utf-32le')
      : tryDecode(encoding === 'utf-8-bom' ? 'utf-8' : encoding, body);
  if (text === undefined) return { ok: false, reason: 'unknown_encoding', detail: `not valid ${forced} (forced by extract.encoding)` };
  return { ok: true, encoding, text };
}

/**
 * Valid UTF-8 → its text. Through UTF-16 (ICU's converter, then a plain copy): the same string as
 * `toString('utf8')`, about 5× faster on Chinese text in Node 20 (a little slower on pure ASCII,
 * which is fast either way). Node built without ICU has no transcode: the plain decoder then.
 */
function utf8Text(buf: Uint8Array): string {
  if (typeof transcode !== 'function') return Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
  return transcode(buf, 'utf8', 'ucs2').toString('ucs2');
}

export function decodeBytes(buf: Uint8Array, forced?: Encoding): Decoded {
  if (buf.length === 0) return { ok: false, reason: 'empty', detail: 'the file is empty' };
  if (forced) return decodeForced(buf, forced);
  const b0 = buf[0];
  const b1 = buf[1];
  // UTF-32 first: its little-endian BOM starts with UTF-16LE's.
  if ((b0 === 0xff && b1 === 0xfe && buf[2] === 0 && buf[3] === 0) || (b0 === 0 && b1 === 0 && buf[2] === 0xfe && buf[3] === 0xff)) {
    const le = b0 === 0xff;
    const text = decodeUtf32(buf.subarray(4), le);
    if (text !== undefined) return { ok: true, encoding: le ? 'utf-32le' : 'utf-32be', text };
    if (!le) return { ok: false, reason: 'unknown_encoding', detail: 'starts with a UTF-32 BOM but is not valid UTF-32' };
    // FF FE 00 00 is also UTF-16LE's BOM followed by a NUL: let UTF-16 have a go.
  }
  if (b0 === 0xef && b1 === 0xbb && buf[2] === 0xbf) {
    const text = tryDecode('utf-8', buf.subarray(3));
    if (text !== undefined) return { ok: true, encoding: 'utf-8-bom', text };
    return { ok: false, reason: 'unknown_encoding', detail: 'starts with a UTF-8 BOM but is not valid UTF-8' };
  }
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    const encoding = b0 === 0xff ? 'utf-16le' : 'utf-16be';
    const text = tryDecode(encoding, buf.subarray(2));
    if (text !== undefined) return { ok: true, encoding, text };
    return { ok: false, reason: 'unknown_encoding', detail: 'starts with a UTF-16 BOM but is not valid UTF-16' };
  }
  if (looksBinary(buf)) return utf16WithoutBom(buf) ?? { ok: false, reason: 'binary', detail: 'contains NUL or control bytes: not a text file' };
  if (isUtf8(buf)) return { ok: true, encoding: 'utf-8', text: utf8Text(buf) };
  return guessLegacy(buf);
}
