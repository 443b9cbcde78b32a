// Watch never starts a GPU stage unless it is named as a target and --gpu is given.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAllWatchers, startWatch, statuses, type BuildEvent } from './watchProcess.js';
import { readOut, removeSmallWorkspaces, smallWorkspace, SMALL_PIPELINE_WITH_GPU_TS, startsOf } from './smallDag.js';

afterEach(killAllWatchers);
afterAll(removeSmallWorkspaces);

const workspace = () => smallWorkspace({ 'in/a.txt': 'alpha\n' }, '# gpu watch test\n', SMALL_PIPELINE_WITH_GPU_TS);

test('by default the GPU stage is not watched or run', async () => {
  const ws = await workspace();
  const w = startWatch(ws, ['--debounce', '100', '--gpus', '0']);
  const ready = await w.waitForEvent((e) => e.event === 'watching', 'the watching event');
  expect(ready.event === 'watching' && ready.targets).toEqual(['gather', 'count']);
  const first = await w.waitForBuild(1);
  expect(statuses(first)).toEqual({ gather: 'ran', count: 'ran' });
  await writeFile(join(ws, 'in', 'b.txt'), 'beta\n');
  expect(statuses(await w.waitForBuild(2))).toEqual({ gather: 'ran', count: 'ran' });
  expect(await startsOf(ws, 'fit')).toBe(0);
  expect((await w.stop()).code).toBe(130);
});

test('a GPU stage named as a target is skipped without --gpu, and runs on its devices with it', async () => {
  const ws = await workspace();
  const noGpu = startWatch(ws, ['fit', '--debounce', '100', '--gpus', '0']);
  const skipped: BuildEvent = await noGpu.waitForBuild(1);
  expect(skipped.ok).toBe(true);
  expect(statuses(skipped)).toEqual({ gather: 'ran', count: 'ran', fit: 'skipped' });
  expect(await startsOf(ws, 'fit')).toBe(0);
  expect((await noGpu.stop()).code).toBe(130);

  const withGpu = startWatch(ws, ['fit', '--gpu', '--debounce', '100', '--gpus', '0']);
  const ran = await withGpu.waitForBuild(1);
  expect(ran.ok).toBe(true);
  expect(statuses(ran)).toEqual({ gather: 'fresh', count: 'fresh', fit: 'ran' });
  expect(await readOut(ws, 'out/fit.txt')).toBe('devices=0\n');
  expect((await withGpu.stop()).code).toBe(130);
});
