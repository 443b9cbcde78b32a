// Expected failures of a benchmark (missing tool, bad flag, a tool that misbehaved): printed as
// their message, without a stack trace.

export class BenchError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'BenchError';
  }
}

/** Runs a bench entry point: BenchError → its message and exit code; anything else → stack, 1. */
export async function runBenchMain(fn: () => Promise<void>): Promise<void> {
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
