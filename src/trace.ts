// PIPELINE_TRACE=1: phase timings of a run on stderr (ms since the process started), for finding
// where the time of a slow run goes. Free when unset.
export const tracing = !!process.env.PIPELINE_TRACE;

export function trace(label: string): void {
  if (tracing) process.stderr.write(`trace ${performance.now().toFixed(1).padStart(8)} ms  ${label}\n`);
}
