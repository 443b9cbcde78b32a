// The run cache: going back to an earlier configuration restores without running; a corrupted
// object is evicted and the stage reruns; `cache gc --max-size` shrinks the store.
import { hashBytes } from '../../src/hashFile.js';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cli, dirBytes, listFiles, ranOnce, read, removeWorkspaces, runJson, runsOf, statusJson, stdWorkspace } from './fixtures.js';
import { makeTempDir } from '../helpers/tempDirs.js';

afterAll(removeWorkspaces);

/** The engine's content hash (XXH3-128; pinned to its published value in statCache.test.ts). */
const contentHash = (s: string) => hashBytes(Buffer.from(s));
const ONE_N1 = 'n=1\nin/a.txt:alpha\n';
const ONE_N2 = 'n=2\nin/a.txt:alpha\n';

test('back to an earlier param value restores the outputs without running the stage', async () => {
  const ws = await ranOnce();
  const r2 = await runJson(ws, ['--set', 'a.n=2']);
  expect(r2.statuses).toEqual({ one: 'ran', two: 'ran', side: 'fresh' });
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N2);

  const st = await statusJson(ws);
  expect(st.one).toEqual({ state: 'restorable', reasons: ['param a.n: 2 → 1'] });

  const r3 = await runJson(ws);
  expect(r3.code).toBe(0);
  expect(r3.stage('one').status).toBe('restored');
  expect(r3.stage('one').reason).toMatch(/param a\.n: 2 → 1/);
  // two's input is back to the first run's content: that run is in the cache too.
  expect(r3.stage('two').status).toBe('restored');
  expect(r3.events.some((e) => e.event === 'start' && e.stage === 'one' && e.action === 'run')).toBe(false);
  expect(await runsOf(ws, 'one')).toBe(2);
  expect(await runsOf(ws, 'two')).toBe(2);
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N1);
  expect(await read(ws, 'out/two.txt')).toBe(ONE_N1.toUpperCase());
  // Restored outs count as fresh afterwards.
  const after = await statusJson(ws);
  expect(Object.values(after).map((s) => s.state)).toEqual(['fresh', 'fresh', 'fresh']);
});

test('a corrupted cache object is evicted on restore; the stage reruns and its outs are right', async () => {
  const ws = await ranOnce();
  await runJson(ws, ['--set', 'a.n=2']);
  const object = join(ws, 'cache', 'objects', contentHash(ONE_N1).slice(0, 2), contentHash(ONE_N1).slice(2));
  expect(await readFile(object, 'utf8')).toBe(ONE_N1);
  // Same size, different bytes: only a content check can notice.
  await chmod(object, 0o644);
  await writeFile(object, ONE_N1.replace('alpha', 'ALPHA'));

  const r = await runJson(ws);
  expect(r.code).toBe(0);
  expect(r.stage('one').status).toBe('ran');
  expect(await runsOf(ws, 'one')).toBe(3);
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N1);
  expect(await read(ws, 'out/two.txt')).toBe(ONE_N1.toUpperCase());
  // The store holds the right bytes again.
  expect(await readFile(object, 'utf8')).toBe(ONE_N1);
  expect(Object.values(await statusJson(ws)).map((s) => s.state)).toEqual(['fresh', 'fresh', 'fresh']);
});

test('cache gc --max-size shrinks the store; a later run re-runs what was evicted', async () => {
  const ws = await ranOnce();
  await runJson(ws, ['--set', 'a.n=2']);
  await runJson(ws, ['--set', 'a.n=3']);
  const objects = join(ws, 'cache', 'objects');
  const bytes0 = await dirBytes(objects);
  expect(bytes0).toBeGreaterThan(0);

  // A limit above the store's size removes nothing: going back still restores.
  const keep = await cli(ws, ['cache', 'gc', '--max-size', '10M']);
  expect(keep.code).toBe(0);
  expect(await dirBytes(objects)).toBe(bytes0);
  expect((await statusJson(ws, ['--set', 'a.n=2'])).one?.state).toBe('restorable');

  const gc = await cli(ws, ['cache', 'gc', '--max-size', '0']);
  expect(gc.code).toBe(0);
  expect(gc.stdout).toMatch(/removed \d+ run record/);
  expect(await dirBytes(objects)).toBeLessThan(bytes0);
  expect(await listFiles(join(ws, 'cache', 'runs'))).toEqual([]);

  expect((await statusJson(ws, ['--set', 'a.n=2'])).one?.state).toBe('stale');
  const r = await runJson(ws, ['--set', 'a.n=2']);
  expect(r.stage('one').status).toBe('ran');
  expect(await runsOf(ws, 'one')).toBe(4);
  expect(await read(ws, 'out/one.txt')).toBe(ONE_N2);
});

test('cache gc keeps the most recently used runs within the limit', async () => {
  const ws = await ranOnce();
  await runJson(ws, ['--set', 'a.n=2']);
  // Use the n=1 run again (restore), so the n=2 run is now the least recently used.
  expect((await runJson(ws)).stage('one').status).toBe('restored');
  const objects = join(ws, 'cache', 'objects');
  const total = await dirBytes(objects);
  const n2Bytes = ONE_N2.length * 2; // one.txt and two.txt of the n=2 run
  const gc = await cli(ws, ['cache', 'gc', '--max-size', String(total - n2Bytes)]);
  expect(gc.code).toBe(0);
  expect(await dirBytes(objects)).toBeLessThanOrEqual(total - n2Bytes);
  expect((await statusJson(ws, ['--set', 'a.n=2'])).one?.state).toBe('stale');
  // The n=1 run survived: overwrite its out and the recorded content comes back from the cache.
  await writeFile(join(ws, 'out/one.txt'), 'x');
  expect((await runJson(ws)).stage('one').status).toBe('restored');
});

test('PIPELINE_CACHE_DIR relocates the store; a second workspace restores from it', async () => {
  const cacheDir = await makeTempDir('pl-engine-cache-');
  try {
    const w1 = await stdWorkspace();
    const w2 = await stdWorkspace();
    const r1 = await runJson(w1, [], { PIPELINE_CACHE_DIR: cacheDir });
    expect(r1.statuses).toEqual({ one: 'ran', two: 'ran', side: 'ran' });
    expect((await listFiles(join(cacheDir, 'runs'))).length).toBe(3);
    const r2 = await runJson(w2, [], { PIPELINE_CACHE_DIR: cacheDir });
    expect(r2.statuses).toEqual({ one: 'restored', two: 'restored', side: 'restored' });
    expect(await runsOf(w2, 'one')).toBe(0);
    expect(await read(w2, 'out/two.txt')).toBe(ONE_N1.toUpperCase());
    expect(await listFiles(join(w2, 'cache'))).toEqual([]);
  } finally {
    await rm(cacheDir, { recursive: true, force: true });
  }
});
