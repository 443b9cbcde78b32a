// What `pipeline exp run` shows: one live line per experiment on a terminal (its stage, and for a
// training step/total, loss and ETA as the stage reports them), plain lines elsewhere, or JSON
// lines (`--json`) whose every event carries the experiment's name.
import type { ProgressUpdate } from '../api.js';
import type { Reporter, StageOutcome } from '../events.js';
import { JsonReporter } from '../reporters.js';

export type BoardMode = 'json' | 'tty' | 'plain';

export interface ExperimentBoard {
  reporter(name: string): Reporter;
  /** An experiment finished (or stopped). */
  done(name: string, event: Record<string, unknown> & { status: string }): void;
  close(): void;
}

export function pickMode(json: boolean, out: NodeJS.WriteStream | NodeJS.WritableStream): BoardMode {
  if (json) return 'json';
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  return tty && !process.env.CI && !process.env.NO_COLOR && process.env.TERM !== 'dumb' ? 'tty' : 'plain';
}

const fmtS = (ms: number) => (ms < 60_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`);

export function makeBoard(mode: BoardMode, out: NodeJS.WritableStream, names: readonly string[]): ExperimentBoard {
  const write = (s: string) => void out.write(s);
  if (mode === 'json') {
    const tagged = (name: string) => (s: string) => write(`{"experiment":${JSON.stringify(name)},${s.slice(1)}`);
    return {
      reporter: (name) => new JsonReporter(tagged(name)),
      done: (name, event) => tagged(name)(`${JSON.stringify({ event: 'experiment', ...event })}\n`),
      close: () => undefined,
    };
  }
  const width = Math.max(4, ...names.map((n) => n.length));
  const lines = new Map<string, string>(names.map((n) => [n, 'queued']));
  let drawn = 0;
  let timer: NodeJS.Timeout | undefined;
  const draw = () => {
    timer = undefined;
    let s = drawn > 0 ? `\x1b[${drawn}F` : '';
    for (const n of names) s += `\x1b[2K${n.padEnd(width)}  ${lines.get(n) ?? ''}\n`;
    drawn = names.length;
    write(s);
  };
  const set = (name: string, text: string, plain?: string) => {
    lines.set(name, text);
    if (mode === 'tty') timer ??= setTimeout(draw, 100);
    else if (plain !== undefined) write(`[${name}] ${plain}\n`);
  };
  const printed = new Map<string, number>();
  const reporter = (name: string): Reporter => ({
    begin: () => set(name, 'starting'),
    working: (stage, action) => set(name, `${stage}: ${action === 'run' ? 'running' : 'restoring'}`, `${stage}: ${action === 'run' ? 'running' : 'restoring'}`),
    progress: (stage, u: ProgressUpdate) => {
      // Plain lines: a training's progress at most once per quarter.
      const q = u.total ? Math.floor(((u.current ?? 0) / u.total) * 4) : -1;
      const key = `${name}\0${stage}`;
      const show = !u.summary && q >= 0 && q > (printed.get(key) ?? -1);
      if (show) printed.set(key, q);
      set(name, `${stage}: ${u.message}`, show ? `${stage}: ${u.message}` : undefined);
    },
    note: (stage, message) => set(name, `${stage}: ${message}`),
    warn: (stage, message) => (mode === 'tty' ? lines.set(name, `${stage}: warning: ${message}`) : write(`[${name}] ${stage}: warning: ${message}\n`)),
    end: (o: StageOutcome) => set(name, `${o.name} ${o.status}`, `${o.name} ${o.status}${o.status === 'failed' ? `: ${o.error}` : ''} (${fmtS(o.ms)})`),
    finish: async () => undefined,
  });
  return {
    reporter,
    done: (name, e) => {
      const tail = e.status === 'failed' ? `: ${String(e.failed_stage ?? '')} ${String(e.error ?? '')}`.trimEnd() : '';
      set(name, `${e.status}${tail}${typeof e.ms === 'number' ? ` (${fmtS(e.ms)})` : ''}`, `${e.status}${tail}`);
    },
    close: () => {
      if (timer) clearTimeout(timer);
      if (mode === 'tty') draw();
    },
  };
}
