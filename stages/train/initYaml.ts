// Reading a LLaMA-Factory YAML for `pipeline init` (values, and the line of each top-level key),
// the report `init` prints, and the path rules (relative paths are LLaMA-Factory's: from the
// directory it runs in).
import { readFile } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { isMap, isScalar } from 'yaml';
import type { z } from 'zod';
import { UsageError } from '../../src/api.js';
import { parseYamlText } from '../../src/configText.js';

/** One line of the report: where (file:line), which key, and what happened to it. */
export interface ReportItem {
  where: string;
  key: string;
  message: string;
}

export interface InitReport {
  /** Not carried over: the pipeline would do something else. */
  unmapped: ReportItem[];
  /** Keys the pipeline sets itself, and what it sets. */
  owned: ReportItem[];
  /** Keys LLaMA-Factory is not known to take, copied as they are. */
  unknown: ReportItem[];
  /** Other things worth knowing. */
  notes: string[];
}

export interface LfYaml {
  shown: string;
  values: Record<string, unknown>;
  lines: Map<string, number>;
}

/** Reads a LLaMA-Factory YAML; an unreadable or invalid one is a UsageError naming file:line:col. */
export async function readLfYaml(abs: string, shown: string): Promise<LfYaml> {
  let text: string;
  try {
    text = await readFile(abs, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const parsed = parseYamlText(text, shown);
  if (parsed.error !== undefined) throw new UsageError(parsed.error);
  const { doc, lc } = parsed;
  const value: unknown = doc.toJS();
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`${shown}:1:1: a LLaMA-Factory config must be a mapping of keys to values`);
  }
  const lines = new Map<string, number>();
  if (isMap(doc.contents)) {
    for (const item of doc.contents.items) {
      if (isScalar(item.key) && item.key.range) lines.set(String(item.key.value), lc.linePos(item.key.range[0]).line);
    }
  }
  return { shown, values: value as Record<string, unknown>, lines };
}

export const at = (y: LfYaml, key: string): string => `${y.shown}:${y.lines.get(key) ?? 1}`;

/** LLaMA-Factory's comma lists (`dataset: a, b`) as it splits them (hparams/data_args.py, DataArguments.__post_init__'s split_arg). */
export function splitArg(v: unknown): string[] {
  if (Array.isArray(v)) return v.map((x) => String(x).trim());
  return String(v)
    .split(',')
    .map((s) => s.trim());
}

export function zodMessage(err: z.ZodError): string {
  return err.issues[0]?.message ?? 'invalid';
}

export class Paths {
  constructor(
    readonly workspace: string,
    readonly lfDir: string,
  ) {}
  abs(p: string): string {
    return isAbsolute(p) ? p : resolve(this.lfDir, p);
  }
  /** A path as pipeline.yaml should hold it: workspace-relative when inside, else absolute. */
  forConfig(p: string): string {
    const a = this.abs(p);
    const rel = relative(this.workspace, a);
    if (rel === '') return '.';
    if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return a;
    return rel.split(sep).join('/');
  }
}
