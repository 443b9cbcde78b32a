// The one owner of the test suite's temporary directories. Every temp dir a test makes goes through
// here and is removed after its test file (jest runs `removeTempDirs` in an afterAll of every file:
// test/helpers/afterEachFile.ts). The whole suite runs with TMPDIR set to a directory of its own
// (test/helpers/globalSetup.ts, checked by globalTeardown.ts), so that whatever a test, the CLI it starts or a browser leaves behind
// is found at the end of the run and fails it.
import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();

/** A new directory under the temp dir (by its real path), removed after the current test file. */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  made.add(dir);
  return dir;
}

/** Removes every directory made (or adopted) so far; safe to call more than once. */
export async function removeTempDirs(): Promise<void> {
  const dirs = [...made];
  made.clear();
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })));
}

/**
 * Temp directories of one test file, removed at the end: `const temp = tempDirs(); afterAll(temp.removeAll);`
 * (they would be removed after the file anyway; removeAll makes it explicit and earlier).
 */
export function tempDirs(): { make(prefix: string): Promise<string>; adopt(dir: string): void; removeAll(): Promise<void> } {
  const mine: string[] = [];
  return {
    async make(prefix) {
      const dir = await makeTempDir(prefix);
      mine.push(dir);
      return dir;
    },
    adopt(dir) {
      made.add(dir);
      mine.push(dir);
    },
    async removeAll() {
      const dirs = mine.splice(0);
      for (const d of dirs) made.delete(d);
      await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 })));
    },
  };
}
