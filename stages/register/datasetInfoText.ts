// Edits the members of a JSON object file (LLaMA-Factory's dataset_info.json) at the text level:
// members that are not touched keep their exact bytes, order and formatting; new or replaced
// members are written with 2-space indentation.
import { findJsonSyntaxError } from './jsonSyntax.js';

interface Member {
  key: string;
  /** Offsets in the text: the key's opening quote, the value's end (exclusive). */
  start: number;
  valueStart: number;
  end: number;
}

/** Line and column (1-based) of an offset. */
export function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && /\s/.test(text[i]!)) i++;
  return i;
}

function skipString(text: string, i: number): number {
  // text[i] is the opening quote
  for (let j = i + 1; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  return text.length;
}

function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c === '{' || c === '[') {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = skipString(text, j) - 1;
      else if (d === '{' || d === '[') depth++;
      else if (d === '}' || d === ']') {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && !/[\s,}\]]/.test(text[j]!)) j++;
  return j;
}

/** The top-level members of a JSON object text that JSON.parse already accepted. */
function members(text: string): { open: number; close: number; list: Member[] } {
  const open = skipSpace(text, text.charCodeAt(0) === 0xfeff ? 1 : 0);
  const list: Member[] = [];
  let i = skipSpace(text, open + 1);
  while (text[i] === '"') {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    const valueStart = skipSpace(text, skipSpace(text, keyEnd) + 1); // past ':'
    const end = skipValue(text, valueStart);
    list.push({ key, start: i, valueStart, end });
    i = skipSpace(text, end);
    if (text[i] === ',') i = skipSpace(text, i + 1);
  }
  return { open, close: i, list };
}

/** A value as it appears as a member at nesting level 1 (2-space indentation). */
export function memberValueText(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, '\n  ');
}

export interface ObjectEdit {
  /** Members to set (replaced in place when present, appended otherwise). */
  set: Record<string, unknown>;
  /** Members to remove. */
  remove: readonly string[];
}

/** Applies the edit to the JSON text of an object; untouched members keep their exact text. */
export function editObjectText(text: string, edit: ObjectEdit): string {
  const { open, close, list } = members(text);
  const removed = new Set(edit.remove);
  const pending = new Map(Object.entries(edit.set));
  const kept = list.filter((m) => !removed.has(m.key));
  const added = () => [...pending].map(([k, v]) => `  ${JSON.stringify(k)}: ${memberValueText(v)}`).join(',\n');
  if (kept.length === 0) {
    // nothing of the old content survives: rewrite the object, keep what surrounds it
    const body = pending.size > 0 ? `{\n${added()}\n}` : '{}';
    return text.slice(0, open) + body + text.slice(close + 1);
  }
  const edits: Array<{ from: number; to: number; text: string }> = [];
  for (const m of kept) {
    if (pending.has(m.key)) {
      edits.push({ from: m.valueStart, to: m.end, text: memberValueText(pending.get(m.key)) });
      pending.delete(m.key);
    }
  }
  list.forEach((m, k) => {
    if (!removed.has(m.key)) return;
    const prev = list[k - 1];
    // cut from the end of the previous member (its separator goes too), or, for the first
    // member, up to the start of the next one
    if (prev) edits.push({ from: prev.end, to: m.end, text: '' });
    else edits.push({ from: m.start, to: list[k + 1]!.start, text: '' });
  });
  if (pending.size > 0) edits.push({ from: kept.at(-1)!.end, to: kept.at(-1)!.end, text: `,\n${added()}` });
  edits.sort((a, b) => b.from - a.from || b.to - a.to);
  let out = text;
  for (const e of edits) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}

/** Text for a new file holding just these members. */
export function newObjectText(set: Record<string, unknown>): string {
  const body = Object.entries(set)
    .map(([k, v]) => `  ${JSON.stringify(k)}: ${memberValueText(v)}`)
    .join(',\n');
  return body ? `{\n${body}\n}\n` : '{}\n';
}

/** Offset of each top-level member's key (first occurrence). */
export function memberOffsets(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of members(text).list) if (!out.has(m.key)) out.set(m.key, m.start);
  return out;
}

/** Parses JSON text; on failure, says where (line:col) and what is wrong. */
export function parseJsonWithPosition(text: string): { ok: true; value: unknown } | { ok: false; line: number; col: number; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    const found = findJsonSyntaxError(text);
    const { line, col } = lineCol(text, found?.offset ?? 0);
    return { ok: false, line, col, message: found?.message ?? (e as Error).message };
  }
}
