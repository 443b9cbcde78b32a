// Ctrl-C during a rebuild: the watcher exits 130, ends the stage's child, promotes nothing, records
// nothing for the interrupted stage and leaves the previous outs intact.
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pidIn } from '../helpers/processes.js';
import { runCli } from '../helpers/workspace.js';
import { killAllWatchers, processGone, startWatch, waitUntil } from './watchProcess.js';
import { readOut, removeSmallWorkspaces, smallWorkspace, startsOf } from './smallDag.js';

const leftovers: number[] = [];
afterEach(async () => {
  await killAllWatchers();
  for (const pid of leftovers.splice(0)) if (!processGone(pid)) process.kill(pid, 'SIGKILL');
});
afterAll(removeSmallWorkspaces);

const list = (dir: string) => readdir(dir).catch(() => [] as string[]);

test('SIGINT during a rebuild exits 130 with no partial output and the old outs intact', async () => {
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' }, 'slow:\n  seconds: 0\n');
  const w = startWatch(ws, ['--debounce', '100']);
  expect((await w.waitForBuild(1)).ok).toBe(true);
  const before = { all: await readOut(ws, 'out/all.txt'), count: await readOut(ws, 'out/count.txt') };
  const stateBefore = await readFile(join(ws, '.pipeline', 'state', 'gather.json'), 'utf8');
  expect(await list(join(ws, 'cache', 'runs', 'gather'))).toHaveLength(1);

  // A rebuild whose gather has written its (staged) out and then sleeps for a long time.
  await writeFile(join(ws, 'in', 'b.txt'), 'beta\n');
  await writeFile(join(ws, 'pipeline.yaml'), 'slow:\n  seconds: 60\n');
  await waitUntil(async () => (await startsOf(ws, 'gather')) === 2 && pidIn(join(ws, 'sleep.pid')) !== undefined, 'the slow gather to start sleeping');
  const sleepPid = pidIn(join(ws, 'sleep.pid'))!;
  leftovers.push(sleepPid);
  expect(processGone(sleepPid)).toBe(false);

  const t0 = Date.now();
  w.child.kill('SIGINT');
  const end = await w.exited;
  expect(end.code).toBe(130);
  expect(Date.now() - t0).toBeLessThan(10_000);
  expect(processGone(sleepPid)).toBe(true);

  // The interrupted rebuild, if reported at all, is reported as not ok with nothing run; nothing
  // was promoted or recorded.
  const after = w.builds().filter((b) => b.n > 1);
  expect(after.length).toBeLessThanOrEqual(1);
  for (const b of after) {
    expect(b.ok).toBe(false);
    expect(b.stages.filter((s) => s.status === 'ran' || s.status === 'restored')).toEqual([]);
    expect(b.stages.find((s) => s.name === 'gather')?.reason).toMatch(/interrupted/);
  }
  expect(await readOut(ws, 'out/all.txt')).toBe(before.all);
  expect(await readOut(ws, 'out/count.txt')).toBe(before.count);
  expect(await readFile(join(ws, '.pipeline', 'state', 'gather.json'), 'utf8')).toBe(stateBefore);
  expect(await list(join(ws, 'cache', 'runs', 'gather'))).toHaveLength(1);
  expect((await list(join(ws, '.pipeline', 'staging'))).filter((d) => d.startsWith('gather-'))).toEqual([]);
  expect(existsSync(join(ws, '.pipeline', 'lock'))).toBe(false);
  expect(w.stderr()).not.toMatch(/^\s+at .*:\d+:\d+\)?$/m);

  // The interrupted work is simply still to do.
  const st = await runCli(ws, ['status', '--json'], { env: { PIPELINE_CACHE_DIR: undefined } });
  expect(st.code).toBe(0);
  const gather = (JSON.parse(st.stdout) as { stages: Array<{ name: string; state: string; reason?: string }> }).stages.find((s) => s.name === 'gather');
  expect(gather?.state).toBe('stale');
  expect(gather?.reason).toContain('in/b.txt');
});

test('SIGINT while the first build still runs (the watcher just started) exits 130, not killed by the signal', async () => {
  // The first build sleeps 1 s in gather: the signal surely lands inside it.
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' }, 'slow:\n  seconds: 1\n');
  const w = startWatch(ws, ['--debounce', '100']);
  await w.waitForEvent((e) => e.event === 'watching', 'the watching event');
  w.child.kill('SIGINT');
  const end = await w.exited;
  expect(end).toEqual({ code: 130, signal: null });
  expect(existsSync(join(ws, '.pipeline', 'lock'))).toBe(false);
});
