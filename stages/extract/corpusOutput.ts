// The corpus's outputs, written as the files' results come, in name order: the dataset (each new
// sample appended, deduplicated across files by a digest of it) and the report's per-file lines
// (to a scratch file: the report's header, with the totals, comes first and is known only at the
// end). Memory: the digests, the totals and the skipped files' names; no sample or result is kept.
import { hash, randomBytes } from 'node:crypto';
import { closeSync, constants, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { openAtomicFileSync, type AtomicFile } from '../../src/atomicWrite.js';
import { DROP_KEYS, type FileResult } from './extractFile.js';
import type { CorpusTotals } from './corpus.js';

/** Bytes gathered before one write. */
const FLUSH_AT = 32 * 1024;

/** Pieces of output gathered and written in large writes to `put`. */
export class Gather {
  private parts: Array<string | Buffer> = [];
  private size = 0;
  constructor(private readonly put: (data: Buffer) => void) {}
  add(s: string | Buffer): void {
    this.parts.push(s);
    this.size += s.length;
    if (this.size >= FLUSH_AT) this.flush();
  }
  flush(): void {
    if (this.parts.length) this.put(Buffer.concat(this.parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
    this.parts = [];
    this.size = 0;
  }
}

/**
 * One sample as `JSON.stringify(samples, null, 2)` writes it, indented one level, from its system
 * prompt and its turns already in JSON (`JSON.stringify(text)`: a string holds no raw newline).
 * Written out by hand: V8's pretty-printer and the re-indenting cost the main thread, which shares
 * the cores with the workers, ~10 µs a sample (the same bytes: the extract bench checks them).
 */
function datasetEntry(systemJson: string, turnsJson: readonly string[]): string {
  let out = `  {\n    "system": ${systemJson},\n    "conversations": [`;
  for (let k = 0; k < turnsJson.length; k++)
    out += `${k ? ',' : ''}\n      {\n        "from": "${k % 2 === 0 ? 'human' : 'gpt'}",\n        "value": ${turnsJson[k]}\n      }`;
  return `${out}${turnsJson.length ? '\n    ' : ''}]\n  }`;
}

/** The report's text up to its list of files: the header pretty-printed, then `"files": `. */
export const reportHead = (header: Record<string, unknown>) => `${JSON.stringify(header, null, 2).slice(0, -2)},\n  "files": `;

export class CorpusOutput {
  readonly totals: CorpusTotals;
  readonly skipped: Array<{ file: string; reason: string; detail: string }> = [];
  /** Files whose encoding is a guess: `name: warning`. */
  readonly encodingWarnings: string[] = [];
  private readonly seen = new Set<string>();
  private readonly dataset: AtomicFile;
  private readonly data: Gather;
  private readonly linesPath: string;
  private linesFd: number | undefined;
  private readonly lines: Gather;
  private reportLines = 0;
  private readonly systemJson: string;

  /** `dataset`: where the dataset goes (replaced atomically by `commit`); `scratchDir`: where the report's lines wait. */
  constructor(dataset: string, scratchDir: string, system: string, files: number) {
    this.systemJson = JSON.stringify(system);
    this.totals = {
      files,
      files_skipped: 0,
      files_with_samples: 0,
      samples: 0,
      duplicates_across_files: 0,
      encodings: {},
      encoding_warnings: 0,
      utterances: { persona: 0, doctor: 0, other: 0, uncertain: 0 },
      dropped: Object.fromEntries(DROP_KEYS.map((k) => [k, 0])),
    };
    this.linesPath = join(scratchDir, `extract-report-lines-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
    this.linesFd = openSync(this.linesPath, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      this.dataset = openAtomicFileSync(dataset);
    } catch (err) {
      this.dispose();
      throw err;
    }
    this.data = new Gather((s) => this.dataset.write(s));
    this.lines = new Gather((b) => {
      for (let off = 0; off < b.length;) off += writeSync(this.linesFd!, b, off);
    });
  }

  /** The next file in name order. */
  add(name: string, { report, samples }: FileResult): void {
    const t = this.totals;
    let kept = 0;
    for (const s of samples) {
      const turnsJson = s.map((text) => JSON.stringify(text));
      // (The digest of JSON.stringify(s), from its parts.)
      const digest = hash('sha256', `[${turnsJson.join(',')}]`, 'base64');
      if (this.seen.has(digest)) {
        t.duplicates_across_files++;
        continue;
      }
      this.seen.add(digest);
      const entry = datasetEntry(this.systemJson, turnsJson);
      this.data.add(t.samples + kept === 0 ? `[\n${entry}` : `,\n${entry}`);
      kept++;
    }
    if (kept > 0) t.files_with_samples++;
    t.samples += kept;
    let enc: string | null = report.encoding;
    if (enc === null) {
      const reason = report.reason ?? 'skipped';
      t.files_skipped++;
      this.skipped.push({ file: name, reason, detail: report.detail ?? reason });
      enc = `(${reason})`;
    }
    t.encodings[enc] = (t.encodings[enc] ?? 0) + 1;
    if (report.encoding_warning !== undefined) {
      t.encoding_warnings++;
      this.encodingWarnings.push(`${name}: ${report.encoding_warning}`);
    }
    for (const k of ['persona', 'doctor', 'other', 'uncertain'] as const) t.utterances[k] += report.utterances[k];
    for (const k of DROP_KEYS) t.dropped[k]! += report.dropped[k];
    const line = JSON.stringify({ file: name, ...report });
    this.lines.add(this.reportLines++ === 0 ? line : `,\n    ${line}`);
  }

  /** Ends the dataset and puts it in its place; the report's lines are kept for `writeReport`. */
  commit(): void {
    this.data.add(this.totals.samples ? '\n]\n' : '[]\n');
    this.data.flush();
    this.dataset.commit();
    this.lines.flush();
    closeSync(this.linesFd!);
    this.linesFd = undefined;
  }

  /** Writes the report (after `commit`): `header`, then the files' lines; replaces `path` atomically. */
  writeReport(path: string, header: Record<string, unknown>): void {
    const out = openAtomicFileSync(path);
    try {
      out.write(reportHead(header));
      if (this.reportLines === 0) out.write('[]\n}\n');
      else {
        out.write('[\n    ');
        const fd = openSync(this.linesPath, 'r');
        try {
          const buf = Buffer.allocUnsafe(FLUSH_AT * 4);
          for (let n; (n = readSync(fd, buf, 0, buf.length, null)) > 0;) out.write(buf.subarray(0, n));
        } finally {
          closeSync(fd);
        }
        out.write('\n  ]\n}\n');
      }
      out.commit();
    } catch (err) {
      out.discard();
      throw err;
    }
  }

  /** Removes the scratch file and an uncommitted dataset. Safe to call more than once. */
  dispose(): void {
    if (this.linesFd !== undefined) closeSync(this.linesFd);
    this.linesFd = undefined;
    this.dataset?.discard();
    rmSync(this.linesPath, { force: true });
  }
}
