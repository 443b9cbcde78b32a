// Follows LLaMA-Factory's `<output_dir>/trainer_log.jsonl` while the trainer runs: one JSON object
// per logging step (fields omitted when null; the final summary line has no loss).
import { open } from 'node:fs/promises';
import { z } from 'zod';

export const trainerLogEntrySchema = z
  .object({
    current_steps: z.number().int().min(0),
    total_steps: z.number().int().min(0),
    loss: z.number().optional(),
    lr: z.number().optional(),
    epoch: z.number().optional(),
    percentage: z.number().optional(),
    elapsed_time: z.string().optional(),
    remaining_time: z.string().optional(),
  })
  .passthrough();

export type TrainerLogEntry = z.infer<typeof trainerLogEntrySchema>;

/** Parses one complete line; undefined (with the reason) when it is not a valid entry. */
export function parseTrainerLogLine(line: string): { entry?: TrainerLogEntry; error?: string } {
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { error: 'not JSON' };
  }
  const r = trainerLogEntrySchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { error: `${issue?.path.join('.') || 'line'}: ${issue?.message ?? 'invalid'}` };
  }
  return { entry: r.data };
}

/** `step 120/600 · loss 1.234 · eta 0:41:10` (loss: the latest one seen). */
export function formatProgress(entry: TrainerLogEntry, lastLoss?: number): string {
  const parts = [`step ${entry.current_steps}/${entry.total_steps}`];
  const loss = entry.loss ?? lastLoss;
  if (loss !== undefined) parts.push(`loss ${loss.toFixed(3)}`);
  if (entry.remaining_time !== undefined) parts.push(`eta ${entry.remaining_time}`);
  return parts.join(' · ');
}

export interface LogFollower {
  /** Reads what is left (complete lines only) and stops polling. */
  stop(): Promise<void>;
}

/**
 * Polls `path` from byte 0, calls `onEntry` for each complete valid line, keeps a partially written
 * last line until its newline arrives, and reports invalid lines through `onInvalid`.
 */
export function followTrainerLog(
  path: string,
  onEntry: (e: TrainerLogEntry) => void,
  opts: { intervalMs?: number; onInvalid?: (lineNo: number, reason: string) => void } = {},
): LogFollower {
  let offset = 0;
  let pending = '';
  let lineNo = 0;
  let stopped = false;
  let reading: Promise<void> = Promise.resolve();

  const readNew = async (): Promise<void> => {
    let fh;
    try {
      fh = await open(path, 'r');
    } catch {
      return; // not written yet
    }
    try {
      const { size } = await fh.stat();
      if (size < offset) {
        offset = 0; // truncated or replaced: start over
        pending = '';
        lineNo = 0;
      }
      if (size === offset) return;
      const buf = Buffer.alloc(size - offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, offset);
      offset += bytesRead;
      pending += buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      lineNo++;
      if (line.trim() === '') continue;
      const { entry, error } = parseTrainerLogLine(line);
      if (entry) onEntry(entry);
      else opts.onInvalid?.(lineNo, error ?? 'invalid');
    }
  };

  const tick = (): void => {
    if (stopped) return;
    reading = reading.then(readNew).catch(() => undefined);
    void reading.then(() => {
      if (!stopped) timer = setTimeout(tick, opts.intervalMs ?? 250);
    });
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(tick, 0);

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await reading;
      await readNew().catch(() => undefined);
    },
  };
}
