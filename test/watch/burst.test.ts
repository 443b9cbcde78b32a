// A burst of 50 new files is debounced into at most two rebuilds, and none of them is lost.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAllWatchers, startWatch, statuses, waitUntil, type BuildEvent } from './watchProcess.js';
import { gathered, readOut, removeSmallWorkspaces, smallWorkspace, startsOf } from './smallDag.js';

afterEach(killAllWatchers);
afterAll(removeSmallWorkspaces);

test('a burst of 50 files causes at most two rebuilds, which together see every file', async () => {
  const ws = await smallWorkspace({ 'in/000-seed.txt': 'seed\n' });
  const w = startWatch(ws, ['--debounce', '100']);
  expect((await w.waitForBuild(1)).ok).toBe(true);

  const names = Array.from({ length: 50 }, (_, i) => `burst-${String(i).padStart(2, '0')}.txt`);
  await Promise.all(names.map((n, i) => writeFile(join(ws, 'in', n), `file ${i}\n`)));
  await waitUntil(async () => (await gathered(ws)).length === 51, 'out/all.txt to list all 51 files');

  // A sentinel written after the burst was fully built: the build that reports it comes right after
  // the burst's builds, so counting the builds before it counts the burst's builds exactly.
  await writeFile(join(ws, 'in', 'zz-sentinel.txt'), 'sentinel\n');
  const sentinel = (await w.waitForEvent(
    (e) => e.event === 'build' && e.changed.some((c) => c.path === 'in/zz-sentinel.txt'),
    'the build of the sentinel file',
  )) as BuildEvent;
  expect(sentinel.changed).toEqual([{ path: 'in/zz-sentinel.txt', kind: 'added' }]);

  const burstBuilds = w.builds().filter((b) => b.n > 1 && b.n < sentinel.n);
  expect(burstBuilds.length).toBeGreaterThanOrEqual(1);
  expect(burstBuilds.length).toBeLessThanOrEqual(2);
  expect(burstBuilds.every((b) => b.ok && statuses(b).gather === 'ran')).toBe(true);
  // Every file is reported by exactly one of them (the kind of a new file is changeKinds.test.ts's job).
  const reported = burstBuilds.flatMap((b) => b.changed.map((c) => c.path)).sort();
  expect(reported).toEqual(names.map((n) => `in/${n}`));

  expect(await gathered(ws)).toHaveLength(52);
  expect(await readOut(ws, 'out/count.txt')).toBe('52\n');
  expect(await startsOf(ws, 'gather')).toBe(sentinel.n);
  expect((await w.stop()).code).toBe(130);
});
