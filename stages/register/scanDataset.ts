// Validates one ShareGPT dataset file sample by sample (streamed) and gathers its stats. With
// on_invalid=drop the valid samples are copied, byte for byte, into `cleanPath` as they go.
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { JsonStreamError, readJsonArray } from './jsonArrayStream.js';
import { LengthHistogram } from './lengthHistogram.js';
import { readJsonLines } from './jsonLines.js';
import { checkSample, effectiveSystem, type SampleProblem } from './sampleRules.js';
import { sampleDigest, type DuplicateIndex, type DuplicateRef } from './duplicateIndex.js';
import type { TokenCounter } from './tokenCounter.js';

export interface SampleIssue extends SampleProblem {
  index: number;
  line: number;
}

export interface ScanOptions {
  name: string;
  /** Absolute path to read. */
  file: string;
  /** Path shown in messages (workspace-relative). */
  displayFile: string;
  onInvalid: 'fail' | 'drop';
  duplicates: DuplicateIndex;
  tokens?: TokenCounter;
  cutoffLen?: number;
  /** Where the valid samples go in drop mode. */
  cleanPath?: string;
  /** Called every few thousand samples. */
  onProgress?: (samples: number) => void;
  signal?: AbortSignal;
}

export interface DatasetScan {
  name: string;
  /** Samples read from the file. */
  total: number;
  /** Valid samples kept. */
  samples: number;
  /** Invalid samples: every one of them (drop mode) or the errors (fail mode). */
  issues: SampleIssue[];
  invalidSamples: number;
  turns: number;
  turnsPerSample: LengthHistogram;
  charsPerTurn: LengthHistogram;
  tokensPerSample?: LengthHistogram;
  overCutoff: number[];
  duplicatesWithin: Array<{ index: number; first: number }>;
  duplicatesAcross: Array<{ index: number; first: DuplicateRef }>;
  withSystem: number;
  /** Valid samples by the system prompt LLaMA-Factory gives them (leading system turn, else `system`). */
  systemPrompts: Map<string, number>;
  /** Valid samples with no system prompt (neither a system turn nor `system`). */
  withoutSystem: number;
  /** The file is not a readable JSON array (message with file:line:col). */
  fatal?: string;
}

const EXAMPLES = 20;
const FAIL_ISSUE_LIMIT = 200;

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

export async function scanDataset(opts: ScanOptions): Promise<DatasetScan> {
  const scan: DatasetScan = {
    name: opts.name,
    total: 0,
    samples: 0,
    issues: [],
    invalidSamples: 0,
    turns: 0,
    turnsPerSample: new LengthHistogram(),
    charsPerTurn: new LengthHistogram(),
    tokensPerSample: opts.tokens ? new LengthHistogram() : undefined,
    overCutoff: [],
    duplicatesWithin: [],
    duplicatesAcross: [],
    withSystem: 0,
    systemPrompts: new Map(),
    withoutSystem: 0,
  };
  const clean = opts.onInvalid === 'drop' && opts.cleanPath ? createWriteStream(opts.cleanPath) : undefined;
  let keptWritten = 0;
  try {
    if (clean) await write(clean, '[');
    for await (const el of /\.jsonl$/i.test(opts.file) ? readJsonLines(opts.file) : readJsonArray(opts.file)) {
      if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('aborted');
      scan.total++;
      const { problems, sample } = checkSample(el.value);
      if (problems.length > 0 || !sample) {
        scan.invalidSamples++;
        // drop mode reports every dropped sample; fail mode keeps enough to act on
        if (opts.onInvalid === 'drop' || scan.issues.length < FAIL_ISSUE_LIMIT) {
          for (const p of problems) scan.issues.push({ index: el.index, line: el.line, ...p });
        }
        continue;
      }
      scan.samples++;
      if (clean) await write(clean, `${keptWritten++ === 0 ? '\n' : ',\n'}${el.raw}`);
      if (sample.system !== undefined) scan.withSystem++;
      const system = effectiveSystem(sample);
      if (system === undefined) scan.withoutSystem++;
      else scan.systemPrompts.set(system, (scan.systemPrompts.get(system) ?? 0) + 1);
      scan.turns += sample.conversations.length;
      scan.turnsPerSample.add(sample.conversations.length);
      let tokens = opts.tokens && sample.system ? opts.tokens.count(sample.system) : 0;
      for (const t of sample.conversations) {
        scan.charsPerTurn.add(t.value.length);
        if (opts.tokens) tokens += opts.tokens.count(t.value);
      }
      if (scan.tokensPerSample) {
        scan.tokensPerSample.add(tokens);
        if (opts.cutoffLen !== undefined && tokens > opts.cutoffLen) scan.overCutoff.push(el.index);
      }
      const first = opts.duplicates.add(opts.name, el.index, sampleDigest(sample));
      if (first) {
        if (first.dataset === opts.name) scan.duplicatesWithin.push({ index: el.index, first: first.index });
        else scan.duplicatesAcross.push({ index: el.index, first });
      }
      if (scan.total % 5000 === 0) opts.onProgress?.(scan.total);
    }
  } catch (e) {
    if (!(e instanceof JsonStreamError)) throw e;
    scan.fatal = `${opts.displayFile}:${e.line}:${e.col}: ${e.message}`;
  } finally {
    if (clean) {
      clean.end(keptWritten === 0 ? ']\n' : '\n]\n');
      await once(clean, 'close');
    }
  }
  return scan;
}

export function formatIssue(file: string, i: SampleIssue): string {
  return `${file}:${i.line}: sample ${i.index}, field ${i.field}: ${i.message}`;
}

export const EXAMPLE_LIMIT = EXAMPLES;
