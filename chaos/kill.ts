// kill -9 of the runner at random moments: the next run converges to the outputs of an
// uninterrupted run, `status` never calls a stage fresh whose outs are not right, and no child the
// killed run started survives the next run.
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { dagSource, engineWorkspace, STD_SCHEMA } from '../test/engine/fixtures.js';
import { cli, contractProblem, processGone, result, type Rng, sameSnapshot, sleep, snapshot, start, type PartResult } from './harness.js';

/** a: a directory out written file by file, with a child process; b: from a; c: beside them. */
export const KILL_DAG = dagSource(
  STD_SCHEMA,
  `
    defineStage({ name: 'a', deps: ['in'], outs: ['out/a'], params: ['a.n'],
      async run(ctx) {
        await mkdir(ctx.out('out/a'), { recursive: true });
        await mkdir(join(ctx.workspace, 'pids'), { recursive: true });
        // A helper that lives as long as the stage (ended by the engine when the stage is done).
        ctx.spawn('sh', ['-c', 'echo $$ > "$1"; exec sleep 30', 'sh', join(ctx.workspace, 'pids', 'helper-' + process.pid)]);
        for (let i = 0; i < 3; i++) {
          await writeFile(join(ctx.out('out/a'), 'f' + i + '.txt'), 'n=' + ctx.param('a.n') + ' i=' + i + '\\n');
          await sh(ctx, 'echo $$ > "$1"; sleep 0.1', join(ctx.workspace, 'pids', String(process.pid) + '-' + i));
        }
      } }),
    defineStage({ name: 'b', deps: ['out/a'], outs: ['out/b.txt'],
      async run(ctx) {
        let s = '';
        for (const d of ctx.deps) s += (await readFile(join(ctx.workspace, d.path), 'utf8')).toUpperCase();
        await new Promise((r) => setTimeout(r, 100));
        await writeFile(ctx.out('out/b.txt'), s);
      } }),
    defineStage({ name: 'c', deps: ['in'], outs: ['out/c.txt'], params: ['a.n'],
      async run(ctx) {
        await new Promise((r) => setTimeout(r, 150));
        await writeFile(ctx.out('out/c.txt'), 'c n=' + ctx.param('a.n') + ' files=' + ctx.deps.length + '\\n');
      } }),`,
);

const OUTS: Record<string, string[]> = { a: ['out/a'], b: ['out/b.txt'], c: ['out/c.txt'] };
const VALUES = [1, 2, 3];

export async function referenceOutputs(): Promise<Map<number, Record<string, string>>> {
  const refs = new Map<number, Record<string, string>>();
  for (const n of VALUES) {
    const ws = await engineWorkspace(KILL_DAG, { 'in/a.txt': 'alpha\n' });
    const r = await cli(ws, ['run', '--json', '--set', `a.n=${n}`]);
    if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
    refs.set(n, await snapshot(ws, ['out']));
    await rm(ws, { recursive: true, force: true });
  }
  return refs;
}

export async function wrongFresh(ws: string, n: number, ref: Record<string, string>): Promise<string> {
  const st = await cli(ws, ['status', '--json', '--set', `a.n=${n}`]);
  if (st.code !== 0) return `status exited ${st.code}: ${st.stderr.slice(0, 200)}`;
  const { stages } = JSON.parse(st.stdout) as { stages: Array<{ name: string; state: string }> };
  for (const s of stages) {
    if (s.state !== 'fresh') continue;
    const mine = await snapshot(ws, OUTS[s.name]!);
    const want = Object.fromEntries(Object.entries(ref).filter(([k]) => OUTS[s.name]!.some((o) => k === o || k.startsWith(`${o}/`))));
    const d = sameSnapshot(mine, want);
    if (d) return `wrong fresh for ${s.name}: ${d}`;
  }
  return '';
}

export async function killTrials(r: Rng, trials: number, refs?: Map<number, Record<string, string>>): Promise<PartResult> {
  const res = result('kill -9 at random moments');
  const references = refs ?? (await referenceOutputs());
  const ws = await engineWorkspace(KILL_DAG, { 'in/a.txt': 'alpha\n' });
  let killedMidRun = 0;
  let wrong = 0;
  for (let t = 0; t < trials; t++) {
    const n = r.pick(VALUES);
    const delay = r.int(0, 1500);
    const victim = start(ws, ['run', '--json', '--set', `a.n=${n}`]);
    await sleep(delay);
    victim.kill('SIGKILL');
    const died = await victim.done;
    if (died.signal === 'SIGKILL') killedMidRun++;
    const ref = references.get(n)!;
    const problem =
      (await wrongFresh(ws, n, ref)) ||
      (await (async () => {
        const next = await cli(ws, ['run', '--json', '--set', `a.n=${n}`]);
        if (next.code !== 0) return `the run after the kill exited ${next.code}: ${contractProblem(next) || next.stderr.slice(0, 300)}`;
        const d = sameSnapshot(await snapshot(ws, ['out']), ref);
        if (d) return d;
        // Every child any run started is gone once the next run is done.
        const pidDir = join(ws, 'pids');
        for (const f of await readdir(pidDir).catch(() => [] as string[])) {
          const pid = Number((await readFile(join(pidDir, f), 'utf8').catch(() => '')).trim());
          if (pid && !processGone(pid)) return `orphan child ${pid} survived`;
        }
        return '';
      })());
    if (problem.startsWith('wrong fresh')) wrong++;
    if (problem) res.fail(`trial ${t} (a.n=${n}, kill after ${delay} ms): ${problem}`);
    else res.pass();
  }
  res.notes = `${killedMidRun} killed mid-run, ${trials - killedMidRun} had finished; ${wrong} wrong fresh`;
  await rm(ws, { recursive: true, force: true });
  return res;
}
