// Staleness from code and outs (code changed, out missing, out modified), and the stat cache
// under `touch`.
import { readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli, ranOnce, read, removeWorkspaces, runJson, runsOf, statusJson } from './fixtures.js';

afterAll(removeWorkspaces);

// (A stage's code is the import closure of the module that defines it: here pipeline.ts, for
// all three. Stages in modules of their own: codeFingerprint.test.ts.)
test('editing pipeline.ts, where the stages are defined, is a code change of each of them', async () => {
  const ws = await ranOnce();
  const src = await readFile(join(ws, 'pipeline.ts'), 'utf8');
  const edited = src.replace(`'n=' + ctx.param('a.n')`, `'count=' + ctx.param('a.n')`);
  expect(edited).not.toBe(src);
  await writeFile(join(ws, 'pipeline.ts'), edited);

  const st = await statusJson(ws);
  expect(st.one).toEqual({ state: 'stale', reasons: ['code changed: pipeline.ts'] });
  expect(st.side).toEqual({ state: 'stale', reasons: ['code changed: pipeline.ts'] });
  expect(st.two?.state).toBe('stale');

  const r = await runJson(ws);
  expect(r.stage('one')).toMatchObject({ status: 'ran', reason: 'code changed: pipeline.ts' });
  expect(r.statuses).toEqual({ one: 'ran', two: 'ran', side: 'ran' });
  expect(await read(ws, 'out/one.txt')).toBe('count=1\nin/a.txt:alpha\n');
  expect((await runJson(ws)).statuses).toEqual({ one: 'fresh', two: 'fresh', side: 'fresh' });
});

test('a missing out is named, and the run brings it back from the cache without running', async () => {
  const ws = await ranOnce();
  await rm(join(ws, 'out/two.txt'));
  const st = await statusJson(ws);
  expect(st.two?.state).not.toBe('fresh');
  expect(st.two?.reasons).toEqual(['outs missing: out/two.txt']);
  expect(st.one?.state).toBe('fresh');

  const r = await runJson(ws);
  expect(r.stage('two')).toMatchObject({ status: 'restored' });
  expect(r.stage('two').reason).toMatch(/outs missing: out\/two\.txt/);
  expect(await read(ws, 'out/two.txt')).toBe('N=1\nIN/A.TXT:ALPHA\n');
  expect(await runsOf(ws, 'two')).toBe(1);
});

test('a modified out is named, and the run puts the recorded content back', async () => {
  const ws = await ranOnce();
  await writeFile(join(ws, 'out/one.txt'), 'hand-edited\n');
  const st = await statusJson(ws);
  expect(st.one?.state).not.toBe('fresh');
  expect(st.one?.reasons).toEqual(['outs modified: out/one.txt']);

  const r = await runJson(ws);
  expect(['restored', 'ran']).toContain(r.stage('one').status);
  expect(r.stage('one').reason).toMatch(/outs modified: out\/one\.txt/);
  expect(await read(ws, 'out/one.txt')).toBe('n=1\nin/a.txt:alpha\n');
  // two's dep is back to the recorded content, so two is fresh.
  expect(r.stage('two').status).toBe('fresh');
});

test('touching a dep without changing it makes nothing stale, and the stat cache then trusts it', async () => {
  const ws = await ranOnce();
  const dep = join(ws, 'in/a.txt');
  // An mtime safely in the past (well outside the racy window), different from the recorded one.
  const past = new Date(Date.now() - 3600_000);
  await utimes(dep, past, past);
  // The outs and pipeline.ts too: files written within the last second are (rightly) re-hashed by
  // the racy guard, which would make the final check below depend on timing.
  for (const o of ['out/one.txt', 'out/two.txt', 'out/side.txt', 'pipeline.ts']) await utimes(join(ws, o), past, past);

  const st = await statusJson(ws);
  expect(Object.values(st).map((s) => s.state)).toEqual(['fresh', 'fresh', 'fresh']);
  const cacheFile = join(ws, '.pipeline', 'statcache.json');
  const cache1 = await readFile(cacheFile, 'utf8');
  // Entries are keyed by workspace-relative path: [size, mtimeMs, ctimeMs, ino, hash].
  const entries = (JSON.parse(cache1) as { entries: Record<string, [number, number, number, number, string]> }).entries;
  const entry = entries['in/a.txt'];
  expect(entry).toBeDefined();
  // The entry was refreshed with the new stat (so the file is not read again next time).
  expect(entry![1]).toBe((await stat(dep)).mtimeMs);

  const r = await runJson(ws);
  expect(r.statuses).toEqual({ one: 'fresh', two: 'fresh', side: 'fresh' });
  expect(await runsOf(ws, 'one')).toBe(1);

  // Nothing changed since: a further status re-hashes nothing, so the stat cache is not rewritten.
  const before = await readFile(cacheFile, 'utf8');
  const again = await cli(ws, ['status']);
  expect(again.code).toBe(0);
  expect(await readFile(cacheFile, 'utf8')).toBe(before);
});
