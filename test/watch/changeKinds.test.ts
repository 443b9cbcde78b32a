// What a rebuild reports as changed is what happened to the file over the whole debounce window,
// not the last low-level event: a file created and then written to is still "added".
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { changeList, killAllWatchers, startWatch, waitUntil } from './watchProcess.js';
import { gathered, removeSmallWorkspaces, smallWorkspace } from './smallDag.js';

afterEach(killAllWatchers);
afterAll(removeSmallWorkspaces);

test('a file created and then written to within one debounce window is reported as added', async () => {
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' });
  // A long window, so the second write surely lands inside it after the watcher saw the file appear.
  const w = startWatch(ws, ['--debounce', '1500']);
  expect((await w.waitForBuild(1)).ok).toBe(true);

  const file = join(ws, 'in', 'b.txt');
  await writeFile(file, 'first part');
  await new Promise((r) => setTimeout(r, 500));
  await appendFile(file, ', second part\n');
  const b = await w.waitForBuild(2);
  expect(changeList(b)).toEqual(['added in/b.txt']);
  await waitUntil(async () => (await gathered(ws)).includes('in/b.txt: first part, second part'), 'out/all.txt to hold both parts');
  expect(w.builds()).toHaveLength(2);
  expect((await w.stop()).code).toBe(130);
});
