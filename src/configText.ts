// Helpers for config error messages: the offending line with a caret under the column (as the
// TypeScript compiler prints it), "did you mean" suggestions, and the keys a zod schema knows.
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';

/** `  12 | anchor_words: [前辈` and a caret line under `col` (1-based). */
export function excerpt(text: string, line: number, col: number): string {
  const lines = text.split(/\r?\n/);
  const src = lines[line - 1];
  if (src === undefined) return '';
  const num = String(line);
  const shown = src.replace(/\t/g, ' ');
  // Wide (CJK) characters take two columns in a terminal; keep the caret under the character.
  const width = [...shown.slice(0, Math.max(0, col - 1))].reduce(
    (w, ch) => w + (/[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch) ? 2 : 1),
    0,
  );
  return `\n  ${num} | ${shown}\n  ${' '.repeat(num.length)} | ${' '.repeat(width)}^`;
}

/**
 * Where a YAML syntax error really is. The parser notices an unclosed flow collection or quote
 * only on a later line; point at the opening bracket or quote instead, and at the first
 * non-blank character of a badly indented line rather than its column 1.
 */
export function syntaxErrorOffset(text: string, offset: number, message: string): number {
  const closing = /end with an? ([}\]])|Missing closing (["'])/.exec(message);
  if (closing) {
    const close = closing[1] ?? closing[2]!;
    const open = close === '}' ? '{' : close === ']' ? '[' : close;
    let depth = 0;
    for (let i = Math.min(offset, text.length) - 1; i >= 0; i--) {
      const c = text[i];
      if (open === close) {
        if (c === open) return i;
      } else if (c === close) depth++;
      else if (c === open) {
        if (depth === 0) return i;
        depth--;
      }
    }
  }
  if (offset > 0 && text[offset - 1] !== '\n') return offset;
  let i = offset;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i < text.length && text[i] !== '\n' && text[i] !== '\r' ? i : offset;
}

/** Optimal string alignment distance (a swap of two neighbours counts as one edit). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The closest known key, if it is close enough to be a typo. */
export function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = distance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) [best, bestD] = [k, dist];
  }
  return best !== undefined && bestD <= Math.max(1, Math.min(3, Math.floor(best.length / 3))) ? best : undefined;
}

export function didYouMean(key: string, known: readonly string[]): string {
  const c = closest(key, known);
  return c ? ` (did you mean \`${c}\`?)` : '';
}

interface ZodInternals {
  _zod?: { def?: { type?: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown; out?: unknown } };
}

/** The object keys a zod schema accepts at `path` (through defaults, optionals and pipes); undefined when not an object. */
export function schemaKeysAt(schema: z.ZodType | unknown, path: readonly string[]): string[] | undefined {
  let cur = schema as ZodInternals | undefined;
  const unwrap = () => {
    for (let n = 0; n < 20 && cur?._zod?.def && cur._zod.def.type !== 'object'; n++) {
      const def = cur._zod.def;
      const next = (def.innerType ?? def.in) as ZodInternals | undefined;
      if (!next) return;
      cur = next;
    }
  };
  unwrap();
  for (const part of path) {
    const shape = cur?._zod?.def?.type === 'object' ? cur._zod.def.shape : undefined;
    if (!shape || !(part in shape)) return undefined;
    cur = shape[part] as ZodInternals;
    unwrap();
  }
  const def = cur?._zod?.def;
  return def?.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/**
 * Parses YAML text; a syntax error comes back as `shown:line:col: invalid YAML: …` with the line
 * and a caret (the same message for pipeline.yaml and for a user's LLaMA-Factory YAML).
 */
export function parseYamlText(
  text: string,
  shown: string,
  opts: { uniqueKeys?: boolean } = {},
): { doc: Document; lc: LineCounter; error?: undefined } | { error: string } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: opts.uniqueKeys ?? true });
  const e = doc.errors[0];
  if (!e) return { doc, lc };
  const p = lc.linePos(syntaxErrorOffset(text, e.pos[0], e.message));
  return { error: `${shown}:${p.line}:${p.col}: invalid YAML: ${e.message.split('\n')[0]}${excerpt(text, p.line, p.col)}` };
}
