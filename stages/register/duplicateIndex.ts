// Exact duplicate samples within and across datasets, keyed by a digest of the sample's content
// (system prompt and turns), so memory grows with the number of samples, not their size.
import { createHash } from 'node:crypto';
import type { Sample } from './sampleRules.js';

export interface DuplicateRef {
  dataset: string;
  index: number;
}

interface Seen {
  first: DuplicateRef;
  /** Bit i set: dataset number i holds this sample. */
  mask: number;
}

export function sampleDigest(sample: Sample): string {
  let text = sample.system ?? '';
  for (const t of sample.conversations) text += `\u0000${t.from}\u0000${t.value}`;
  return createHash('sha1').update(text).digest('base64');
}

export class DuplicateIndex {
  private readonly seen = new Map<string, Seen>();
  private readonly datasetBits = new Map<string, number>();

  private bit(dataset: string): number {
    let b = this.datasetBits.get(dataset);
    if (b === undefined) {
      b = this.datasetBits.size;
      if (b >= 31) throw new Error('duplicate detection supports at most 31 datasets');
      this.datasetBits.set(dataset, b);
    }
    return b;
  }

  /** Records a sample; returns where it was seen first when it is a duplicate. */
  add(dataset: string, index: number, digest: string): DuplicateRef | undefined {
    const bit = 1 << this.bit(dataset);
    const prev = this.seen.get(digest);
    if (!prev) {
      this.seen.set(digest, { first: { dataset, index }, mask: bit });
      return undefined;
    }
    prev.mask |= bit;
    return prev.first;
  }

  /** Distinct samples present in at least two of the given datasets. */
  sharedAcross(datasets: readonly string[]): number {
    let mask = 0;
    for (const d of datasets) {
      const b = this.datasetBits.get(d);
      if (b !== undefined) mask |= 1 << b;
    }
    let n = 0;
    for (const s of this.seen.values()) {
      const m = s.mask & mask;
      if (m !== 0 && (m & (m - 1)) !== 0) n++;
    }
    return n;
  }
}
