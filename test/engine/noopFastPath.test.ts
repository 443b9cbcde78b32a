// The no-op fast path: after a clean run, a run whose inputs did not change answers from the
// snapshot of their stats (summary `unchanged: true`) — and any change sends it down the full path.
import { readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ranOnce, read, removeWorkspaces, runJson, runsOf } from './fixtures.js';

afterAll(removeWorkspaces);

/** Moves every workspace file's mtime an hour back (out of the racy window). */
async function backdate(ws: string): Promise<void> {
  const past = new Date(Date.now() - 3600_000);
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.name === '.pipeline' || e.name === 'cache' || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      await utimes(p, past, past);
    }
  };
  await walk(ws);
}

/** A full run that records the snapshot, then a run that must answer from it. */
async function armed(ws: string, args: string[] = []): Promise<void> {
  await backdate(ws);
  const full = await runJson(ws, args);
  expect(full.code).toBe(0);
  expect((full.summary as unknown as { unchanged?: boolean }).unchanged).toBeUndefined();
  const fast = await runJson(ws, args);
  expect(fast.code).toBe(0);
  expect((fast.summary as unknown as { unchanged?: boolean }).unchanged).toBe(true);
  expect(Object.values(fast.statuses)).toEqual(['fresh', 'fresh', 'fresh']);
}

test('a run with nothing changed answers from the snapshot; every kind of change takes the full path', async () => {
  const ws = await ranOnce();
  await armed(ws);

  // A dep edited in place.
  await writeFile(join(ws, 'in/a.txt'), 'alpha, edited\n');
  let r = await runJson(ws);
  expect(r.summary).not.toHaveProperty('unchanged');
  expect(r.stage('one')).toMatchObject({ status: 'ran' });
  expect(await read(ws, 'out/one.txt')).toContain('alpha, edited');

  // A file added to a dep directory.
  await armed(ws);
  await writeFile(join(ws, 'in/b.txt'), 'beta\n');
  r = await runJson(ws);
  expect(r.stage('side').status).toBe('ran');
  expect(await read(ws, 'out/side.txt')).toContain('files=2');

  // An out deleted.
  await armed(ws);
  await rm(join(ws, 'out/two.txt'));
  r = await runJson(ws);
  expect(r.stage('two').status).toBe('restored');

  // pipeline.yaml edited.
  await armed(ws);
  await writeFile(join(ws, 'pipeline.yaml'), 'a: {n: 5}\n');
  r = await runJson(ws);
  expect(r.stage('one')).toMatchObject({ status: 'ran', reason: 'param a.n: 1 → 5' });

  // Different arguments (--set, targets) never use another invocation's snapshot.
  await armed(ws);
  r = await runJson(ws, ['--set', 'a.n=6']);
  expect(r.stage('one')).toMatchObject({ status: 'ran', reason: 'param a.n: 5 → 6' });
  r = await runJson(ws, ['two']);
  expect(r.summary).not.toHaveProperty('unchanged');

  // pipeline.ts edited.
  await armed(ws);
  const src = join(ws, 'pipeline.ts');
  await writeFile(src, (await read(ws, 'pipeline.ts')).replace(`'n=' + ctx.param('a.n')`, `'count=' + ctx.param('a.n')`));
  r = await runJson(ws);
  expect(r.stage('one')).toMatchObject({ status: 'ran', reason: 'code changed' });
});

test('a same-size rewrite that keeps the old mtime is still caught (ctime and inode are compared)', async () => {
  const ws = await ranOnce();
  await armed(ws);
  const dep = join(ws, 'in/a.txt');
  const before = await stat(dep);
  await writeFile(dep, 'ALPHA\n'); // same size
  await utimes(dep, before.atime, before.mtime); // same mtime, as a coarse clock could leave it
  const runsBefore = await runsOf(ws, 'one');
  const r = await runJson(ws);
  expect(r.summary).not.toHaveProperty('unchanged');
  expect(r.stage('one').status).toBe('ran');
  expect(await runsOf(ws, 'one')).toBe(runsBefore + 1);
  expect(await read(ws, 'out/one.txt')).toContain('ALPHA');
});

test('a forced run disarms the snapshot: the next run takes the full path', async () => {
  const ws = await ranOnce();
  await armed(ws);
  await writeFile(join(ws, 'in/a.txt'), 'changed\n');
  const r = await runJson(ws, ['--force=one']);
  expect(r.stage('one').status).toBe('ran');
  const after = await runJson(ws);
  expect(after.summary).not.toHaveProperty('unchanged');
});
