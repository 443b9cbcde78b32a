// Process helpers shared by tests that check no child outlives what it belongs to.
import { readFileSync } from 'node:fs';

/** True when no live process has this pid (a zombie counts as gone: it holds nothing). */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  try {
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return st.slice(st.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}
