import { isUtf8 } from 'node:buffer';

// Bytes → text. Detects UTF-8 (with or without BOM), UTF-16 with BOM and GB18030; refuses binary
// data instead of decoding garbage.

export type Encoding = 'utf-8' | 'utf-8-bom' | 'utf-16le' | 'utf-16be' | 'gb18030';

export type Decoded =
  | { ok: true; encoding: Encoding; text: string }
  | { ok: false; reason: 'empty' | 'binary' | 'unknown_encoding'; detail: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const gb18030 = new TextDecoder('gb18030', { fatal: true });

/** Control characters looksBinary counts (NUL included; tab, LF, FF, CR and ESC are fine). */
const CONTROL_RE = /[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f]/;
/** Files up to this size take the decode-first path (a whole-text scan is cheap for them). */
const FAST_PATH_BYTES = 1 << 20;

/** Share of control bytes (other than tab/CR/LF/FF/ESC) in the first 8 KiB, NUL bytes included. */
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

export function decodeBytes(buf: Uint8Array): Decoded {
  if (buf.length === 0) return { ok: false, reason: 'empty', detail: 'the file is empty' };
  const b0 = buf[0];
  const b1 = buf[1];
  if (b0 === 0xef && b1 === 0xbb && buf[2] === 0xbf) {
    try {
      return { ok: true, encoding: 'utf-8-bom', text: utf8.decode(buf.subarray(3)) };
    } catch {
      return { ok: false, reason: 'unknown_encoding', detail: 'starts with a UTF-8 BOM but is not valid UTF-8' };
    }
  }
  if ((b0 === 0xff && b1 === 0xfe) || (b0 === 0xfe && b1 === 0xff)) {
    const le = b0 === 0xff;
    try {
      const text = new TextDecoder(le ? 'utf-16le' : 'utf-16be', { fatal: true }).decode(buf.subarray(2));
      return { ok: true, encoding: le ? 'utf-16le' : 'utf-16be', text };
    } catch {
      return { ok: false, reason: 'unknown_encoding', detail: 'starts with a UTF-16 BOM but is not valid UTF-16' };
    }
  }
  const utf8Ok = isUtf8(buf);
  if (utf8Ok && buf.length <= FAST_PATH_BYTES) {
    // Valid UTF-8 without a single control character cannot look binary: skip the byte loop.
    const text = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8');
    if (!CONTROL_RE.test(text)) return { ok: true, encoding: 'utf-8', text };
  }
  if (looksBinary(buf)) return { ok: false, reason: 'binary', detail: 'contains NUL or control bytes: not a text file' };
  if (utf8Ok) return { ok: true, encoding: 'utf-8', text: Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength).toString('utf8') };
  try {
    return { ok: true, encoding: 'gb18030', text: gb18030.decode(buf) };
  } catch {
    return { ok: false, reason: 'unknown_encoding', detail: 'neither UTF-8, UTF-16 (with BOM) nor GB18030' };
  }
}
