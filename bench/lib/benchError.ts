// Expected failures of a benchmark (missing tool, bad flag, a tool that misbehaved): printed as
// their message, without a stack trace. Ctrl-C ends the runs in flight and exits 130.
import { endRunsInFlight } from './timeCommand.js';

export class BenchError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'BenchError';
  }
}

/**
 * Runs a bench entry point: BenchError → its message and exit code; anything else → stack, 1;
 * SIGINT/SIGTERM → the process trees of the runs in flight are ended, exit 130.
 */
export async function runBenchMain(fn: () => Promise<void>): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      endRunsInFlight('SIGTERM');
      process.stderr.write(`bench: interrupted (${sig}); the scratch directory is left as it is\n`);
      process.exit(130);
    });
  }
  try {
    await fn();
  } catch (err) {
    if (err instanceof BenchError) {
      process.stderr.write(`bench: ${err.message}\n`);
      process.exitCode = err.exitCode;
    } else {
      process.stderr.write(`bench: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exitCode = 1;
    }
  }
}
