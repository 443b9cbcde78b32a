// jest globalTeardown: the suite's own TMPDIR (globalSetup.ts) must be empty. Anything left there
// (a test's workspace, a temp file of the CLI a test ran, a browser profile) fails the run, named,
// and is then removed so nothing stays on the machine.
import { readdirSync, rmSync } from 'node:fs';

export default function teardown(): void {
  const dir = process.env.PIPELINE_TEST_SUITE_TMPDIR;
  if (!dir) return;
  const left = readdirSync(dir).sort();
  rmSync(dir, { recursive: true, force: true });
  if (process.env.PIPELINE_TEST_SYSTEM_TMPDIR) process.env.TMPDIR = process.env.PIPELINE_TEST_SYSTEM_TMPDIR;
  if (left.length > 0) {
    throw new Error(`the test suite left ${left.length} temp entr${left.length === 1 ? 'y' : 'ies'} in its TMPDIR (now removed): ${left.join(', ')}`);
  }
}
