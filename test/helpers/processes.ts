// Process helpers shared by tests that check no child outlives what it belongs to.
import { readFileSync } from 'node:fs';

/**
 * The pid a child wrote to `path` (`echo $$ > file`), or undefined while the file is missing or
 * not yet written in full: the shell creates the file before it writes the number, so a test that
 * waits for the file to exist can read it empty.
 */
export function pidIn(path: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  if (!/^\d+\n$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 ? n : undefined;
}

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
