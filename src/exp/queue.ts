// The persistent experiment queue, `.pipeline/exp/queue.json`: every experiment the user asked for,
// its overrides and where it stands. Written atomically after every change; read back through a
// zod schema (a damaged file is an error naming it, never a crash or a silently emptied queue).
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { UsageError } from '../api.js';
import { writeFileAtomic } from '../atomicWrite.js';
import { EXPERIMENT_NAME } from '../config.js';

export const EXP_STATUS = ['queued', 'running', 'done', 'failed', 'interrupted'] as const;
export type ExpStatus = (typeof EXP_STATUS)[number];

const stageSchema = z.object({ name: z.string(), status: z.string(), key: z.string().optional(), ms: z.number().optional() });

const entrySchema = z.object({
  name: z.string().regex(EXPERIMENT_NAME, 'not an experiment name'),
  sets: z.array(z.string()),
  status: z.enum(EXP_STATUS),
  added_at: z.string(),
  started_at: z.string().nullable().default(null),
  finished_at: z.string().nullable().default(null),
  /** Wall time of the last attempt. */
  ms: z.number().nullable().default(null),
  error: z.string().nullable().default(null),
  failed_stage: z.string().nullable().default(null),
  /** Workspace-relative log of the failed stage. */
  log: z.string().nullable().default(null),
  stages: z.array(stageSchema).default([]),
});

const queueSchema = z.object({ v: z.literal(1), experiments: z.array(entrySchema) });

export type QueueEntry = z.infer<typeof entrySchema>;

/** `.pipeline/exp` of a workspace. */
export function expRoot(workspace: string): string {
  return join(workspace, '.pipeline', 'exp');
}

/** An experiment's own workspace (its state records, outs and logs). */
export function experimentDir(workspace: string, name: string): string {
  if (!EXPERIMENT_NAME.test(name)) throw new UsageError(`'${name}' is not an experiment name`);
  return join(expRoot(workspace), 'runs', name);
}

export class ExperimentQueue {
  readonly file: string;
  entries: QueueEntry[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(readonly workspace: string) {
    this.file = join(expRoot(workspace), 'queue.json');
  }

  /** Reads the queue (missing: empty). An entry left `running` belongs to a run that died: interrupted. */
  load(): this {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      this.entries = [];
      return this;
    }
    const shown = relative(process.cwd(), this.file) || this.file;
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      throw new UsageError(`${shown}: not JSON (${(e as Error).message}); fix it or delete it to start an empty queue`);
    }
    const r = queueSchema.safeParse(data);
    if (!r.success) {
      const issue = r.error.issues[0];
      throw new UsageError(`${shown}: ${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}; fix it or delete it to start an empty queue`);
    }
    const names = new Set<string>();
    for (const e of r.data.experiments) {
      if (names.has(e.name)) throw new UsageError(`${shown}: experiment '${e.name}' is listed twice; fix it or delete the file`);
      names.add(e.name);
      if (e.status === 'running') e.status = 'interrupted';
    }
    this.entries = r.data.experiments;
    return this;
  }

  get(name: string): QueueEntry | undefined {
    return this.entries.find((e) => e.name === name);
  }

  /** Adds an experiment, or takes it up again (same name: its overrides are replaced). */
  upsert(name: string, sets: string[]): QueueEntry {
    const e = this.get(name);
    if (e) {
      if (e.sets.join('\n') !== sets.join('\n')) Object.assign(e, { sets, status: 'queued', error: null, failed_stage: null, log: null, stages: [] });
      else if (e.status !== 'done') e.status = e.status === 'running' ? 'interrupted' : e.status;
      return e;
    }
    const entry: QueueEntry = entrySchema.parse({ name, sets, status: 'queued', added_at: new Date().toISOString() });
    this.entries.push(entry);
    return entry;
  }

  remove(name: string): boolean {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => e.name !== name);
    return this.entries.length !== before;
  }

  /** Writes the queue (one write at a time, in the order asked). */
  save(): Promise<void> {
    const text = `${JSON.stringify({ v: 1, experiments: this.entries }, null, 2)}\n`;
    this.writing = this.writing.then(() => writeFileAtomic(this.file, text, { root: this.workspace }));
    return this.writing;
  }
}
