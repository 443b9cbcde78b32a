// What the runner tells the outside world; reporters turn it into a task list, lines or JSON.
import type { ProgressUpdate } from './api.js';

export type StageStatus = 'ran' | 'fresh' | 'restored' | 'skipped' | 'failed' | 'blocked';

export interface StageOutcome {
  name: string;
  status: StageStatus;
  reason: string;
  ms: number;
  /** For failures: the message, and where the full log is. */
  error?: string;
  log?: string;
  logTail?: string[];
  key?: string;
  /** Dry run: this stage would run or restore. */
  wouldWork?: boolean;
}

export interface Reporter {
  /** The stages this run will consider, in order. */
  begin(stages: string[]): void;
  /** A stage is about to do work (run or restore), and why. */
  working(name: string, action: 'run' | 'restore', reason: string): void;
  progress(name: string, update: ProgressUpdate): void;
  /** A free-form line about a stage (e.g. waiting for GPUs). */
  note(name: string, message: string): void;
  /** Something the user must see (ctx.warn): a skipped input, a lossy step. */
  warn?(name: string, message: string): void;
  end(outcome: StageOutcome): void;
  /** Called once at the end; resolves when all output is flushed. */
  finish(ok: boolean, outcomes: StageOutcome[], extra?: Record<string, unknown>): Promise<void>;
}
