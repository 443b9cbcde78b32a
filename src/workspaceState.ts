// Per-workspace bookkeeping under .pipeline/: the last successful run record of each stage
// (what "fresh" is measured against) with the inputs it ran on, the stat cache, staging, trash and
// the lock. Records are read back through zod schemas: one that does not parse counts as "never
// ran" (one warning naming the file), never as a crash or a wrong "fresh".
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from './atomicWrite.js';
import { formatRecord, readRecordFile, type RunRecord } from './runRecord.js';

const isPair = (e: unknown): e is [string, string] => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && typeof e[1] === 'string';
/** [string, string] pairs, checked by one predicate: a schema per pair costs ~20 ms for 5,000 deps on a cold start. */
const entries = z.custom<Array<[string, string]>>((v) => Array.isArray(v) && v.every(isPair), 'must be a list of [string, string] pairs');

const inputsSchema = z.object({
  v: z.literal(3),
  /** [recorded dep path, sha256], sorted by path. */
  deps: entries,
  /** [file id, sha256] and [`npm:<package id>`, version] of the stage's code, sorted. */
  code: entries,
});

/** What a run consumed, kept apart from its record: only needed to explain a stale stage. */
export type RecordedInputs = z.infer<typeof inputsSchema>;

export class WorkspaceDirs {
  readonly root: string;
  private readonly warned = new Set<string>();
  constructor(
    readonly workspace: string,
    private readonly warn: (line: string) => void = (line) => void process.stderr.write(`pipeline: warning: ${line}\n`),
  ) {
    this.root = join(workspace, '.pipeline');
  }
  get statCacheFile(): string {
    return join(this.root, 'statcache.json');
  }
  get lockFile(): string {
    return join(this.root, 'lock');
  }
  get stagingRoot(): string {
    return join(this.root, 'staging');
  }
  get trashRoot(): string {
    return join(this.root, 'trash');
  }
  stateFile(stage: string): string {
    return join(this.root, 'state', `${stage}.json`);
  }
  private inputsFile(stage: string): string {
    return join(this.root, 'state', `${stage}.inputs.json`);
  }

  /** A record that is missing is undefined; one that does not parse is undefined with a warning. */
  private async read<T>(file: string, schema: z.ZodType<T>, stage: string): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    let problem: string;
    try {
      const r = schema.safeParse(JSON.parse(text));
      if (r.success) return r.data;
      const issue = r.error.issues[0];
      problem = `${issue?.path.join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`;
    } catch (e) {
      problem = (e as Error).message;
    }
    if (!this.warned.has(file)) {
      this.warned.add(file);
      this.warn(`${relative(this.workspace, file)} is not a valid record (${problem}); '${stage}' counts as never run`);
    }
    return undefined;
  }

  /** The last run's record; undefined (with one warning) when it is damaged or not this stage's. */
  async readState(stage: string): Promise<RunRecord | undefined> {
    return readRecordFile(this.stateFile(stage), stage);
  }

  async readInputs(stage: string): Promise<RecordedInputs | undefined> {
    return this.read(this.inputsFile(stage), inputsSchema, stage);
  }

  /** The inputs first, the record last: a crash in between leaves the stage stale. */
  async writeState(rec: RunRecord, inputs: Omit<RecordedInputs, 'v'>): Promise<void> {
    await writeFileAtomic(this.inputsFile(rec.stage), `${JSON.stringify({ v: 3, deps: inputs.deps, code: inputs.code } satisfies RecordedInputs)}\n`, {
      root: this.workspace,
    });
    await writeFileAtomic(this.stateFile(rec.stage), formatRecord(rec), { root: this.workspace });
  }
}
