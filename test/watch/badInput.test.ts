// A bad input file fails the stage that reads it, the rebuild says why, the old outs stay, and the
// watcher goes on: fixing the file brings everything up to date.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAllWatchers, processGone, startWatch, statuses } from './watchProcess.js';
import { gathered, readOut, removeSmallWorkspaces, smallWorkspace } from './smallDag.js';

afterEach(killAllWatchers);
afterAll(removeSmallWorkspaces);

test('a bad file is reported, the outs are kept, and watching goes on until it is fixed', async () => {
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' });
  const w = startWatch(ws, ['--debounce', '100']);
  expect((await w.waitForBuild(1)).ok).toBe(true);

  await writeFile(join(ws, 'in', 'b.txt'), 'this one is BAD\n');
  const failed = await w.waitForBuild(2);
  expect(failed.ok).toBe(false);
  expect(statuses(failed)).toEqual({ gather: 'failed', count: 'blocked' });
  expect(failed.stages.find((s) => s.name === 'gather')?.reason).toBe('in/b.txt: a line says BAD; fix or remove the file');
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha']);
  expect(await readOut(ws, 'out/count.txt')).toBe('1\n');
  expect(processGone(w.pid)).toBe(false);

  await writeFile(join(ws, 'in', 'b.txt'), 'this one is fine\n');
  const fixed = await w.waitForBuild(3);
  expect(fixed.ok).toBe(true);
  expect(statuses(fixed)).toEqual({ gather: 'ran', count: 'ran' });
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/b.txt: this one is fine']);
  expect(await readOut(ws, 'out/count.txt')).toBe('2\n');
  expect((await w.stop()).code).toBe(130);
});
