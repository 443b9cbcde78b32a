// The one write helper (src/atomicWrite.ts): containment against a root, replacing a symlink
// instead of writing through it, and keeping a replaced file's mode when asked.
import { lstat, mkdir, readFile, readdir, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { containedPath, PathEscapeError, removeContained, writeFileAtomic } from '../../src/atomicWrite.js';
import { tempDirs } from '../helpers/workspace.js';

const temp = tempDirs();
afterAll(temp.removeAll);

async function layout(): Promise<{ root: string; ws: string; outside: string }> {
  const root = await temp.make('pl-atomic-');
  const ws = join(root, 'ws');
  const outside = join(root, 'outside');
  await mkdir(ws);
  await mkdir(outside);
  await writeFile(join(outside, 'victim.txt'), 'precious\n');
  return { root, ws, outside };
}

test('paths leaving the root, lexically or through a symlinked directory, are refused', async () => {
  const { ws, outside } = await layout();
  expect(containedPath(ws, 'a/b.txt')).toBe(join(ws, 'a/b.txt'));
  expect(containedPath(ws, join(ws, 'x'))).toBe(join(ws, 'x'));
  for (const p of ['../outside/victim.txt', join(outside, 'victim.txt'), '.', '']) expect(() => containedPath(ws, p)).toThrow(PathEscapeError);
  await symlink(outside, join(ws, 'linked'));
  expect(() => containedPath(ws, 'linked/victim.txt')).toThrow(/symbolic link/);
  expect(() => containedPath(ws, 'linked/new/deeper.txt')).toThrow(/symbolic link/);
  await expect(writeFileAtomic('linked/victim.txt', 'pwned', { root: ws })).rejects.toThrow(PathEscapeError);
  await expect(removeContained(ws, 'linked/victim.txt')).rejects.toThrow(PathEscapeError);
  expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('precious\n');
});

test('a symlink at the target is replaced by a regular file, its target untouched; no temp file is left', async () => {
  const { ws, outside } = await layout();
  await symlink(join(outside, 'victim.txt'), join(ws, 'history.txt'));
  await writeFileAtomic(join(ws, 'history.txt'), 'new\n', { root: ws });
  expect((await lstat(join(ws, 'history.txt'))).isFile()).toBe(true);
  expect(await readFile(join(ws, 'history.txt'), 'utf8')).toBe('new\n');
  expect(await readFile(join(outside, 'victim.txt'), 'utf8')).toBe('precious\n');
  expect(await readdir(ws)).toEqual(['history.txt']);
});

test('keepMode keeps the permission bits of the file it replaces; chunks are written in order', async () => {
  const { ws } = await layout();
  const f = join(ws, 'data', 'info.json');
  await writeFileAtomic(f, '{}', { root: ws });
  await chmod(f, 0o600);
  await writeFileAtomic(f, [Buffer.from('{"a":'), Buffer.from('1}')], { root: ws, keepMode: true });
  expect((await stat(f)).mode & 0o777).toBe(0o600);
  expect(await readFile(f, 'utf8')).toBe('{"a":1}');
});
