// One run at a time per workspace: a second run stops naming the holder, --wait queues behind
// it, and a runner killed with SIGKILL leaves a lock the next run recovers (and no fresh-looking
// half-written out).
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  cli,
  dagSource,
  engineWorkspace,
  exists,
  killIfAlive,
  processGone,
  read,
  pidIn,
  readPid,
  removeWorkspaces,
  runJson,
  runsOf,
  startCli,
  statusJson,
  waitFor,
} from './fixtures.js';

/**
 * `slow` writes a partial out, then runs a child that records its pid in pids/slow-<attempt> and
 * waits for the file release-<attempt> (bounded to ~30 s), then completes the out. The attempt
 * number is the stage's run counter, so every attempt waits for its own release file.
 */
const SLOW_DAG = dagSource(
  `z.object({ a: z.object({ n: z.number().default(1) }).strict().prefault({}) }).strict()`,
  `
    defineStage({ name: 'slow', deps: ['in'], outs: ['out/slow.txt'], params: ['a.n'],
      async run(ctx) {
        const attempt = await bump(ctx, 'slow');
        await appendFile(join(ctx.workspace, 'journal'), 'start ' + attempt + '\\n');
        await writeFile(ctx.out('out/slow.txt'), 'partial');
        await mkdir(join(ctx.workspace, 'pids'), { recursive: true });
        await sh(ctx, 'echo $$ > "$1"; i=0; while [ ! -f "$2" ] && [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done; [ -f "$2" ]',
          join(ctx.workspace, 'pids', 'slow-' + attempt), join(ctx.workspace, 'release-' + attempt));
        await writeFile(ctx.out('out/slow.txt'), 'complete n=' + ctx.param('a.n') + '\\n');
        await appendFile(join(ctx.workspace, 'journal'), 'end ' + attempt + '\\n');
      } }),`,
);

const leftovers: number[] = [];
afterAll(async () => {
  for (const pid of leftovers) killIfAlive(pid);
  await removeWorkspaces();
});

function slowWorkspace(): Promise<string> {
  return engineWorkspace(SLOW_DAG, { 'in/a.txt': 'alpha\n' });
}

test('a second run stops with exit 1 naming the holder; with --wait it queues and then succeeds', async () => {
  const ws = await slowWorkspace();
  const first = startCli(ws, ['run', '--json']);
  leftovers.push(first.pid);
  await waitFor(() => exists(ws, 'pids/slow-1'), 'the first run to start its stage');

  // Refused before doing anything, with a message naming the holder's pid and command.
  const refused = await cli(ws, ['run', '--json']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`pid ${first.pid}`);
  expect(refused.stderr).toContain('pipeline run --json');
  expect(refused.stderr).toMatch(/--wait/);
  expect(await runsOf(ws, 'slow')).toBe(1);

  // --wait: queues behind the holder. Its own attempt (2) may finish at once.
  await writeFile(join(ws, 'release-2'), '');
  const waiting = startCli(ws, ['run', '--json', '--wait', '--force']);
  leftovers.push(waiting.pid);
  await waitFor(() => /waiting for the workspace lock/.test(waiting.stderr()), 'the --wait run to report that it waits');
  expect(waiting.stderr()).toContain(`pid ${first.pid}`);
  expect(await runsOf(ws, 'slow')).toBe(1);

  await writeFile(join(ws, 'release-1'), '');
  const [a, b] = await Promise.all([first.done, waiting.done]);
  expect(a.code).toBe(0);
  expect(b.code).toBe(0);
  expect(JSON.parse(b.stdout.trim().split('\n').at(-1)!)).toMatchObject({ event: 'summary', ok: true, stages: [{ name: 'slow', status: 'ran' }] });
  // Strictly one after the other.
  expect(await read(ws, 'journal')).toBe('start 1\nend 1\nstart 2\nend 2\n');
  expect(exists(ws, '.pipeline/lock')).toBe(false);
});

test('after kill -9 of the runner mid-stage, the old out stays, the lock is recovered and a rerun succeeds', async () => {
  const ws = await slowWorkspace();
  await writeFile(join(ws, 'release-1'), '');
  expect((await runJson(ws)).statuses).toEqual({ slow: 'ran' });
  expect(await read(ws, 'out/slow.txt')).toBe('complete n=1\n');

  const victim = startCli(ws, ['run', '--json', '--set', 'a.n=2']);
  leftovers.push(victim.pid);
  await waitFor(() => pidIn(join(ws, 'pids/slow-2')) !== undefined, 'the second attempt to start its child');
  const orphan = readPid(join(ws, 'pids/slow-2'));
  leftovers.push(orphan);
  // The runner records the child in its lock just after spawning it; kill it once that is done
  // (the child can write its pid a moment before, on a loaded machine).
  const lockFile = join(ws, '.pipeline/lock');
  const lockedChildren = async (): Promise<number[]> => {
    try {
      return (JSON.parse(await readFile(lockFile, 'utf8')) as { children?: number[] }).children ?? [];
    } catch {
      return []; // being rewritten
    }
  };
  await waitFor(async () => (await lockedChildren()).includes(orphan), 'the lock to list the child', 5000);
  victim.child.kill('SIGKILL');
  const died = await victim.done;
  expect(died.signal).toBe('SIGKILL');
  // Its child lives on in its own process group, still waiting.
  expect(processGone(orphan)).toBe(false);

  // The dead holder's lock is still there, naming it.
  const lock = JSON.parse(await readFile(join(ws, '.pipeline/lock'), 'utf8')) as { pid: number };
  expect(lock.pid).toBe(victim.pid);
  // Old state, not a half-written new one: the out is the previous complete content, and the
  // stage is stale for the change that never finished.
  expect(await read(ws, 'out/slow.txt')).toBe('complete n=1\n');
  const st = await statusJson(ws, ['--set', 'a.n=2']);
  expect(st.slow).toEqual({ state: 'stale', reasons: ['param a.n: 1 → 2'] });

  await writeFile(join(ws, 'release-3'), '');
  const rerun = await runJson(ws, ['--set', 'a.n=2']);
  expect(rerun.code).toBe(0);
  expect(rerun.stage('slow')).toMatchObject({ status: 'ran', reason: 'param a.n: 1 → 2' });
  expect(await read(ws, 'out/slow.txt')).toBe('complete n=2\n');
  expect(exists(ws, '.pipeline/lock')).toBe(false);
  // The killed runner's child was ended when its lock was recovered, not left waiting.
  expect(processGone(orphan)).toBe(true);
  // Its staging leftovers are gone.
  const staging = await readdir(join(ws, '.pipeline/staging')).catch(() => [] as string[]);
  expect(staging.filter((d) => d.startsWith('slow-'))).toEqual([]);
  expect((await statusJson(ws, ['--set', 'a.n=2'])).slow?.state).toBe('fresh');
});
