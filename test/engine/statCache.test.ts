// The stat cache and the content hash: XXH3-128 of the bytes, the same whether a file is hashed
// from disk (one read or streamed) or while it is written; a cache file that does not parse is
// ignored with one warning and never yields a wrong hash; a file is hashed once per stat in a run.
import { mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHUNK, hashBytes, hashFile } from '../../src/hashFile.js';
import { StatCache } from '../../src/statCache.js';
import { writeHashing } from '../../src/writeHashing.js';
import { cli, ranOnce, removeWorkspaces, statusJson } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'pl-statcache-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await removeWorkspaces();
});

test('XXH3-128: the published value for no bytes; disk, streamed and written hashes agree', async () => {
  expect(hashBytes(new Uint8Array(0))).toBe('99aa06d3014798d86001c324468d497f');
  // 3 MiB + 5 bytes: streamed in several reads, the last one short.
  const big = Buffer.alloc((3 << 20) + 5);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  const path = join(dir, 'big.bin');
  const chunks = [big.subarray(0, 1000), big.subarray(1000, 2 << 20), big.subarray(2 << 20)];
  const written = writeHashing(path, chunks);
  expect(written.size).toBe(big.length);
  expect(written.hash).toMatch(/^[0-9a-f]{32}$/);
  expect(await hashFile(path)).toBe(written.hash);
  expect(await hashFile(path, big.length)).toBe(written.hash);
  expect(hashBytes(big)).toBe(written.hash);
  await writeFile(join(dir, 'small.txt'), 'hello\n');
  expect(await hashFile(join(dir, 'small.txt'), 6)).toBe(writeHashing(join(dir, 'small2.txt'), 'hello\n').hash);
  big[big.length - 1]! ^= 1;
  expect(hashBytes(big)).not.toBe(written.hash);
});

test('a file over 16 MiB hashes as the XXH3-128 of its chunk digests, the same from disk (in parallel), streamed, written and in memory', async () => {
  const { createXXHash128 } = await import('hash-wasm');
  const xxh = async (...parts: Array<Uint8Array | string>) => {
    const h = await createXXHash128();
    h.init();
    for (const p of parts) h.update(p);
    return h;
  };
  // Exactly one chunk: its plain XXH3-128.
  const one = Buffer.alloc(CHUNK, 3);
  const onePath = join(dir, 'one-chunk.bin');
  await writeFile(onePath, one);
  const plain = (await xxh(one)).digest('hex');
  expect(await hashFile(onePath)).toBe(plain);
  expect(hashBytes(one)).toBe(plain);
  expect(writeHashing(join(dir, 'one-chunk-w.bin'), [one.subarray(0, 7), one.subarray(7)]).hash).toBe(plain);
  // 4 chunks and 3 bytes: big enough for the worker threads; the last chunk is short.
  const size = 4 * CHUNK + 3;
  const big = Buffer.alloc(size);
  for (let i = 0; i < size; i += 4096) big[i] = (i * 2654435761) >>> 24;
  big[size - 1] = 9;
  const digests: Uint8Array[] = [];
  for (let at = 0; at < size; at += CHUNK) digests.push((await xxh(big.subarray(at, at + CHUNK))).digest('binary'));
  const expected = (await xxh(`pipeline-xxh3-chunks-v1\0${size}\0`, Buffer.concat(digests))).digest('hex');
  const path = join(dir, 'chunks.bin');
  const written = writeHashing(path, [big.subarray(0, 1000), big.subarray(1000, CHUNK + 5), big.subarray(CHUNK + 5)]);
  expect(written.hash).toBe(expected);
  expect(await hashFile(path, size)).toBe(expected);
  expect(await hashFile(path)).toBe(expected);
  expect(hashBytes(big)).toBe(expected);
  expect(expected).not.toBe((await xxh(big)).digest('hex'));
  // A stop asked for while the threads hash rejects instead of answering.
  const stop = new AbortController();
  const pending = hashFile(path, size, stop.signal);
  stop.abort();
  await expect(pending).rejects.toThrow();
  // One byte changed in the middle of a chunk changes the hash.
  big[2 * CHUNK + 12345]! ^= 1;
  await writeFile(path, big);
  expect(await hashFile(path, size)).not.toBe(expected);
});

test('a hash survives a save and load, and is trusted once the file is older than the save', async () => {
  const f = join(dir, 'kept.txt');
  await writeFile(f, 'kept\n');
  const past = new Date(Date.now() - 3600_000);
  await utimes(f, past, past);
  const file = join(dir, 'cache-ok.json');
  const a = new StatCache(file, dir);
  const h = await a.hash(f);
  await a.save();
  const b = new StatCache(file, dir);
  b.load();
  const { statSync } = await import('node:fs');
  expect(b.lookup(f, statSync(f))).toBe(h);
  expect(b.bytesHashed).toBe(0);
});

test('concurrent and repeated asks for one file in a run read it once', async () => {
  const f = join(dir, 'once.bin');
  await writeFile(f, Buffer.alloc(2 << 20, 7));
  const c = new StatCache(join(dir, 'cache-once.json'), dir);
  const [x, y] = await Promise.all([c.hash(f), c.hash(f)]);
  expect(x).toBe(y);
  expect(await c.hash(f)).toBe(x);
  expect(c.bytesHashed).toBe(2 << 20);
  // A changed file is hashed again.
  await writeFile(f, Buffer.alloc(2 << 20, 8));
  expect(await c.hash(f)).not.toBe(x);
  expect(c.bytesHashed).toBe(4 << 20);
});

test.each([
  ['not JSON', '{"v": 5, "savedAtMs": '],
  ['null', 'null'],
  ['an array', '[]'],
  ['a short entry', '{"v":5,"savedAtMs":1e15,"entries":{"x.txt":[1,2]}}'],
  ['a hash that is not one', '{"v":5,"savedAtMs":1e15,"entries":{"x.txt":[5,1,1,1,"zz"]}}'],
  ['entries of the wrong type', '{"v":5,"savedAtMs":1e15,"entries":"all"}'],
])('a cache file holding %s is ignored with one warning, and hashes are recomputed', async (_what, text) => {
  const f = join(dir, 'x.txt');
  await writeFile(f, 'right\n');
  const file = join(dir, 'cache-bad.json');
  await writeFile(file, text);
  const warnings: string[] = [];
  const c = new StatCache(file, dir, (m) => warnings.push(m));
  c.load();
  expect(warnings).toHaveLength(1);
  expect(warnings[0]).toMatch(/cache-bad\.json is damaged .*; ignoring it/);
  expect(await c.hash(f)).toBe(hashBytes(Buffer.from('right\n')));
  // The next save replaces the damaged file with a valid one.
  await c.save();
  const again: string[] = [];
  new StatCache(file, dir, (m) => again.push(m)).load();
  expect(again).toEqual([]);
});

test('a cache file of an earlier version is dropped without a warning', async () => {
  const file = join(dir, 'cache-v3.json');
  await writeFile(file, JSON.stringify({ v: 3, savedAtMs: 1, entries: { 'x.txt': [6, 1, 1, 1, 'a'.repeat(64)] } }));
  const warnings: string[] = [];
  const c = new StatCache(file, dir, (m) => warnings.push(m));
  c.load();
  expect(warnings).toEqual([]);
  expect(
    c.lookup(join(dir, 'x.txt'), { size: 6, mtimeMs: 1, ctimeMs: 1, ino: 1, mode: 0o100644, isDirectory: () => false, isFile: () => true }),
  ).toBeUndefined();
});

test('through the CLI: a damaged .pipeline/statcache.json is one warning, and every stage is still judged right', async () => {
  const ws = await ranOnce();
  await writeFile(join(ws, '.pipeline', 'statcache.json'), '\u0000\u0001garbage');
  const r = await cli(ws, ['status']);
  expect(r.code).toBe(0);
  expect(r.stderr.match(/warning: .*statcache\.json is damaged/g)).toHaveLength(1);
  expect(Object.values(await statusJson(ws)).map((s) => s.state)).toEqual(['fresh', 'fresh', 'fresh']);
  await writeFile(join(ws, 'in', 'a.txt'), 'edited while the cache was damaged\n');
  await writeFile(join(ws, '.pipeline', 'statcache.json'), '{"v":5}');
  expect((await statusJson(ws)).one?.state).toBe('stale');
  expect(JSON.parse(await readFile(join(ws, '.pipeline', 'statcache.json'), 'utf8')).v).toBe(5);
});
