// Watch benchmark: time from writing a new fan-fiction file to the dataset reflecting it.
// (Being written; see bench/watch-main.ts.)
import { BenchError } from './lib/benchError.js';

export async function bench(_args: string[]): Promise<void> {
  throw new BenchError('bench watch: not written yet');
}
