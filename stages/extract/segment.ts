// Normalized text → scenes of paragraphs made of narration and quotes. Handles speech that runs
// over several paragraphs (each opens “, only the last closes), quotes broken over lines,
// `Name：text` script lines, and tells thoughts, terms and written text apart from speech.
import { NOISE_LINE_RE, SCENE_BREAK_RE, SPEECH_VERB_RE } from './lexicon.js';
import { bracketHeader, bracketLine, dashLine, messageLines, scanLineFormats } from './lineFormats.js';
import { isReplyQuote, isWordlessMessage, quoteScriptLine, scanQuoteScript } from './lineFormats.js';
import { classifyQuote, colonIntro, unsaidLine } from './quoteKind.js';
import { isSpace } from './chars.js';
import type { NameIndex } from './names.js';
import type { Paragraph, Scene, Segmented, Utterance, Warning } from './types.js';

export interface SegmentOptions {
  maxParagraphChars: number;
  names: NameIndex;
}

/** An open quote may span at most this many lines / characters before it counts as unclosed. */
const MAX_OPEN_LINES = 30;
const MAX_OPEN_CHARS = 3000;
const MAX_WARNINGS = 50;

const SCRIPT_LINE_RE = /^([^\s“”‘’：:，。！？,.!?（）()[\]【】]{1,12})([（(][^）)]{0,12}[）)])?\s*[：:]\s*(.+)$/;
/** A chat timestamp before a script line: `[21:47] 名字：…`, `21:47 名字：…`, `21:47｜名字：…`. */
const TIMESTAMP_PREFIX_RE = /^[[［【(（]?\d{1,2}[:：]\d{2}(?:[:：]\d{2})?[\]］】)）]?\s*(?:[｜|丨]\s*)?/;
/** A chat header line: a name and a time, the message on the next line (`艾雅法拉 21:47`). */
const CHAT_HEADER_RE = /^([^\s“”‘’：:，。！？,.!?（）()[\]【】\d]{1,12})\s*[[［【(（]?\d{1,2}[:：]\d{2}(?:[:：]\d{2})?[\]］】)）]?$/;
/** Script labels that are not speakers: narration, notes, headings. */
const NON_SPEAKER_LABEL_RE = /^(?:旁白|附言|附注|备注|注释?|批注|留言|场景|地点|时间|日期|人物|标题|天气|系统|公告|提示|署名|作者|PS|ps|P\.S\.)$/;
/** `名字（内心）：` and the like: the line is a thought. */
const THOUGHT_LABEL_RE = /内心|心声|心想|独白|OS|os|想/;
const STAGE_DIRECTION_RE = /[（(][^）)]{0,40}[）)]/g;
const PUNCT_ONLY_RE = /^[\s，,。.！!？?…—\-～~、；;：:]*$/;

function trimLine(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isSpace(s.charCodeAt(a))) a++;
  while (b > a && isSpace(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isBlank(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (!isSpace(s.charCodeAt(i))) return false;
  return true;
}

/** NOISE_LINE_RE can only match lines that start with one of these or hold 未完待续 / to be continued. */
const NOISE_FIRST = new Uint8Array(0x10000);
for (const ch of '本上下正作pPcC') NOISE_FIRST[ch.charCodeAt(0)] = 1;
const TO_BE_CONTINUED_RE = /to be continued/i;
const NOISE_ANYWHERE_RE = /未完待续|to be continued/i;
/** Whether some line of `text` may hold 未完待续 / to be continued (checked once per file). */
function mayHoldNoiseAnywhere(text: string): boolean {
  return NOISE_ANYWHERE_RE.test(text);
}
function mayBeNoise(line: string, anywhere: boolean): boolean {
  return NOISE_FIRST[line.charCodeAt(0)] === 1 || (anywhere && (line.includes('未完待续') || TO_BE_CONTINUED_RE.test(line)));
}

/**
 * SCENE_BREAK_RE can only match a (trimmed) line starting with a separator character, 第, a
 * digit, c/p (chapter/part) or 序/楔/尾/番.
 */
const SCENE_FIRST = new Uint8Array(0x10000);
for (const ch of '-—=*＊~～_#＃·•第cCpP序楔尾番0123456789０１２３４５６７８９') SCENE_FIRST[ch.charCodeAt(0)] = 1;
const mayBeSceneBreak = (line: string) => SCENE_FIRST[line.charCodeAt(0)] === 1;

/** `Name：text` needs a colon: skip the script-line regex for lines without one. */
const hasColon = (s: string) => s.includes('：') || s.includes(':');

/** The line without a leading chat timestamp (only lines that may hold one are tested). */
function stripTimestamp(t: string): string {
  const c = t.charCodeAt(0);
  if (!(c === 0x5b || c === 0xff3b || c === 0x3010 || c === 0x28 || c === 0xff08 || (c >= 0x30 && c <= 0x39))) return t;
  const m = TIMESTAMP_PREFIX_RE.exec(t);
  return m && m[0].length < t.length ? t.slice(m[0].length) : t;
}

/**
 * Share of the first `limit` lines that look like `Name：text`: script-style files treat unknown
 * names as speakers. Keeps in `scriptMatch` the SCRIPT_LINE_RE match of each of those lines
 * (trimmed, timestamp stripped), for the segmenter to use instead of matching again.
 */
function isScriptStyle(text: string, lines: string[], limit: number, scriptMatch: Array<RegExpExecArray | undefined>): boolean {
  let hits = 0;
  let total = 0;
  // The next full-width and ASCII colon at or after the current line's start (Infinity: none):
  // two forward scans of the whole text instead of two per line. lines = text.split('\n').
  const next = (ch: string, from: number) => {
    const k = text.indexOf(ch, from);
    return k < 0 ? Infinity : k;
  };
  let full = next('：', 0);
  let ascii = next(':', 0);
  let start = 0;
  for (let i = 0; i < limit; i++) {
    const l = lines[i]!;
    const end = start + l.length;
    if (full < start) full = next('：', start);
    if (ascii < start) ascii = next(':', start);
    const lineHasColon = full < end || ascii < end;
    start = end + 1;
    if (!lineHasColon) {
      if (!isBlank(l)) total++;
      continue;
    }
    const t = stripTimestamp(trimLine(l));
    if (!t) continue;
    total++;
    const m = SCRIPT_LINE_RE.exec(t);
    if (m) {
      hits++;
      scriptMatch[i] = m;
    }
  }
  return hits >= 8 && hits >= total * 0.4;
}

/** Whether a quote left open at the end of line i-1 is closed within the next few lines. */
function closesSoon(lines: string[], i: number): boolean {
  for (let k = i; k < lines.length && k < i + 6; k++) {
    const l = lines[k]!;
    if (isBlank(l)) return false;
    const close = l.indexOf('”');
    const reopen = l.indexOf('“');
    if (reopen >= 0 && (close < 0 || reopen < close)) return false;
    if (close >= 0) return true;
  }
  return false;
}

export function segmentText(text: string, opts: SegmentOptions): Segmented {
  const lines = text.split('\n');
  const noiseAnywhere = mayHoldNoiseAnywhere(text);
  // The SCRIPT_LINE_RE match of each line that has one, for the lines isScriptStyle reads (the
  // rest are checked as they come).
  const scanned = Math.min(lines.length, 4000);
  const scriptMatch = new Array<RegExpExecArray | undefined>(scanned);
  const scriptStyle = isScriptStyle(text, lines, scanned, scriptMatch);
  // Radio and chat lines without quote marks (lineFormats.ts), where the file writes them so.
  const formats = scanLineFormats(lines);
  const quoteScript = scanQuoteScript(lines);
  // How many chat header lines (`名字 21:47`) name each speaker (counted on first use).
  let headerCounts: Map<string, number> | undefined;
  const chatHeaders = (name: string): number => {
    if (!headerCounts) {
      headerCounts = new Map();
      for (const l of lines) {
        if (l.length > 30) continue;
        const hm = CHAT_HEADER_RE.exec(trimLine(l));
        if (hm) headerCounts.set(hm[1]!, (headerCounts.get(hm[1]!) ?? 0) + 1);
      }
    }
    return headerCounts.get(name) ?? 0;
  };
  const scenes: Scene[] = [];
  const utterances: Utterance[] = [];
  const warnings: Warning[] = [];
  let longParagraphs = 0;
  let unclosedQuotes = 0;
  const warn = (line: number, reason: string) => {
    if (warnings.length < MAX_WARNINGS) warnings.push({ line, reason });
  };

  let scene: Scene = { paragraphs: [] };
  const endScene = () => {
    if (scene.paragraphs.length) scenes.push(scene);
    scene = { paragraphs: [] };
  };

  // The quote being read: its text parts and where it started.
  let open: { parts: string[]; line: number; startIdx: number; para: Paragraph; chars: number } | null = null;
  let para: Paragraph | null = null;
  const pendingQuotes: Array<{ utt: Utterance; segIdx: number; para: Paragraph }> = [];

  const finishParagraph = () => {
    if (!para) return;
    // Classify the quotes of the paragraph now that the narration on both sides is known.
    for (const q of pendingQuotes) {
      const segs = q.para.segments;
      // (Bounds checked: reading index -1 or past the end takes a slow generic lookup.)
      const before = q.segIdx > 0 ? segs[q.segIdx - 1] : undefined;
      const after = q.segIdx + 1 < segs.length ? segs[q.segIdx + 1] : undefined;
      // (A quote opening its paragraph after one that ends in a colon, `白板上写着：`, is introduced by it.)
      const pre = before && before.kind === 'narr' ? before.text : q.segIdx === 0 ? colonIntro(scene.paragraphs.at(-1)) : '';
      const post = after && after.kind === 'narr' ? after.text : '';
      q.utt.kind = q.para.scriptName !== undefined ? (q.para.scriptThought ? 'thought' : 'speech') : classifyQuote(q.utt.text, pre, post);
    }
    pendingQuotes.length = 0;
    if (para.segments.length) scene.paragraphs.push(para);
    para = null;
  };

  const newUtterance = (p: Paragraph, textParts: string[], line: number) => {
    const u: Utterance = {
      id: utterances.length,
      text:
        textParts.length === 1
          ? trimLine(textParts[0]!)
          : textParts
              .map((t) => trimLine(t))
              .filter((t) => t !== '')
              .join('\n'),
      line,
      scene: scenes.length,
      para: scene.paragraphs.length,
      kind: 'speech',
      speaker: null,
    };
    if (u.text === '') return;
    utterances.push(u);
    p.segments.push({ kind: 'quote', utt: u.id });
    pendingQuotes.push({ utt: u, segIdx: p.segments.length - 1, para: p });
  };

  let i = 0;
  while (i < lines.length) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    if (raw.length > opts.maxParagraphChars) {
      longParagraphs++;
      warn(lineNo, `paragraph of ${raw.length} characters is longer than max_paragraph_chars; skipped`);
      if (open) {
        unclosedQuotes++;
        warn(open.line, 'unclosed quote; dropped');
        open = null;
      }
      finishParagraph();
      i++;
      continue;
    }
    let line = trimLine(raw);

    if (open) {
      if (line === '') {
        i++;
        continue;
      }
      if (line.startsWith('“')) {
        // Speech continued in a new paragraph.
        line = line.slice(1);
      } else {
        if (!closesSoon(lines, i)) {
          // Not a quote broken over lines: the quote was never closed. Drop it and read this
          // line again as ordinary text.
          unclosedQuotes++;
          warn(open.line, 'unclosed quote; dropped');
          open = null;
          continue;
        }
      }
    } else {
      if (line === '') {
        finishParagraph();
        i++;
        continue;
      }
      if (mayBeSceneBreak(line) && SCENE_BREAK_RE.test(line)) {
        finishParagraph();
        endScene();
        i++;
        continue;
      }
      if (mayBeNoise(line, noiseAnywhere) && NOISE_LINE_RE.test(line)) {
        i++;
        continue;
      }
      finishParagraph();
      para = { line: lineNo, segments: [] };
      const m = i < scanned ? scriptMatch[i] : hasColon(line) ? SCRIPT_LINE_RE.exec(stripTimestamp(line)) : null;
      if (m) {
        const name = m[1]!;
        const known = opts.names.lookupExact(name) !== undefined || name === '我';
        const plausibleUnknown = scriptStyle && !opts.names.containsAny(name) && !SPEECH_VERB_RE.test(name.slice(-1));
        // (`旁白：` / `附言：`: narration or written text, never a speaker.)
        // (In prose, a `名字：` line after `白板上写着：` or `她心想：` is the writing or the thought: quoteKind.ts.)
        const unsaid = !scriptStyle && unsaidLine(m[3]!, colonIntro(scene.paragraphs.at(-1)));
        if (unsaid || NON_SPEAKER_LABEL_RE.test(name)) {
          para.segments.push({ kind: 'narr', text: unsaid ? line : m[3]! });
          finishParagraph();
          i++;
          continue;
        }
        if (known || plausibleUnknown) {
          let body = m[3]!.replace(STAGE_DIRECTION_RE, '').trim();
          if (body.startsWith('“') && body.endsWith('”') && body.indexOf('”') === body.length - 1) body = body.slice(1, -1);
          para.scriptName = name;
          if (m[2] && THOUGHT_LABEL_RE.test(m[2])) para.scriptThought = true;
          if (!PUNCT_ONLY_RE.test(body)) newUtterance(para, [body], lineNo);
          finishParagraph();
          i++;
          continue;
        }
      }
      // A chat header (`【名字】18:02`) whose message is on the lines below: one paragraph each.
      const bh = bracketHeader(line, formats, opts.names);
      const msgs = bh !== undefined ? messageLines(lines, i + 1) : [];
      if (bh !== undefined && msgs.length) {
        for (let k = 0; k < msgs.length; k++) {
          finishParagraph();
          para = { line: lineNo + 1 + k, segments: [], scriptName: bh };
          newUtterance(para, [msgs[k]!], lineNo + 1 + k);
        }
        finishParagraph();
        i += 1 + msgs.length;
        continue;
      }
      // A radio line led by a name (`【阿米娅】收到。`) or by a dash (`——收到。`, a bare line).
      const bl = bracketLine(line, formats, opts.names);
      const dl = bl ? undefined : dashLine(line, formats);
      if (bl || dl !== undefined) {
        const body = bl ? bl.body : dl!;
        if (bl) para.scriptName = bl.name;
        if (!PUNCT_ONLY_RE.test(body) || !bl) newUtterance(para, [body], lineNo);
        finishParagraph();
        i++;
        continue;
      }
      // A chat header (`名字 21:47`) whose message is the next line.
      const h = line.length <= 24 && hasColon(line) && !line.includes('“') ? CHAT_HEADER_RE.exec(line) : null;
      if (h && i + 1 < lines.length && (opts.names.lookupExact(h[1]!) !== undefined || chatHeaders(h[1]!) >= 2)) {
        // (A `“回复 名字：…”` line above the message quotes an earlier one; a sticker says nothing.)
        const skip = isReplyQuote(trimLine(lines[i + 1]!)) && i + 2 < lines.length ? 1 : 0;
        const body = trimLine(lines[i + 1 + skip]!);
        if (body !== '' && !CHAT_HEADER_RE.test(body)) {
          para.scriptName = h[1]!;
          if (!isWordlessMessage(body)) newUtterance(para, [body], lineNo + 1 + skip);
          finishParagraph();
          i += 2 + skip;
          continue;
        }
      }
      // A script line `名字“台词”` / `名字（小声）“台词”`, where the file writes dialogue so.
      const ql = quoteScript.size ? quoteScriptLine(line, quoteScript, opts.names) : undefined;
      if (ql) {
        para.scriptName = ql.name;
        if (THOUGHT_LABEL_RE.test(ql.direction)) para.scriptThought = true;
        if (!PUNCT_ONLY_RE.test(ql.body) || ql.body.includes('…')) newUtterance(para, [ql.body], lineNo);
        finishParagraph();
        i++;
        continue;
      }
    }

    // Scan the line for quotes.
    const p: Paragraph = open ? open.para : para!;
    let pos = 0;
    while (pos < line.length) {
      if (open) {
        const close = line.indexOf('”', pos);
        const reopen = line.indexOf('“', pos);
        if (reopen >= 0 && (close < 0 || reopen < close)) {
          unclosedQuotes++;
          warn(open.line, 'unclosed quote; dropped');
          open = null;
          pos = reopen;
          continue;
        }
        if (close < 0) {
          open.parts.push(line.slice(pos));
          open.chars += line.length - pos;
          pos = line.length;
          break;
        }
        open.parts.push(line.slice(pos, close));
        newUtterance(open.para, open.parts, open.line);
        open = null;
        pos = close + 1;
        continue;
      }
      const o = line.indexOf('“', pos);
      if (o < 0) {
        const rest = line.slice(pos);
        if (rest) p.segments.push({ kind: 'narr', text: rest });
        break;
      }
      if (o > pos) p.segments.push({ kind: 'narr', text: line.slice(pos, o) });
      open = { parts: [], line: lineNo, startIdx: i, para: p, chars: 0 };
      pos = o + 1;
    }
    if (open && (i - open.startIdx >= MAX_OPEN_LINES || open.chars > MAX_OPEN_CHARS)) {
      unclosedQuotes++;
      warn(open.line, 'unclosed quote; dropped');
      const restart = open.startIdx + 1;
      open = null;
      finishParagraph();
      i = restart;
      continue;
    }
    i++;
  }
  if (open) {
    unclosedQuotes++;
    warn(open.line, 'unclosed quote at end of file; dropped');
    open = null;
  }
  finishParagraph();
  endScene();
  return { scenes, utterances, warnings, longParagraphs, unclosedQuotes };
}
