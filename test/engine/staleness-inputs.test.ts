// Staleness from inputs, through `status --json` and `run --json`: never ran, deps added /
// removed / modified, params changed by --set.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ranOnce, read, removeWorkspaces, runJson, runsOf, statusJson, stdWorkspace } from './fixtures.js';

afterAll(removeWorkspaces);

test('a stage that never ran is stale with that reason, in status and run', async () => {
  const ws = await stdWorkspace();
  const st = await statusJson(ws);
  expect(st.one).toEqual({ state: 'stale', reasons: [expect.stringMatching(/never ran/)] });
  expect(st.side?.state).toBe('stale');
  expect(st.two?.state).toBe('stale');

  const r = await runJson(ws);
  expect(r.code).toBe(0);
  expect(r.stage('one').reason).toMatch(/never ran/);
  expect(await read(ws, 'out/one.txt')).toBe('n=1\nin/a.txt:alpha\n');
  expect(await read(ws, 'out/two.txt')).toBe('N=1\nIN/A.TXT:ALPHA\n');

  const again = await statusJson(ws);
  expect(Object.values(again).map((s) => s.state)).toEqual(['fresh', 'fresh', 'fresh']);
  const r2 = await runJson(ws);
  expect(r2.statuses).toEqual({ one: 'fresh', two: 'fresh', side: 'fresh' });
  expect(await runsOf(ws, 'one')).toBe(1);
});

test('a dep file added, removed or modified is named in the reason', async () => {
  const ws = await ranOnce({ 'in/b.txt': 'beta\n' });

  await writeFile(join(ws, 'in/c.txt'), 'gamma\n');
  let st = await statusJson(ws);
  expect(st.one).toEqual({ state: 'stale', reasons: ['deps added: in/c.txt'] });
  expect(st.side).toEqual({ state: 'stale', reasons: ['deps added: in/c.txt'] });
  let r = await runJson(ws, ['one']);
  expect(r.statuses).toEqual({ one: 'ran' });
  expect(r.stage('one').reason).toBe('deps added: in/c.txt');
  expect(await read(ws, 'out/one.txt')).toBe('n=1\nin/a.txt:alpha\nin/b.txt:beta\nin/c.txt:gamma\n');

  await rm(join(ws, 'in/b.txt'));
  st = await statusJson(ws, ['one']);
  expect(st.one).toEqual({ state: 'stale', reasons: ['deps removed: in/b.txt'] });
  r = await runJson(ws, ['one']);
  expect(r.stage('one')).toMatchObject({ status: 'ran', reason: 'deps removed: in/b.txt' });

  await writeFile(join(ws, 'in/a.txt'), 'ALPHA changed\n');
  st = await statusJson(ws, ['one']);
  expect(st.one).toEqual({ state: 'stale', reasons: ['deps modified: in/a.txt'] });
  r = await runJson(ws, ['one']);
  expect(r.stage('one')).toMatchObject({ status: 'ran', reason: 'deps modified: in/a.txt' });
  expect(await read(ws, 'out/one.txt')).toBe('n=1\nin/a.txt:ALPHA changed\nin/c.txt:gamma\n');
  expect(await runsOf(ws, 'one')).toBe(4);
});

test('a --set param change makes only its readers and their downstream stale, naming old → new', async () => {
  const ws = await ranOnce();
  const st = await statusJson(ws, ['--set', 'a.n=7']);
  expect(st.one).toEqual({ state: 'stale', reasons: ['param a.n: 1 → 7'] });
  expect(st.two?.state).toBe('stale');
  expect(st.two?.reasons.join('\n')).toMatch(/upstream 'one'/);
  expect(st.side).toEqual({ state: 'fresh', reasons: [] });

  const r = await runJson(ws, ['--set', 'a.n=7']);
  expect(r.code).toBe(0);
  expect(r.stage('one')).toMatchObject({ status: 'ran', reason: 'param a.n: 1 → 7' });
  expect(r.stage('two')).toMatchObject({ status: 'ran', reason: 'deps modified: out/one.txt' });
  expect(r.stage('side').status).toBe('fresh');
  expect(await read(ws, 'out/two.txt')).toBe('N=7\nIN/A.TXT:ALPHA\n');
  expect(await runsOf(ws, 'side')).toBe(1);

  // The other param: only `side` reads it.
  const st2 = await statusJson(ws, ['--set', 'a.n=7', '--set', 'b.m=yes']);
  expect(st2.one?.state).toBe('fresh');
  expect(st2.two?.state).toBe('fresh');
  expect(st2.side).toEqual({ state: 'stale', reasons: ['param b.m: "x" → "yes"'] });
});

test('--set means exactly what writing the value into pipeline.yaml means', async () => {
  const ws = await ranOnce();
  await runJson(ws, ['--set', 'a.n=3']);
  await writeFile(join(ws, 'pipeline.yaml'), 'a:\n  n: 3\n');
  const st = await statusJson(ws);
  expect(st.one?.state).toBe('fresh');
  expect(st.two?.state).toBe('fresh');
});
