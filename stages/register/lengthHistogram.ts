// Exact percentiles over many integer lengths in memory bounded by the number of distinct values.
export interface Percentiles {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

export class LengthHistogram {
  private readonly counts = new Map<number, number>();
  private n = 0;

  add(length: number, times = 1): void {
    this.counts.set(length, (this.counts.get(length) ?? 0) + times);
    this.n += times;
  }

  merge(other: LengthHistogram): void {
    for (const [len, c] of other.counts) this.add(len, c);
  }

  get count(): number {
    return this.n;
  }

  /** Nearest-rank percentiles (p in 0..100); zeros when empty. */
  summary(): Percentiles {
    if (this.n === 0) return { count: 0, p50: 0, p95: 0, max: 0 };
    const sorted = [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
    const rank = (p: number): number => {
      const target = Math.max(1, Math.ceil((p / 100) * this.n));
      let seen = 0;
      for (const [len, c] of sorted) {
        seen += c;
        if (seen >= target) return len;
      }
      return sorted[sorted.length - 1]![0];
    };
    return { count: this.n, p50: rank(50), p95: rank(95), max: sorted[sorted.length - 1]![0] };
  }
}
