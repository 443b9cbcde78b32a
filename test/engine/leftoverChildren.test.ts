// A program that exits 0 but leaves a background child holding its stdout (a trainer's stray
// dataloader worker, a daemon) must not hold up the stage: once the leader exits, its process
// group is ended after a short grace, and output reading never blocks completion (#14 item 6).
import { join } from 'node:path';
import { dagSource, engineWorkspace, exists, killIfAlive, pidIn, processGone, read, readPid, removeWorkspaces, runJson, waitFor } from './fixtures.js';

/**
 * `leaky` runs a shell that starts a sleeper in the background (in the shell's process group,
 * inheriting its stdout and stderr), writes the sleeper's pid, prints a line and exits 0.
 * `escaped` does the same with a sleeper that leaves the group (setsid), so only "stop reading"
 * can end the wait for its pipes.
 */
const DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'leaky', deps: ['in'], outs: ['out/leaky.txt'],
      async run(ctx) {
        await sh(ctx, 'sleep 300 & echo $! > "$1"; echo leader done', join(ctx.workspace, 'leaky.pid'));
        await writeFile(ctx.out('out/leaky.txt'), 'ok\\n');
      } }),
    defineStage({ name: 'escaped', deps: ['in'], outs: ['out/escaped.txt'],
      async run(ctx) {
        await sh(ctx, 'setsid sh -c \\'echo $$ > "$0"; exec sleep 300\\' "$1" & echo leader done', join(ctx.workspace, 'escaped.pid'));
        await writeFile(ctx.out('out/escaped.txt'), 'ok\\n');
      } }),`,
);

const leftovers: number[] = [];
afterAll(async () => {
  for (const pid of leftovers) killIfAlive(pid);
  await removeWorkspaces();
});

test('a leader that exits 0 with a sleeper holding its stdout: the stage completes and the sleeper is ended', async () => {
  const ws = await engineWorkspace(DAG, { 'in/a.txt': 'alpha\n' });
  const t0 = Date.now();
  const r = await runJson(ws, ['leaky']);
  const ms = Date.now() - t0;
  if (exists(ws, 'leaky.pid')) leftovers.push(readPid(join(ws, 'leaky.pid')));
  expect(r.code).toBe(0);
  expect(r.summary.stages.find((s) => s.name === 'leaky')?.status).toBe('ran');
  // Without the fix the run waits the sleeper's 300 s; with it, one grace period plus start-up.
  expect(ms).toBeLessThan(60_000);
  const sleeper = readPid(join(ws, 'leaky.pid'));
  await waitFor(() => processGone(sleeper), 'the background sleeper to be ended');
  // What the leader printed before it exited still reached the stage log.
  expect(await read(ws, 'artifacts/logs/leaky.log')).toContain('leader done');
  expect(exists(ws, '.pipeline/lock')).toBe(false);
});

test('a sleeper that left the process group but holds the pipes does not block completion either', async () => {
  const ws = await engineWorkspace(DAG, { 'in/a.txt': 'alpha\n' });
  const r = await runJson(ws, ['escaped']);
  await waitFor(() => pidIn(join(ws, 'escaped.pid')) !== undefined, 'the escaped sleeper to write its pid');
  const sleeper = readPid(join(ws, 'escaped.pid'));
  leftovers.push(sleeper);
  expect(r.code).toBe(0);
  expect(r.summary.stages.find((s) => s.name === 'escaped')?.status).toBe('ran');
  // It is outside the group, so the engine cannot end it: it is still there, holding the pipe.
  expect(processGone(sleeper)).toBe(false);
  expect(await read(ws, 'artifacts/logs/escaped.log')).toContain('leader done');
});
