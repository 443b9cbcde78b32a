// What the runner tells the outside world; reporters turn it into a task list, lines or JSON.
import type { ProgressUpdate } from './api.js';
import type { Reason } from './reasons.js';

interface OutcomeBase {
  name: string;
  /** `reasons` rendered for people. */
  reason: string;
  /** Why the stage was due (empty when it was not evaluated or was fresh). */
  reasons: Reason[];
  ms: number;
  key?: string;
}

/** Why a stage failed. */
export type Failure =
  | { kind: 'evaluate'; message: string }
  | { kind: 'preflight'; message: string }
  | { kind: 'missing-deps'; paths: string[] }
  | { kind: 'gpus'; needed: number; available: number; from: string }
  /** The stage broke its contract (wrote outside its outs, read an undeclared param). */
  | { kind: 'contract'; message: string }
  /** The run cache held this key but its outputs could not be put in place (refused or damaged). */
  | { kind: 'restore'; message: string }
  | { kind: 'run'; message: string; log: string; logTail: string[] }
  | { kind: 'interrupted'; log: string; logTail: string[] };

export type StageOutcome =
  | (OutcomeBase & { status: 'ran' | 'fresh' | 'restored'; key: string })
  | (OutcomeBase & { status: 'skipped'; /** Dry run: this stage would run or restore. */ wouldWork?: boolean })
  | (OutcomeBase & { status: 'blocked' })
  | (OutcomeBase & { status: 'failed'; failure: Failure; /** The failure, for people. */ error: string; log?: string; logTail?: string[] });

export type StageStatus = StageOutcome['status'];

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

/** The failure, for people. */
export function failureMessage(f: Failure): string {
  switch (f.kind) {
    case 'evaluate':
    case 'preflight':
    case 'contract':
    case 'restore':
    case 'run':
      return f.message;
    case 'missing-deps':
      return `dep ${f.paths.map((d) => `'${d}'`).join(', ')} does not exist and no selected stage produces it`;
    case 'gpus':
      return `needs ${f.needed} GPU(s) but the pool has ${f.available} (${f.from}). Give it devices with \`gpus: [0]\` in pipeline.yaml or \`--gpus 0\`, or pass --cpu-only to skip GPU stages.`;
    case 'interrupted':
      return 'interrupted';
    default: {
      const never: never = f;
      throw new Error(`unknown failure ${JSON.stringify(never)}`);
    }
  }
}
