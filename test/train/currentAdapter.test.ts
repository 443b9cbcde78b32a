// artifacts/adapters/current: a relative symlink to the current adapter, replaced atomically, the
// old text-file form still read, and a link leading elsewhere never followed for a write and refused
// for reading.
import { spawn } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PathEscapeError, replaceSymlinkAtomicSync } from '../../src/atomicWrite.js';
import { currentAdapterDir, currentPointerProblems, publishCurrentAdapter, readCurrentPointer } from '../../stages/train/currentAdapter.js';
import { runCli } from '../helpers/workspace.js';
import { tempDirs } from '../helpers/tempDirs.js';
import { ADAPTER_KEY, expectExit, regressWorkspace, removeWorkspaces } from '../regress/fixtures.js';

const temp = tempDirs();
afterAll(async () => {
  await temp.removeAll();
  await removeWorkspaces();
});

const KEY_A = '0123456789ab';
const KEY_B = 'ba9876543210';

async function workspace(): Promise<{ ws: string; outside: string; current: string }> {
  const root = await temp.make('pl-current-');
  const ws = join(root, 'ws');
  const outside = join(root, 'outside');
  for (const k of [KEY_A, KEY_B]) {
    await mkdir(join(ws, 'artifacts', 'adapters', k), { recursive: true });
    await writeFile(join(ws, 'artifacts', 'adapters', k, 'adapter_config.json'), `{"key": "${k}"}`);
  }
  await mkdir(join(outside, 'fedcba987654'), { recursive: true });
  await writeFile(join(outside, 'fedcba987654', 'adapter_config.json'), 'precious');
  return { ws, outside, current: join(ws, 'artifacts', 'adapters', 'current') };
}

test('publish makes a relative link to the adapter; a new adapter replaces it; readers resolve the real directory', async () => {
  const { ws, current } = await workspace();
  await publishCurrentAdapter(ws, KEY_A);
  expect((await lstat(current)).isSymbolicLink()).toBe(true);
  expect(await readlink(current)).toBe(KEY_A);
  expect(await readFile(join(current, 'adapter_config.json'), 'utf8')).toBe(`{"key": "${KEY_A}"}`);
  expect(await currentPointerProblems(ws, KEY_A)).toEqual([]);
  expect(await currentPointerProblems(ws, KEY_B)).toEqual([`artifacts/adapters/current links to ${KEY_A}, not to this adapter (${KEY_B})`]);

  await publishCurrentAdapter(ws, KEY_B);
  expect(await readlink(current)).toBe(KEY_B);
  expect(await readCurrentPointer(ws)).toBe(KEY_B);
  expect(await currentAdapterDir(ws)).toBe(join(ws, 'artifacts', 'adapters', KEY_B));
  // Renamed over the old link: no temp entry stays behind.
  expect((await readdir(join(ws, 'artifacts', 'adapters'))).sort()).toEqual([KEY_A, KEY_B, 'current'].sort());
});

test('replacing the link is atomic: a reader in another process always finds a link', async () => {
  const { ws, current } = await workspace();
  await publishCurrentAdapter(ws, KEY_A);
  const ready = join(ws, 'reader.ready');
  // Reads the link in a tight loop until told to stop; prints how often it found nothing.
  const reader = spawn(
    process.execPath,
    [
      '-e',
      `const fs = require('fs'); let gaps = 0, reads = 0; let stop = false;
       process.stdin.on('data', () => { stop = true; }); fs.writeFileSync(${JSON.stringify(ready)}, '1');
       (function loop() { for (let i = 0; i < 2000; i++) { try { fs.readlinkSync(${JSON.stringify(current)}); } catch { gaps++; } reads++; }
         if (stop) { process.stdout.write(JSON.stringify({ gaps, reads })); process.exit(0); } setImmediate(loop); })();`,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  let out = '';
  reader.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const deadline = Date.now() + 20_000;
  while (
    !(await lstat(ready).then(
      () => true,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error('reader did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
  for (let i = 0; i < 3000; i++) await publishCurrentAdapter(ws, i % 2 ? KEY_A : KEY_B);
  const done = new Promise<void>((res) => reader.on('exit', () => res()));
  reader.stdin.write('stop\n');
  await done;
  const { gaps, reads } = JSON.parse(out) as { gaps: number; reads: number };
  expect(reads).toBeGreaterThan(0);
  expect(gaps).toBe(0);
  expect(await readlink(current)).toBe(KEY_A);
});

test('the old text form is still read, and the next publish turns it into the link', async () => {
  const { ws, current } = await workspace();
  await writeFile(current, `${KEY_A}\n`);
  expect(await readCurrentPointer(ws)).toBe(KEY_A);
  expect(await currentAdapterDir(ws)).toBe(join(ws, 'artifacts', 'adapters', KEY_A));
  expect(await currentPointerProblems(ws, KEY_A)).toEqual(['artifacts/adapters/current is a file (older form), to become a link']);
  await publishCurrentAdapter(ws, KEY_A);
  expect(await readlink(current)).toBe(KEY_A);
});

test('a link leading out of artifacts/adapters is refused for reading and replaced, never followed, by publish', async () => {
  const { ws, outside, current } = await workspace();
  for (const target of [join(outside, 'fedcba987654'), '../../../outside/fedcba987654', '../' + KEY_A]) {
    await rm(current, { force: true });
    await symlink(target, current);
    await expect(readCurrentPointer(ws)).rejects.toThrow(
      `artifacts/adapters/current is a link to ${target}, not to an adapter directory in artifacts/adapters/: refusing to use it`,
    );
    await expect(currentAdapterDir(ws)).rejects.toThrow(/refusing to use it/);
    await publishCurrentAdapter(ws, KEY_B);
    expect(await readlink(current)).toBe(KEY_B);
  }
  // The same adapter named by an absolute path inside artifacts/adapters is fine.
  await rm(current);
  await symlink(join(ws, 'artifacts', 'adapters', KEY_A), current);
  expect(await readCurrentPointer(ws)).toBe(KEY_A);
  expect(await readFile(join(outside, 'fedcba987654', 'adapter_config.json'), 'utf8')).toBe('precious');
});

test('the link helper stays in its root: an outside target, a symlinked parent, a directory in the way', async () => {
  const { ws, outside, current } = await workspace();
  expect(() => replaceSymlinkAtomicSync('artifacts/adapters/current', '../../../outside', { root: ws })).toThrow(PathEscapeError);
  expect(await lstat(current).catch(() => undefined)).toBeUndefined();
  await mkdir(current);
  expect(() => replaceSymlinkAtomicSync('artifacts/adapters/current', KEY_A, { root: ws })).toThrow(/it is a directory/);
  await rm(current, { recursive: true });
  // artifacts/ itself leads outside: nothing is created there.
  await rm(join(ws, 'artifacts'), { recursive: true });
  await mkdir(join(outside, 'adapters'));
  await symlink(outside, join(ws, 'artifacts'));
  await expect(publishCurrentAdapter(ws, KEY_A)).rejects.toThrow(PathEscapeError);
  expect((await readdir(join(outside, 'adapters'))).length).toBe(0);
  await expect(publishCurrentAdapter(ws, '../x')).rejects.toThrow(/expected a short key/);
});

test('regress through the CLI: reads a link, refuses one leading outside before any server starts', async () => {
  const w = await regressWorkspace();
  const current = join(w.ws, 'artifacts', 'adapters', 'current');
  await rm(current);
  await symlink(ADAPTER_KEY, current);
  const ok = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
  expectExit(ok, 0);
  const results = (await readFile(join(w.ws, 'artifacts', 'regress', 'latest', 'results.jsonl'), 'utf8')).trim().split('\n');
  expect(results.length).toBe(4);

  const starts = async (): Promise<number> => (await readFile(w.log, 'utf8')).split('\n').filter((l) => l.includes('"event":"start"')).length;
  expect(await starts()).toBe(1);
  const outside = await temp.make('pl-current-outside-');
  await mkdir(join(outside, 'fedcba987654'));
  await writeFile(join(outside, 'fedcba987654', 'adapter_config.json'), '{}');
  await rm(current);
  await symlink(join(outside, 'fedcba987654'), current);
  const refused = await runCli(w.ws, ['run', 'regress'], { env: w.env });
  expect(refused.code).toBe(1);
  expect(refused.stdout + refused.stderr).toContain(`artifacts/adapters/current is a link to ${join(outside, 'fedcba987654')}, not to an adapter directory`);
  expect(refused.stdout + refused.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
  expect(await starts()).toBe(1); // no server was started for it
});
