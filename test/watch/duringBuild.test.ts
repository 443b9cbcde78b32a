// Changes that land while a build runs never cancel it; they queue exactly one more build.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAllWatchers, startWatch, statuses, waitUntil } from './watchProcess.js';
import type { BuildEvent } from './watchProcess.js';
import { gathered, removeSmallWorkspaces, smallWorkspace, startsOf } from './smallDag.js';

afterEach(killAllWatchers);

/** The paths a build reports as changed, sorted (the kind of a new file is changeKinds.test.ts's job). */
const changedPaths = (b: BuildEvent) => b.changed.map((c) => c.path).sort();
afterAll(removeSmallWorkspaces);

test('changes during a running build cause exactly one more build, after it', async () => {
  // gather sleeps 1.2 s after writing its out: long enough to change files while it runs.
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' }, 'slow:\n  seconds: 1.2\n');
  const w = startWatch(ws, ['--debounce', '100']);
  expect((await w.waitForBuild(1)).ok).toBe(true);

  await writeFile(join(ws, 'in', 'b.txt'), 'beta\n');
  await waitUntil(async () => (await startsOf(ws, 'gather')) === 2, 'gather to start its second run');
  // Two changes while that run sleeps, further apart than the debounce.
  await writeFile(join(ws, 'in', 'c.txt'), 'gamma\n');
  await new Promise((r) => setTimeout(r, 300));
  await writeFile(join(ws, 'in', 'd.txt'), 'delta\n');
  await new Promise((r) => setTimeout(r, 150));
  // Precondition: both landed while build #2 was still running.
  expect(w.builds()).toHaveLength(1);

  const second = await w.waitForBuild(2);
  expect(second.ok).toBe(true);
  expect(changedPaths(second)).toEqual(['in/b.txt']);
  expect(statuses(second)).toEqual({ gather: 'ran', count: 'ran' });

  const third = await w.waitForBuild(3);
  expect(third.ok).toBe(true);
  expect(changedPaths(third)).toEqual(['in/c.txt', 'in/d.txt']);
  expect(statuses(third)).toEqual({ gather: 'ran', count: 'ran' });
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/b.txt: beta', 'in/c.txt: gamma', 'in/d.txt: delta']);

  // Nothing else was queued: the next build is the one a later change causes, and it is #4.
  await writeFile(join(ws, 'in', 'e.txt'), 'epsilon\n');
  const fourth = await w.waitForEvent((e) => e.event === 'build' && e.n >= 4, 'the build after the queued one');
  expect(fourth.event === 'build' && [fourth.n, changedPaths(fourth)]).toEqual([4, ['in/e.txt']]);
  expect(await startsOf(ws, 'gather')).toBe(4);
  expect((await w.stop()).code).toBe(130);
});
