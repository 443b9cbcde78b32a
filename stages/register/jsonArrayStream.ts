// Streams the elements of a top-level JSON array from a file in bounded memory: a byte scanner
// finds where each element starts and ends (tracking strings, escapes and nesting), and only that
// element is decoded and parsed. Each element comes with its 1-based line and column, so errors can
// point into the file. UTF-8 continuation bytes are all >= 0x80, so scanning bytes is safe.
import { createReadStream } from 'node:fs';
import { findJsonSyntaxError } from './jsonSyntax.js';

export interface ArrayElement {
  /** 0-based position in the array. */
  index: number;
  /** 1-based line / column (in bytes) where the element starts. */
  line: number;
  col: number;
  /** The element's exact source text. */
  raw: string;
  value: unknown;
}

/** Malformed JSON: carries the position so the caller can name file:line:col. */
export class JsonStreamError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly col: number,
  ) {
    super(message);
    this.name = 'JsonStreamError';
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const COMMA = 0x2c;
const NL = 0x0a;
const BOM = [0xef, 0xbb, 0xbf];

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function describe(b: number): string {
  return b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

type State = 'start' | 'beforeElement' | 'afterElement' | 'inElement' | 'end';

export async function* readJsonArray(file: string, opts: { highWaterMark?: number } = {}): AsyncGenerator<ArrayElement> {
  const stream = createReadStream(file, { highWaterMark: opts.highWaterMark ?? 1 << 20 });
  let state: State = 'start';
  let line = 1;
  let lineStart = 0; // absolute byte offset of the current line's first byte
  let offset = 0; // absolute byte offset of chunk[0]
  let index = 0;
  // current element
  let depth = 0;
  let inString = false;
  let escaped = false;
  let elLine = 0;
  let elCol = 0;
  let parts: Buffer[] = [];
  let partStart = 0; // start index within the current chunk of the element's bytes
  let scalar = false; // element is a bare scalar (number, true, null…) ended by , ] or space

  const finish = (chunk: Buffer, end: number): ArrayElement => {
    parts.push(chunk.subarray(partStart, end));
    const buf = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    parts = [];
    const raw = buf.toString('utf8');
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      const found = findJsonSyntaxError(raw);
      if (!found) throw new JsonStreamError(`element ${index} is not valid JSON: ${(e as Error).message}`, elLine, elCol);
      const before = raw.slice(0, found.offset);
      const nl = before.lastIndexOf('\n');
      const line = elLine + (before.match(/\n/g)?.length ?? 0);
      const col = nl < 0 ? elCol + before.length : before.length - nl;
      throw new JsonStreamError(`element ${index} is not valid JSON: ${found.message}`, line, col);
    }
    return { index: index++, line: elLine, col: elCol, raw, value };
  };

  for await (const chunkAny of stream) {
    const chunk = chunkAny as Buffer;
    const n = chunk.length;
    partStart = 0;
    for (let i = 0; i < n; i++) {
      const b = chunk[i]!;
      if (state === 'inElement') {
        if (inString) {
          if (escaped) escaped = false;
          else if (b === BACKSLASH) escaped = true;
          else if (b === QUOTE) {
            inString = false;
            if (depth === 0) {
              yield finish(chunk, i + 1);
              state = 'afterElement';
            }
          } else if (b === NL) {
            throw new JsonStreamError(`unescaped line break inside a string in element ${index}`, line, offset + i - lineStart + 1);
          }
          continue;
        }
        if (scalar) {
          if (b === COMMA || b === RBRACKET || isSpace(b)) {
            yield finish(chunk, i);
            scalar = false;
            state = 'afterElement';
            // fall through to afterElement handling of this byte
          } else continue;
        } else {
          if (b === QUOTE) inString = true;
          else if (b === LBRACE || b === LBRACKET) depth++;
          else if (b === RBRACE || b === RBRACKET) {
            depth--;
            if (depth === 0) {
              yield finish(chunk, i + 1);
              state = 'afterElement';
            }
          } else if (b === NL) {
            line++;
            lineStart = offset + i + 1;
          }
          continue;
        }
      }
      if (b === NL) {
        line++;
        lineStart = offset + i + 1;
        continue;
      }
      if (isSpace(b)) continue;
      if (state === 'start' && offset + i < 3 && b === BOM[offset + i]) continue; // UTF-8 byte order mark
      const col = offset + i - lineStart + 1;
      switch (state) {
        case 'start':
          if (b !== LBRACKET) throw new JsonStreamError(`expected a JSON array ("[") at the top level, found ${describe(b)}`, line, col);
          state = 'beforeElement';
          break;
        case 'beforeElement':
        case 'afterElement':
          if (b === RBRACKET) {
            if (state === 'beforeElement' && index > 0) throw new JsonStreamError('trailing comma before "]"', line, col);
            state = 'end';
          } else if (state === 'afterElement') {
            if (b !== COMMA) throw new JsonStreamError(`expected "," or "]" after element ${index - 1}, found ${describe(b)}`, line, col);
            state = 'beforeElement';
          } else {
            state = 'inElement';
            elLine = line;
            elCol = col;
            partStart = i;
            depth = 0;
            if (b === QUOTE) inString = true;
            else if (b === LBRACE || b === LBRACKET) depth = 1;
            else if (b === COMMA || b === RBRACE) throw new JsonStreamError(`unexpected ${describe(b)}`, line, col);
            else scalar = true;
          }
          break;
        case 'end':
          throw new JsonStreamError(`unexpected ${describe(b)} after the end of the top-level array`, line, col);
        default:
          break;
      }
    }
    if (state === 'inElement') {
      parts.push(chunk.subarray(partStart, n));
    }
    offset += n;
  }
  const final = state as State;
  if (final === 'start') throw new JsonStreamError('the file is empty; expected a JSON array', line, 1);
  if (final !== 'end') {
    const inside = final === 'inElement';
    const where = inside ? ` inside element ${index}, which starts here` : '';
    throw new JsonStreamError(`the file ends before the top-level array is closed${where}`, inside ? elLine : line, inside ? elCol : offset - lineStart + 1);
  }
}
