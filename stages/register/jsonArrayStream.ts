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
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d;
}

function describe(b: number): string {
  return b >= 0x20 && b < 0x7f ? `"${String.fromCharCode(b)}"` : `byte 0x${b.toString(16).padStart(2, '0')}`;
}

const START = 0;
const BEFORE_ELEMENT = 1;
const AFTER_ELEMENT = 2;
const IN_ELEMENT = 3;
const END = 4;

/**
 * The byte scanner, fed chunk by chunk. A plain (non-generator) class so the hot loop optimizes
 * well; inside strings it jumps from quote to quote with Buffer.indexOf.
 */
class ArrayScanner {
  private state = START;
  private line = 1;
  private lineStart = 0; // absolute byte offset of the current line's first byte
  private offset = 0; // absolute byte offset of the current chunk's first byte
  private index = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scalar = false; // a bare scalar element (number, true, null…), ended by , ] or space
  private elLine = 0;
  private elCol = 0;
  private parts: Buffer[] = [];
  private partStart = 0;

  private finish(chunk: Buffer, end: number, out: ArrayElement[]): void {
    this.parts.push(chunk.subarray(this.partStart, end));
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts);
    this.parts = [];
    let raw: string;
    try {
      raw = UTF8.decode(buf);
    } catch {
      throw new JsonStreamError(`element ${this.index} is not valid UTF-8 text (save the file as UTF-8)`, this.elLine, this.elCol);
    }
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (e) {
      const found = findJsonSyntaxError(raw);
      if (!found) throw new JsonStreamError(`element ${this.index} is not valid JSON: ${(e as Error).message}`, this.elLine, this.elCol);
      const before = raw.slice(0, found.offset);
      const nl = before.lastIndexOf('\n');
      const line = this.elLine + (before.match(/\n/g)?.length ?? 0);
      const col = nl < 0 ? this.elCol + before.length : before.length - nl;
      throw new JsonStreamError(`element ${this.index} is not valid JSON: ${found.message}`, line, col);
    }
    out.push({ index: this.index++, line: this.elLine, col: this.elCol, raw, value });
    this.state = AFTER_ELEMENT;
  }

  feed(chunk: Buffer): ArrayElement[] {
    const out: ArrayElement[] = [];
    const n = chunk.length;
    this.partStart = 0;
    let nextBackslash = -2; // -2: not looked up yet in this chunk; -1: none left
    let i = 0;
    while (i < n) {
      if (this.state === IN_ELEMENT) {
        if (this.inString) {
          if (this.escaped) {
            this.escaped = false;
            i++;
            continue;
          }
          let q = chunk.indexOf(QUOTE, i);
          if (q < 0) q = n;
          if (nextBackslash !== -1 && nextBackslash < i) nextBackslash = chunk.indexOf(BACKSLASH, i);
          if (nextBackslash >= 0 && nextBackslash < q) {
            this.escaped = true;
            i = nextBackslash + 1;
            continue;
          }
          if (q === n) break;
          // a line break inside a string is invalid JSON: JSON.parse reports it with its position
          this.inString = false;
          i = q + 1;
          if (this.depth === 0) this.finish(chunk, i, out);
          continue;
        }
        const b = chunk[i]!;
        if (this.scalar) {
          if (b !== COMMA && b !== RBRACKET && !isSpace(b)) {
            i++;
            continue;
          }
          this.scalar = false;
          this.finish(chunk, i, out);
          // this byte is handled below as the one after the element
        } else {
          if (b === QUOTE) this.inString = true;
          else if (b === LBRACE || b === LBRACKET) this.depth++;
          else if (b === RBRACE || b === RBRACKET) {
            if (--this.depth === 0) this.finish(chunk, i + 1, out);
          } else if (b === NL) {
            this.line++;
            this.lineStart = this.offset + i + 1;
          }
          i++;
          continue;
        }
      }
      const b = chunk[i]!;
      i++;
      if (b === NL) {
        this.line++;
        this.lineStart = this.offset + i;
        continue;
      }
      if (isSpace(b)) continue;
      const at = this.offset + i - 1;
      if (this.state === START && at < 3 && b === BOM[at]) continue; // UTF-8 byte order mark
      const col = at - this.lineStart + 1;
      switch (this.state) {
        case START:
          if (b !== LBRACKET) throw new JsonStreamError(`expected a JSON array ("[") at the top level, found ${describe(b)}`, this.line, col);
          this.state = BEFORE_ELEMENT;
          break;
        case BEFORE_ELEMENT:
        case AFTER_ELEMENT:
          if (b === RBRACKET) {
            if (this.state === BEFORE_ELEMENT && this.index > 0) throw new JsonStreamError('trailing comma before "]"', this.line, col);
            this.state = END;
          } else if (this.state === AFTER_ELEMENT) {
            if (b !== COMMA) throw new JsonStreamError(`expected "," or "]" after element ${this.index - 1}, found ${describe(b)}`, this.line, col);
            this.state = BEFORE_ELEMENT;
          } else {
            this.state = IN_ELEMENT;
            this.elLine = this.line;
            this.elCol = col;
            this.partStart = i - 1;
            this.depth = 0;
            if (b === QUOTE) this.inString = true;
            else if (b === LBRACE || b === LBRACKET) this.depth = 1;
            else if (b === COMMA || b === RBRACE) throw new JsonStreamError(`unexpected ${describe(b)}`, this.line, col);
            else this.scalar = true;
          }
          break;
        default:
          throw new JsonStreamError(`unexpected ${describe(b)} after the end of the top-level array`, this.line, col);
      }
    }
    if (this.state === IN_ELEMENT) this.parts.push(chunk.subarray(this.partStart, n));
    this.offset += n;
    return out;
  }

  end(): void {
    if (this.state === START) throw new JsonStreamError('the file is empty; expected a JSON array', this.line, 1);
    if (this.state === END) return;
    if (this.state === IN_ELEMENT) {
      throw new JsonStreamError(`the file ends before the top-level array is closed inside element ${this.index}, which starts here`, this.elLine, this.elCol);
    }
    throw new JsonStreamError('the file ends before the top-level array is closed', this.line, this.offset - this.lineStart + 1);
  }
}

export async function* readJsonArray(file: string, opts: { highWaterMark?: number } = {}): AsyncGenerator<ArrayElement> {
  const scanner = new ArrayScanner();
  const stream = createReadStream(file, { highWaterMark: opts.highWaterMark ?? 1 << 20 });
  try {
    for await (const chunk of stream) yield* scanner.feed(chunk as Buffer);
  } finally {
    stream.destroy();
  }
  scanner.end();
}
