// SIGINT while a stage runs a child that has a grandchild: exit 130, the whole tree is gone,
// nothing is recorded for the unfinished stage.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  dagSource,
  engineWorkspace,
  exists,
  killIfAlive,
  listFiles,
  processGone,
  pidIn,
  readPid,
  removeWorkspaces,
  startCli,
  statusJson,
  waitFor,
} from './fixtures.js';

/**
 * `quick` finishes at once; `tree` (after quick) runs a shell that writes its pid, starts a
 * grandchild shell that writes its pid and sleeps, and waits for it.
 */
const TREE_DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'quick', deps: ['in'], outs: ['out/quick.txt'],
      async run(ctx) { await writeFile(ctx.out('out/quick.txt'), 'done\\n'); } }),
    defineStage({ name: 'tree', deps: ['out/quick.txt'], outs: ['out/tree.txt'],
      async run(ctx) {
        await bump(ctx, 'tree');
        await writeFile(ctx.out('out/tree.txt'), 'partial');
        await sh(ctx, 'echo $$ > "$1"; sh -c \\'echo $$ > "$0"; exec sleep 30\\' "$2"; echo grandchild ended',
          join(ctx.workspace, 'child.pid'), join(ctx.workspace, 'grandchild.pid'));
        await writeFile(ctx.out('out/tree.txt'), 'complete\\n');
      } }),`,
);

const leftovers: number[] = [];
afterAll(async () => {
  for (const pid of leftovers) killIfAlive(pid);
  await removeWorkspaces();
});

test("SIGINT ends the stage's child and grandchild, exits 130 and records nothing for the stage", async () => {
  const ws = await engineWorkspace(TREE_DAG, { 'in/a.txt': 'alpha\n' });
  const run = startCli(ws, ['run', '--json']);
  leftovers.push(run.pid);
  await waitFor(
    () => pidIn(join(ws, 'child.pid')) !== undefined && pidIn(join(ws, 'grandchild.pid')) !== undefined,
    'the child and grandchild to write their pids',
  );
  const child = readPid(join(ws, 'child.pid'));
  const grandchild = readPid(join(ws, 'grandchild.pid'));
  leftovers.push(child, grandchild);
  expect(child).not.toBe(grandchild);
  expect(processGone(child)).toBe(false);
  expect(processGone(grandchild)).toBe(false);

  run.child.kill('SIGINT');
  const res = await run.done;
  expect(res.code).toBe(130);
  // Even an interrupted --json run ends with the summary line.
  const last = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { event: string; ok: boolean; stages: Array<{ name: string; status: string }> };
  expect(last).toMatchObject({ event: 'summary', ok: false });
  expect(last.stages.find((x) => x.name === 'tree')?.status).not.toBe('ran');
  expect(processGone(child)).toBe(true);
  expect(processGone(grandchild)).toBe(true);

  // The finished stage was recorded; the interrupted one was not, and left no out behind.
  expect(exists(ws, 'out/quick.txt')).toBe(true);
  expect(exists(ws, 'out/tree.txt')).toBe(false);
  expect(exists(ws, '.pipeline/state/tree.json')).toBe(false);
  expect(await listFiles(join(ws, 'cache', 'runs', 'tree'))).toEqual([]);
  expect(exists(ws, '.pipeline/lock')).toBe(false);
  const st = await statusJson(ws);
  expect(st.quick?.state).toBe('fresh');
  expect(st.tree).toEqual({ state: 'stale', reasons: [expect.stringMatching(/never ran/)] });

  // A rerun starts the stage afresh and completes it (ending the new grandchild's sleep early).
  await rm(join(ws, 'grandchild.pid'));
  const rerun = startCli(ws, ['run', '--json']);
  leftovers.push(rerun.pid);
  const pidOf = (f: string) => pidIn(join(ws, f));
  await waitFor(() => pidOf('grandchild.pid') !== undefined, 'the rerun to start a new grandchild');
  const g2 = pidOf('grandchild.pid')!;
  leftovers.push(g2);
  process.kill(g2, 'SIGKILL');
  const done = await rerun.done;
  expect(done.code).toBe(0);
  const summary = JSON.parse(done.stdout.trim().split('\n').at(-1)!) as { stages: Array<{ name: string; status: string }> };
  expect(summary.stages.map((x) => [x.name, x.status])).toEqual([
    ['quick', 'fresh'],
    ['tree', 'ran'],
  ]);
  expect(await readFile(join(ws, 'out/tree.txt'), 'utf8')).toBe('complete\n');
});
