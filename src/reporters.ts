// Three ways to show a run: a live listr2 task list (TTY), plain lines (CI, pipes, NO_COLOR,
// TERM=dumb), and JSON lines (--json, the machine-readable contract). Each shows warnings
// (ctx.warn), and each line at most once.
import type { ListrTaskWrapper } from 'listr2';
import type { ProgressUpdate } from './api.js';
import type { Reporter, StageOutcome } from './events.js';

type Write = (s: string) => void;

function fmtMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${Math.round((ms % 60_000) / 1000)}s`;
}

function failureLines(o: StageOutcome, head = '  '): string[] {
  const lines: string[] = [];
  if (o.status !== 'failed') return lines;
  if (o.logTail && o.logTail.length) {
    lines.push(`${head}last lines of ${o.log}:`);
    for (const l of o.logTail) lines.push(`    ${l}`);
  } else if (o.log) lines.push(`${head}log: ${o.log}`);
  return lines;
}

export function summaryLine(outcomes: StageOutcome[]): string {
  const counts = new Map<string, number>();
  for (const o of outcomes) counts.set(o.status, (counts.get(o.status) ?? 0) + 1);
  return [...counts.entries()].map(([k, v]) => `${v} ${k}`).join(', ');
}

/** The closing lines of a run: requested stages that could not run, then ok / FAILED with the counts. */
function closingLines(ok: boolean, outcomes: StageOutcome[], extra: Record<string, unknown>): string[] {
  const notRun = Array.isArray(extra.notRun) ? (extra.notRun as string[]) : [];
  return [...notRun, `${ok ? 'ok' : 'FAILED'}: ${summaryLine(outcomes)}${extra.unchanged ? ' (nothing changed since the last run)' : ''}`];
}

export class JsonReporter implements Reporter {
  constructor(private readonly write: Write) {}
  private emit(obj: Record<string, unknown>) {
    this.write(`${JSON.stringify(obj)}\n`);
  }
  begin(stages: string[]) {
    this.emit({ event: 'plan', stages });
  }
  working(name: string, action: 'run' | 'restore', reason: string) {
    this.emit({ event: 'start', stage: name, action, reason });
  }
  progress(name: string, u: ProgressUpdate) {
    this.emit({ event: 'progress', stage: name, ...u });
  }
  note(name: string, message: string) {
    this.emit({ event: 'note', stage: name, message });
  }
  warn(name: string, message: string) {
    this.emit({ event: 'warning', stage: name, message });
  }
  end(o: StageOutcome) {
    this.emit({
      event: 'end',
      stage: o.name,
      status: o.status,
      reason: o.reason,
      reasons: o.reasons,
      ms: o.ms,
      ...(o.status === 'failed' ? { error: o.error, log: o.log } : {}),
    });
  }
  async finish(ok: boolean, outcomes: StageOutcome[], extra: Record<string, unknown> = {}) {
    this.emit({
      event: 'summary',
      ok,
      ...extra,
      stages: outcomes.map((o) => ({
        name: o.name,
        status: o.status,
        reason: o.reason,
        reasons: o.reasons,
        ms: o.ms,
        ...(o.key ? { key: o.key } : {}),
        ...(o.status === 'failed' ? { error: o.error } : {}),
      })),
    });
  }
}

export class PlainReporter implements Reporter {
  private buckets = new Map<string, number>();
  /** The last line printed per stage: a stage repeating itself (a wait counter) prints it once. */
  private last = new Map<string, string>();
  constructor(private readonly write: Write) {}
  private line(name: string, text: string) {
    if (this.last.get(name) === text) return;
    this.last.set(name, text);
    this.write(`${name}: ${text}\n`);
  }
  begin() {}
  working(name: string, action: 'run' | 'restore', reason: string) {
    this.line(name, `${action === 'run' ? 'running' : 'restoring'} (${reason})`);
  }
  progress(name: string, u: ProgressUpdate) {
    if (u.total && u.current !== undefined) {
      const b = Math.floor((u.current / u.total) * 10);
      if (b <= (this.buckets.get(name) ?? -1)) return;
      this.buckets.set(name, b);
    }
    this.line(name, u.message);
  }
  note(name: string, message: string) {
    this.line(name, message);
  }
  warn(name: string, message: string) {
    this.line(name, `warning: ${message}`);
  }
  end(o: StageOutcome) {
    this.line(o.name, `${o.status} — ${o.reason} (${fmtMs(o.ms)})`);
    if (o.status === 'failed') for (const l of failureLines(o)) this.write(`${l}\n`);
  }
  async finish(ok: boolean, outcomes: StageOutcome[], extra: Record<string, unknown> = {}) {
    for (const l of closingLines(ok, outcomes, extra)) this.write(`${l}\n`);
  }
}

interface Deferred {
  promise: Promise<StageOutcome>;
  resolve: (o: StageOutcome) => void;
}

/** listr2 task list: one task per stage, driven by the runner's events. */
export class TaskListReporter implements Reporter {
  private tasks = new Map<string, { deferred: Deferred; task?: ListrTaskWrapper<unknown, never, never>; t0: number }>();
  private listr?: Promise<unknown>;
  private ticker?: NodeJS.Timeout;
  /** Per stage: its closing summary lines and its warnings, printed under the finished list. */
  private summaries = new Map<string, string[]>();
  private warnings = new Map<string, string[]>();

  constructor(private readonly write: Write) {}

  begin(stages: string[]) {
    for (const s of stages) {
      let resolve!: (o: StageOutcome) => void;
      const promise = new Promise<StageOutcome>((r) => (resolve = r));
      this.tasks.set(s, { deferred: { promise, resolve }, t0: performance.now() });
    }
    this.listr = this.start(stages);
  }

  private async start(stages: string[]): Promise<unknown> {
    const { Listr } = await import('listr2');
    const list = new Listr(
      stages.map((s) => ({
        title: s,
        task: async (_ctx: unknown, task: ListrTaskWrapper<unknown, never, never>) => {
          const entry = this.tasks.get(s)!;
          entry.task = task;
          task.title = `${s} — checking`;
          const o = await entry.deferred.promise;
          task.title = `${s} — ${o.status}: ${o.reason} (${fmtMs(o.ms)})`;
          if (o.status === 'failed') throw new Error(`${s} failed: ${o.error}`);
          // The skip message replaces the title (one line, not the title and the message again).
          if (o.status === 'skipped' || o.status === 'blocked') task.skip(task.title);
        },
      })),
      {
        concurrent: true,
        exitOnError: false,
        rendererOptions: { collapseErrors: false, showErrorMessage: false, collapseSkips: true, showSkipMessage: true },
      } as never,
    );
    return list.run().catch(() => undefined);
  }
  working(name: string, action: 'run' | 'restore', reason: string) {
    const e = this.tasks.get(name);
    if (e?.task) {
      e.t0 = performance.now();
      e.task.title = `${name} — ${action === 'run' ? 'running' : 'restoring'} (${reason})`;
    }
  }
  progress(name: string, u: ProgressUpdate) {
    if (u.summary) this.summaries.set(name, [...(this.summaries.get(name) ?? []), u.message]);
    const e = this.tasks.get(name);
    if (e?.task) e.task.output = u.total && u.current !== undefined ? `${bar(u.current / u.total)} ${u.message}` : u.message;
  }
  note(name: string, message: string) {
    const e = this.tasks.get(name);
    if (e?.task) e.task.output = message;
  }
  warn(name: string, message: string) {
    this.warnings.set(name, [...(this.warnings.get(name) ?? []), message]);
    const e = this.tasks.get(name);
    if (e?.task) e.task.output = `⚠ ${message}`;
  }
  end(o: StageOutcome) {
    this.tasks.get(o.name)?.deferred.resolve(o);
  }
  async finish(ok: boolean, outcomes: StageOutcome[], extra: Record<string, unknown> = {}) {
    if (this.ticker) clearInterval(this.ticker);
    await this.listr;
    // Under the list (whose titles already say what happened): what each stage reported at its
    // end, its warnings, and the log tail of a failure.
    for (const o of outcomes) {
      for (const l of this.summaries.get(o.name) ?? []) this.write(`${o.name}: ${l}\n`);
      for (const w of this.warnings.get(o.name) ?? []) this.write(`⚠ ${o.name}: ${w}\n`);
      if (o.status === 'failed') for (const l of failureLines(o, `${o.name}: `)) this.write(`${l}\n`);
    }
    for (const l of closingLines(ok, outcomes, extra)) this.write(`${l}\n`);
  }
}

function bar(frac: number): string {
  const n = Math.max(0, Math.min(20, Math.round(frac * 20)));
  return `[${'#'.repeat(n)}${'.'.repeat(20 - n)}] ${Math.round(frac * 100)}%`;
}

export function pickReporter(json: boolean, stdout: NodeJS.WriteStream): Reporter {
  const write: Write = (s) => void stdout.write(s);
  if (json) return new JsonReporter(write);
  const plain = !stdout.isTTY || !!process.env.CI || process.env.NO_COLOR !== undefined || process.env.TERM === 'dumb';
  return plain ? new PlainReporter(write) : new TaskListReporter(write);
}
