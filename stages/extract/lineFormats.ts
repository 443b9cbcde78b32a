// Line formats of radio and chat transcripts that carry no quote marks: a line led by a dash
// (`——收到。`), a line led by a bracketed name (`【阿米娅】收到。`), and a chat header
// `【名字】18:02` whose message is on the lines below it. Each is recognised only where the file
// uses it as a format (several such lines), so a stray dash or bracket in prose stays prose.
import { isSpace } from './chars.js';
import type { NameIndex } from './names.js';
import { SPEECH_VERB_RE } from './lexicon.js';

/** `——text`: a dialogue line led by a dash (two or more dash characters), no quote marks in it. */
const DASH_LINE_RE = /^[—―─]{2,}\s*([^—―─\s“”].*)$/;
/** `【名字】text`: a line led by a bracketed speaker name. */
const BRACKET_LINE_RE = /^【([^\s【】“”：:，。！？,.!?（）()]{1,12})】\s*(.*)$/;
/** `【名字】18:02` / `[名字] 18:02`: a chat header, the message below it. */
const BRACKET_HEADER_RE = /^[【[［]([^\s【】[\]［］“”：:，。！？,.!?（）()]{1,12})[】\]］]\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?$/;
/** A line that is no chat message (a system line, a stage direction, a bracketed note). */
const NOT_MESSAGE_RE = /^[〔［[【（(<《]/;
/** Bracketed labels that are no speaker. */
const NON_SPEAKER_RE = /^(?:旁白|系统|公告|提示|通知|注|注释|备注|附言|场景|地点|时间|日期|人物|标题|天气|署名|作者|广告|频道|消息)$/;

/** How many lines of a file must use a format before it counts as one. */
const MIN_LINES = 3;

export interface LineFormats {
  /** The file writes dialogue as dash-led lines. */
  dash: boolean;
  /** How many `【名字】text` lines each name leads. */
  bracketNames: Map<string, number>;
  /** How many `【名字】HH:MM` headers each name leads. */
  headerNames: Map<string, number>;
}

/** What the file uses (one pass over its lines; lines over 400 characters are prose). */
export function scanLineFormats(lines: readonly string[]): LineFormats {
  let dashes = 0;
  // (Dialogue comes in exchanges: some dash line must follow another, blank lines aside.)
  let exchange = false;
  let prevDash = false;
  const bracketNames = new Map<string, number>();
  const headerNames = new Map<string, number>();
  for (const raw of lines) {
    // (Most lines are prose: only one led by a dash or a bracket is trimmed and matched.)
    let a = 0;
    while (a < raw.length && isSpace(raw.charCodeAt(a))) a++;
    if (a === raw.length) continue;
    const c = raw.charCodeAt(a);
    const lead = c === 0x2014 || c === 0x2015 || c === 0x2500;
    if (!lead && c !== 0x3010 && c !== 0x5b && c !== 0xff3b) {
      prevDash = false;
      continue;
    }
    const l = raw.trim();
    const dash = lead && l.length <= 400 && DASH_LINE_RE.test(l) && !l.includes('“');
    if (dash) {
      dashes++;
      if (prevDash) exchange = true;
    }
    prevDash = dash;
    if (lead || l.length < 3 || l.length > 400) continue;
    const h = BRACKET_HEADER_RE.exec(l);
    if (h) headerNames.set(h[1]!, (headerNames.get(h[1]!) ?? 0) + 1);
    else {
      const m = BRACKET_LINE_RE.exec(l);
      if (m && m[2]) bracketNames.set(m[1]!, (bracketNames.get(m[1]!) ?? 0) + 1);
    }
  }
  return { dash: dashes >= MIN_LINES && exchange, bracketNames, headerNames };
}

/** The spoken text of a dash-led line, in a file that writes dialogue so. */
export function dashLine(line: string, f: LineFormats): string | undefined {
  if (!f.dash || line.includes('“')) return undefined;
  const m = DASH_LINE_RE.exec(line);
  return m ? m[1]!.trim() : undefined;
}

/** A name known to the config, or one the format itself uses often enough to be a speaker. */
const speakerName = (name: string, uses: number, names: NameIndex, total: number) =>
  !NON_SPEAKER_RE.test(name) && (names.lookupExact(name) !== undefined || (uses >= 2 && total >= MIN_LINES));

const sum = (m: ReadonlyMap<string, number>) => {
  let n = 0;
  for (const v of m.values()) n += v;
  return n;
};

/** `【名字】text`: the speaker's name and the text. */
export function bracketLine(line: string, f: LineFormats, names: NameIndex): { name: string; body: string } | undefined {
  if (!f.bracketNames.size || line.charCodeAt(0) !== 0x3010) return undefined;
  const m = BRACKET_LINE_RE.exec(line);
  if (!m || !m[2]) return undefined;
  const name = m[1]!;
  if (!speakerName(name, f.bracketNames.get(name) ?? 0, names, sum(f.bracketNames))) return undefined;
  return { name, body: m[2].trim() };
}

/** `【名字】18:02`: the name of the chat header, if the line is one. */
export function bracketHeader(line: string, f: LineFormats, names: NameIndex): string | undefined {
  if (!f.headerNames.size) return undefined;
  const m = BRACKET_HEADER_RE.exec(line);
  if (!m) return undefined;
  const name = m[1]!;
  return speakerName(name, f.headerNames.get(name) ?? 0, names, sum(f.headerNames)) ? name : undefined;
}

/**
 * The message lines under a chat header at `lines[from]`: the non-blank lines up to the next
 * header, blank line, system line or line holding a quote mark; more than 4: only the first
 * (the rest is prose).
 */
export function messageLines(lines: readonly string[], from: number): string[] {
  const out: string[] = [];
  for (let k = from; k < lines.length; k++) {
    const l = lines[k]!.trim();
    if (l === '' || NOT_MESSAGE_RE.test(l) || BRACKET_HEADER_RE.test(l)) return out;
    if (l.includes('“') || l.includes('”')) return out;
    if (out.length === 4) return out.slice(0, 1);
    out.push(l);
  }
  return out;
}

/**
 * `名字“台词”` / `名字（小声）“台词”`: a script line that sets the speaker's name right before a
 * quote filling the rest of the line (「」 are “” after normalizing). The name holds no pronoun and
 * no speech verb (`她说“…”` is prose).
 */
const QUOTE_SCRIPT_RE = /^([^\s“”‘’：:，。！？,.!?（）()[\]【】<>《》—…]{1,8})([（(][^）)]{0,12}[）)])?“([^“”]*)”$/;
const NOT_A_NAME_RE = /[她他我你它们的了着]/;

/** How many `名字“台词”` lines each name leads (a file uses the shape when some name leads several). */
export function scanQuoteScript(lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const raw of lines) {
    // (Cheap test first: the trimmed line ends with ” and opens a quote within its first 24 characters.)
    let b = raw.length;
    while (b > 0 && isSpace(raw.charCodeAt(b - 1))) b--;
    if (b < 4 || raw.charCodeAt(b - 1) !== 0x201d) continue;
    const o = raw.indexOf('“');
    if (o < 0 || o > 24) continue;
    const m = QUOTE_SCRIPT_RE.exec(raw.trim());
    if (!m || NOT_A_NAME_RE.test(m[1]!) || SPEECH_VERB_RE.test(m[1]!)) continue;
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + 1);
  }
  return out;
}

/**
 * A `名字“台词”` line of a file written so (MIN_LINES such lines in all, the name known or leading
 * two of them): the name, the bracketed direction if any, and the text.
 */
export function quoteScriptLine(
  line: string,
  counts: ReadonlyMap<string, number>,
  names: NameIndex,
): { name: string; direction: string; body: string } | undefined {
  if (counts.size === 0 || line.charCodeAt(line.length - 1) !== 0x201d) return undefined;
  const m = QUOTE_SCRIPT_RE.exec(line);
  if (!m) return undefined;
  const name = m[1]!;
  const uses = counts.get(name) ?? 0;
  if (!uses || sum(counts) < MIN_LINES || NON_SPEAKER_RE.test(name)) return undefined;
  if (names.lookupExact(name) === undefined && uses < 2) return undefined;
  return { name, direction: m[2] ?? '', body: m[3]!.trim() };
}

/** `“回复 名字：…”`: a chat app's quote of an earlier message, shown above the reply. */
const REPLY_QUOTE_RE = /^“回复\s*[^\s“”：:]{1,12}\s*[：:][^“”]*”$/;
export const isReplyQuote = (line: string) => REPLY_QUOTE_RE.test(line);

/** A chat message that is only stickers or attachments (`[表情]`, `[图片]`): no words said. */
const WORDLESS_RE = /^(?:[[［][^\][［］]{1,8}[\]］]\s*)+$/;
export const isWordlessMessage = (line: string) => WORDLESS_RE.test(line);
