// Small statistics over repeated measurements (milliseconds or any other unit).

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] as number;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] as number) + hi) / 2;
}

export function summarize(values: readonly number[]): Summary {
  return { n: values.length, median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** `a / b`, or undefined when either side is missing or b is 0. */
export function ratio(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined || b === undefined || b === 0) return undefined;
  return a / b;
}

/** Decimal throughput in GB/s (1 GB = 1e9 bytes), or undefined for a non-positive duration. */
export function gbPerSecond(bytes: number, ms: number): number | undefined {
  return ms > 0 ? bytes / 1e9 / (ms / 1000) : undefined;
}
