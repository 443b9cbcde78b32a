// jest globalSetup: the suite runs with TMPDIR pointing at a directory of its own, which
// globalTeardown.ts requires to be empty at the end (tests make temp dirs through tempDirs.ts,
// which removes them). Self-contained: jest loads this file outside the test module system.
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default async function setup(): Promise<void> {
  const system = tmpdir();
  // The test browser (test/helpers/browser.ts) unpacks itself into the machine's temp dir once, to
  // be reused by later runs: done here, before TMPDIR changes (test files see a copy of the
  // environment, so they cannot point the unpacker elsewhere themselves).
  const chromium = (await import('@sparticuz/chromium')).default;
  process.env.PIPELINE_TEST_CHROMIUM = await chromium.executablePath();
  process.env.FONTCONFIG_PATH ??= join(system, 'fonts');
  const dir = realpathSync(mkdtempSync(join(system, 'pl-suite-')));
  process.env.PIPELINE_TEST_SYSTEM_TMPDIR = system;
  process.env.PIPELINE_TEST_SUITE_TMPDIR = dir;
  process.env.TMPDIR = dir;
}
