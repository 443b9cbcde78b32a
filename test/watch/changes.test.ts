// A real watcher follows additions, edits, renames and deletions, one rebuild per change, running
// only what is stale; the plain (non-JSON) mode prints one line per rebuild.
import { rename, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { changeList, killAllWatchers, startWatch, statuses, waitUntil } from './watchProcess.js';
import { gathered, readOut, removeSmallWorkspaces, smallWorkspace, startsOf } from './smallDag.js';

afterEach(killAllWatchers);
afterAll(removeSmallWorkspaces);

test('a new file, an edit, a rename and a deletion each cause one rebuild that reflects them', async () => {
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' });
  const w = startWatch(ws, ['--debounce', '100']);

  const ready = await w.waitForEvent((e) => e.event === 'watching', 'the watching event');
  expect(ready).toMatchObject({ targets: ['gather', 'count'] });
  expect(ready.event === 'watching' && ready.paths).toEqual(expect.arrayContaining(['pipeline.yaml', 'in']));

  const first = await w.waitForBuild(1);
  expect(first.ok).toBe(true);
  expect(statuses(first)).toEqual({ gather: 'ran', count: 'ran' });
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha']);

  // A new file.
  await writeFile(join(ws, 'in', 'b.txt'), 'beta\n');
  const added = await w.waitForBuild(2);
  expect(changeList(added)).toEqual(['added in/b.txt']);
  expect(statuses(added)).toEqual({ gather: 'ran', count: 'ran' });
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/b.txt: beta']);
  expect(await readOut(ws, 'out/count.txt')).toBe('2\n');

  // An edit.
  await writeFile(join(ws, 'in', 'b.txt'), 'beta, edited\n');
  const edited = await w.waitForBuild(3);
  expect(changeList(edited)).toEqual(['changed in/b.txt']);
  expect(statuses(edited)).toEqual({ gather: 'ran', count: 'ran' });
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/b.txt: beta, edited']);

  // A rename: the old name is gone, the new one present, in one rebuild.
  await rename(join(ws, 'in', 'b.txt'), join(ws, 'in', 'c.txt'));
  const renamed = await w.waitForBuild(4);
  expect(changeList(renamed)).toEqual(['added in/c.txt', 'removed in/b.txt']);
  expect(statuses(renamed)).toEqual({ gather: 'ran', count: 'ran' });
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/c.txt: beta, edited']);

  // A deletion.
  await rm(join(ws, 'in', 'a.txt'));
  const removed = await w.waitForBuild(5);
  expect(changeList(removed)).toEqual(['removed in/a.txt']);
  expect(statuses(removed)).toEqual({ gather: 'ran', count: 'ran' });
  expect(await gathered(ws)).toEqual(['in/c.txt: beta, edited']);
  expect(await readOut(ws, 'out/count.txt')).toBe('1\n');

  // Touching a file without changing it runs nothing.
  const later = new Date(Date.now() + 5_000);
  await utimes(join(ws, 'in', 'c.txt'), later, later);
  const touched = await w.waitForBuild(6);
  expect(changeList(touched)).toEqual(['changed in/c.txt']);
  expect(statuses(touched)).toEqual({ gather: 'fresh', count: 'fresh' });

  expect(w.builds()).toHaveLength(6);
  expect(await startsOf(ws, 'gather')).toBe(5);
  expect(await startsOf(ws, 'count')).toBe(5);
  expect(w.builds().every((b) => b.ok)).toBe(true);

  const end = await w.stop();
  expect(end.code).toBe(130);
});

test('without --json, each rebuild prints one line: what changed, what ran, how long', async () => {
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' });
  const w = startWatch(ws, ['--debounce', '100'], { json: false });
  const buildLine = (n: number) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d #${n} .*$`, 'gm');
  await waitUntil(() => buildLine(1).test(w.stdout()), `the line of rebuild #1\n${w.stdout()}${w.stderr()}`);
  expect(w.stdout()).toMatch(/watching .*gather, count/);

  await writeFile(join(ws, 'in', 'new.txt'), 'new\n');
  await waitUntil(() => buildLine(2).test(w.stdout()), 'the line of rebuild #2');
  const lines = w.stdout().match(buildLine(2)) ?? [];
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/#2 added in\/new\.txt → gather ran, count ran \((\d+ms|\d+\.\ds)\)$/);
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/new.txt: new']);
  expect((await w.stop()).code).toBe(130);
});
