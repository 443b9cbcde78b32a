/**
 * The public API of the engine: what a `pipeline.ts` and the stages in `stages/` code against.
 * The engine knows nothing about any particular domain; everything domain-specific arrives
 * through these types.
 */
import { fileURLToPath } from 'node:url';
import type { z } from 'zod';

/** Read-only view of the validated params (pipeline.yaml after zod defaults and `--set`). */
export interface ParamsReader {
  /** Value at a dotted path (`train.lora_rank`), or undefined when absent. */
  get<T = unknown>(key: string): T;
  /** The whole validated config object. */
  readonly all: Readonly<Record<string, unknown>>;
}

export interface DepFile {
  /** Workspace-relative POSIX path (absolute only for deps outside the workspace). */
  readonly path: string;
  /** Content hash (XXH3-128, 32 hex digits). */
  readonly hash: string;
}

export interface ProgressUpdate {
  current?: number;
  total?: number;
  /** Short text shown next to the stage (e.g. `step 120/600 loss 1.23 eta 0:41:10`). */
  message: string;
  /** A line of the stage's closing summary (counts, pass rate): on a TTY it stays after the task list. */
  summary?: boolean;
}

export interface ExecOptions {
  cwd?: string;
  /** Added to ctx.env (which already carries CUDA_VISIBLE_DEVICES). `undefined` removes a var. */
  env?: Record<string, string | undefined>;
  /** Written to the child's stdin, then closed. */
  input?: string;
  /** Called with each line the child prints on stdout/stderr (lines also go to the stage log). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

export interface ExecResult {
  exitCode: number;
}

/** A long-running child (e.g. an API server) started with ctx.spawn. */
export interface ChildHandle {
  /** The child's pid (the leader of its own process group); -1 when it could not be started. */
  readonly pid: number;
  /** Resolves when the child exits (never rejects). */
  readonly exited: Promise<{ exitCode: number | null; signal: string | null }>;
  /** Ends the child's whole process tree (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

/**
 * The dotted keys of a config type: `train`, `train.lora_rank`, … (objects, not arrays; five
 * levels deep). `unknown` (a stage not tied to a schema) allows any string.
 */
export type ParamKey<C> = unknown extends C ? string : KeysOf<C, []>;
type KeysOf<C, Depth extends unknown[]> = Depth['length'] extends 5
  ? never
  : C extends readonly unknown[]
    ? never
    : C extends object
      ? { [K in keyof C & string]: K | `${K}.${KeysOf<NonNullable<C[K]>, [...Depth, unknown]>}` }[keyof C & string]
      : never;

/** The type of the value at a dotted key of a config type. */
export type ParamValue<C, K extends string> = K extends `${infer H}.${infer R}`
  ? H extends keyof C
    ? ParamValue<NonNullable<C[H]>, R>
    : unknown
  : K extends keyof C
    ? C[K]
    : unknown;

/** `ctx.param`: typed by the config schema when the stage is tied to one (see definePipeline). */
export type ParamGetter<C> = unknown extends C ? <T = unknown>(key: string) => T : <K extends ParamKey<C>>(key: K) => ParamValue<C, K>;

export interface StageContext<C = unknown> {
  readonly name: string;
  /** Absolute path of the workspace root. */
  readonly workspace: string;
  /** Full hex stage key, and its first 12 characters. */
  readonly key: string;
  readonly shortKey: string;
  /** A declared param: `ctx.param('train.lora_rank')`. Any other key fails the stage, naming it. */
  readonly param: ParamGetter<C>;
  /**
   * The declared params and the `untrackedParams`, nothing else: `all` holds only those, and
   * `get` of any other key fails the stage (a parent key gives only its declared parts).
   */
  readonly params: ParamsReader;
  /**
   * Absolute staging path where the out `rel` (workspace-relative, as declared; `{key}` already
   * substituted) must be written. Parent directories exist. Outs are promoted atomically after
   * `run` resolves; never write outs in place.
   */
  out(rel: string): string;
  /**
   * Writes the out `rel` (as `out(rel)` names it) from a buffer, a string or chunks consumed one at
   * a time (a generator may hand out the same buffer again once the previous chunk is written),
   * hashing while it writes: the engine then does not read the file back to hash it. Returns the
   * file's content hash (as DepFile.hash).
   */
  writeOut(rel: string, data: string | Uint8Array | Iterable<Uint8Array>): Promise<string>;
  /** Every declared out, `{key}` substituted, workspace-relative. */
  readonly outs: readonly string[];
  /**
   * The stage's private staging root. With `resumable: true` it survives a failed or interrupted
   * attempt and is handed to the next attempt with the same key; it is removed after success.
   */
  readonly stagingDir: string;
  /** Persistent stage-private scratch dir under the cache dir (e.g. per-input-file results). */
  readonly stageCacheDir: string;
  /** Every dep file with its content hash (already computed through the stat cache). */
  readonly deps: readonly DepFile[];
  /** Devices assigned from the GPU pool ([] for CPU stages). */
  readonly gpus: readonly string[];
  /** Base environment for children: process.env plus CUDA_VISIBLE_DEVICES for this stage. */
  readonly env: Readonly<Record<string, string>>;
  /** Aborted on SIGINT/SIGTERM. */
  readonly signal: AbortSignal;
  /** Appends a line to the stage's log file (artifacts/logs/<stage>.log). */
  log(line: string): void;
  /** Something the user must see although the stage goes on (a skipped input): a warning in every reporter and the log. */
  warn(message: string): void;
  /** Live progress (task list on a TTY, a line per 10 % in plain mode, an event in --json). */
  progress(update: ProgressUpdate): void;
  /**
   * Runs an external program (never through a shell) and waits for it. Output goes to the stage
   * log. Its whole process tree is ended on abort. Rejects with a StageError on a non-zero exit
   * unless `allowFailure` is set.
   */
  exec(file: string, args: readonly string[], opts?: ExecOptions & { allowFailure?: boolean }): Promise<ExecResult>;
  /** Starts a long-running child; its process tree is ended on abort and when the stage ends. */
  spawn(file: string, args: readonly string[], opts?: ExecOptions): ChildHandle;
  /** Content hash (as DepFile.hash) of any file, through the stat cache. */
  hashFile(absPath: string): Promise<string>;
  /**
   * The outs are usable but not final (e.g. a server the stage asks was not there, so it fell
   * back): they are promoted as usual, but the run is not put in the run cache, and the next run
   * counts the stage stale with `reason` (`its last run was provisional: …`) and runs it again.
   */
  provisional(reason: string): void;
}

/** Value or function of params, for deps/outs/gpus that depend on configuration. */
export type FromParams<T> = T | ((params: ParamsReader) => T);

export interface StageDef<C = unknown> {
  name: string;
  description?: string;
  /**
   * Files, directories (all files below) or globs (`*`, `**`, `?`, `[…]`, `{a,b}`), workspace-relative; an absolute
   * path is allowed for inputs outside the workspace (e.g. a base model directory).
   */
  deps?: FromParams<string[]>;
  /** Files or directories the stage fully owns, inside the workspace. `{key}` = short stage key. */
  outs?: FromParams<string[]>;
  /**
   * Dotted param keys the stage reads (`train` = the whole section). Nothing else affects its key.
   * A function of params declares keys that count only in some configurations.
   */
  params?: FromParams<Array<NoInfer<ParamKey<C>>>>;
  /**
   * Params the stage reads that must not change its key (e.g. the path of an executable). The
   * stage's code can read only `params` and these; any other key fails the stage.
   */
  untrackedParams?: string[];
  /** GPUs needed (default 0). */
  gpus?: FromParams<number>;
  /**
   * GPUs the stage uses when the pool has them free as it starts (default 0), for work a GPU helps
   * with but that can be done without one (or taken from a cache). It never waits for them: under
   * --cpu-only, with an empty pool or with the devices busy it runs with ctx.gpus = []. Not with `gpus`.
   */
  gpusIfFree?: FromParams<number>;
  /**
   * Extra files/dirs that belong to the implementation fingerprint. The fingerprint already is the
   * import closure of the module that calls `defineStage` (every source file it can execute, and
   * the versions of the npm packages among them); list here only what that closure cannot see,
   * e.g. the scripts a stage shells out to. Paths inside are hashed relative to the entry, so the
   * fingerprint holds no machine path.
   */
  code?: string[];
  /** Keep the staging dir of a failed attempt for the next attempt with the same key. */
  resumable?: boolean;
  /**
   * Checked before deps are hashed and before any work: return a message that says what is wrong
   * and how to fix it, and the stage fails with it (e.g. a missing executable or model dir).
   */
  preflight?: (params: ParamsReader, info: { workspace: string; gpus: readonly string[] }) => Promise<string | undefined | void> | string | undefined | void;
  run(ctx: StageContext<C>): Promise<void>;
  /**
   * For stages that also maintain part of a shared file (e.g. entries in a registry file): called
   * after the outs were promoted or restored; must be idempotent.
   */
  publish?(ctx: PublishContext): Promise<void>;
  /**
   * What `run --dry-run` shows for the stage when it would run or restore (e.g. the config it would
   * hand its tool), as text; printed as a closing-summary line of the stage. Reads only `params`.
   */
  dryRun?(ctx: { readonly workspace: string; readonly params: ParamsReader }): Promise<string | undefined> | string | undefined;
  /** Reasons the published part is out of date although outs are fresh ([] when fine). */
  verifyPublished?(ctx: PublishContext): Promise<string[]>;
  /**
   * The shared files `publish` maintains (workspace-relative), shown by `pipeline dag`. Whether
   * they still hold what was published is `verifyPublished`'s answer.
   */
  sharedFiles?: FromParams<string[]>;
}

export interface PublishContext {
  readonly name: string;
  readonly workspace: string;
  readonly shortKey: string;
  readonly params: ParamsReader;
  readonly outs: readonly string[];
  log(line: string): void;
}

export interface CommandContext {
  readonly workspace: string;
  /** Arguments after the command name. */
  readonly argv: readonly string[];
  /** Validated params (pipeline.yaml + --set). Commands that do not need config get it lazily. */
  params(): Promise<ParamsReader>;
  /** The GPU pool (gpus: in pipeline.yaml, CUDA_VISIBLE_DEVICES, nvidia-smi -L). */
  gpuPool(): Promise<string[]>;
  /** Short key of the last successful run of a stage in this workspace, if any. */
  lastRunKey(stage: string): Promise<string | undefined>;
  /**
   * Runs a program (never through a shell) attached to the terminal, in its own process group:
   * SIGINT/SIGTERM to this process reach its whole tree, and nothing of the tree outlives it.
   * Resolves with its exit code, 130 when interrupted.
   */
  exec(file: string, args: readonly string[], opts?: Pick<ExecOptions, 'cwd' | 'env'>): Promise<number>;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export interface CommandDef {
  /** One line for `pipeline --help`. */
  summary: string;
  /** Full usage text for `pipeline <cmd> --help`. */
  usage: string;
  /** Returns the exit code. Throw UsageError (exit 2) or UserError (exit 1) for expected failures. */
  run(ctx: CommandContext): Promise<number>;
}

export interface PipelineDef<S extends z.ZodType = z.ZodType> {
  /** Config file, workspace-relative (default pipeline.yaml). */
  configFile?: string;
  /** zod schema of the config file (the engine adds `gpus` and `watch`). */
  schema: S;
  /** Stages tied to this schema's output type (defineStage<Config>) or untyped ones. */
  stages: Array<StageDef<z.output<S>> | StageDef>;
  commands?: Record<string, CommandDef>;
  /** Where stage logs go (default artifacts/logs). */
  logDir?: string;
  /** What `pipeline exp show` and the comparison report know of an experiment (domain metrics). */
  experiments?: ExperimentHooks;
}

/** One experiment as the domain hooks see it. */
export interface ExperimentInfo {
  name: string;
  /** The experiment's own workspace: its outs and state (the user's inputs are linked in). */
  readonly workspace: string;
  /** Its params: the user's config with its overrides. */
  readonly params: ParamsReader;
  /** queued | running | done | failed | interrupted */
  readonly status: string;
}

/** One column of `pipeline exp show` (loss, pass rate, …); null when the experiment has none. */
export interface ExperimentMetric {
  name: string;
  value: number | null;
  /** Which way is better: the best value of the column is highlighted. */
  better?: 'higher' | 'lower';
  format?: 'percent' | 'number';
}

export interface ExperimentHooks {
  /** The experiment's metrics, read from its workspace. */
  metrics(exp: ExperimentInfo): Promise<ExperimentMetric[]>;
  /** The metric `exp show` sorts by, best first. */
  sortBy?: string;
  /** Writes a comparison of the experiments into `workspace`; returns the path written (workspace-relative). */
  report?(ctx: { workspace: string; experiments: ExperimentInfo[] }): Promise<string | undefined>;
}

/** Absolute directory of a module: `moduleDir(import.meta.url)`. */
export function moduleDir(metaUrl: string): string {
  return fileURLToPath(new URL('.', metaUrl));
}

export function definePipeline<S extends z.ZodType>(def: PipelineDef<S>): PipelineDef {
  return def as unknown as PipelineDef;
}

/** Where `defineStage` was called: a position in the bundle the DAG was loaded from. */
export interface DefinedAt {
  file: string;
  line: number;
  column: number;
}

const definedAt = new WeakMap<object, DefinedAt>();

/** The engine maps this position to the module that defines the stage (its code fingerprint). */
export function stageDefinedAt(def: object): DefinedAt | undefined {
  return definedAt.get(def);
}

function callerOf(fn: (...args: never[]) => unknown): DefinedAt | undefined {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  try {
    Error.stackTraceLimit = 1;
    Error.prepareStackTrace = (_err, sites) => sites;
    const holder: { stack?: NodeJS.CallSite[] } = {};
    Error.captureStackTrace(holder, fn);
    const site = holder.stack?.[0];
    const file = site?.getFileName();
    return site && file ? { file, line: site.getLineNumber() ?? 0, column: site.getColumnNumber() ?? 0 } : undefined;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
}

/** `defineStage<Config>({…})` ties a stage to a config type: `ctx.param` keys and values are checked. */
export function defineStage<C = unknown>(def: StageDef<C>): StageDef<C> {
  const at = callerOf(defineStage);
  if (at) definedAt.set(def, at);
  return def;
}

/** An expected failure: printed as its message, without a stack trace. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A stage failed for a reason the user can act on (message shown, no stack). */
export class StageError extends UserError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'StageError';
  }
}

/** Bad config or usage: exit code 2. Config errors should carry `file:line:col` in the message. */
export class UsageError extends UserError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
