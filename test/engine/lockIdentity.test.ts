// Lock identity (#14 item 3): a lock names its holder by pid + process start time + boot id. A lock
// that does not parse, or whose holder does not match all three, is recovered; a live holder is
// waited for, with a report of whom, and --wait-timeout gives up with a clear message.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { processStartTime, WorkspaceLock, type LockInfo } from '../../src/lock.js';
import { cli, exists, removeWorkspaces, runJson, stdWorkspace } from './fixtures.js';

const sleepers: ChildProcess[] = [];
afterAll(async () => {
  for (const s of sleepers) s.kill('SIGKILL');
  await removeWorkspaces();
});

const BOOT = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

/** A live process that is not a pipeline run, and a lock naming it exactly. */
function liveHolder(): { pid: number; lock: LockInfo } {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  sleepers.push(child);
  const pid = child.pid!;
  const lock: LockInfo = {
    pid,
    startTime: processStartTime(pid)!,
    bootId: BOOT,
    host: hostname(),
    command: 'pipeline run (test holder)',
    startedAt: new Date().toISOString(),
    runId: 'abcdef0123456789',
    children: [],
  };
  return { pid, lock };
}

async function writeLock(ws: string, content: string, ageMs = 0): Promise<void> {
  await mkdir(join(ws, '.pipeline'), { recursive: true });
  const file = join(ws, '.pipeline', 'lock');
  await writeFile(file, content);
  if (ageMs) {
    const { utimes } = await import('node:fs/promises');
    const t = new Date(Date.now() - ageMs);
    await utimes(file, t, t);
  }
}

const valid = (over: Partial<LockInfo>): string => JSON.stringify({ ...liveHolder().lock, ...over });

test.each([
  ['{}', '{}'],
  ['[]', '[]'],
  ['"str"', '"str"'],
  ['123', '123'],
  ['empty', ''],
  ['pid 0', () => valid({ pid: 0 })],
  ['pid -1', () => valid({ pid: -1 })],
  ['a live unrelated pid (1)', () => valid({ pid: 1 })],
  ['a reused pid (start time differs)', () => valid({ startTime: '1' })],
  ['another boot', () => valid({ bootId: '00000000-0000-0000-0000-000000000000' })],
  ['the format without identity', () => JSON.stringify({ pid: 1, command: 'x', startedAt: 'y', host: hostname(), runId: 'ab', children: [] })],
])('a lock with %s is stale: the run recovers it and succeeds', async (_what, content) => {
  const ws = await stdWorkspace();
  await writeLock(ws, typeof content === 'function' ? content() : content, 3000);
  const r = await runJson(ws);
  expect(r.code).toBe(0);
  expect(r.statuses).toEqual({ one: 'ran', two: 'ran', side: 'ran' });
  expect(exists(ws, '.pipeline/lock')).toBe(false);
});

test('a fresh unparsable lock is given a short grace, then recovered', async () => {
  const ws = await stdWorkspace();
  await writeLock(ws, '{');
  const t0 = Date.now();
  const r = await runJson(ws, ['one']);
  expect(r.code).toBe(0);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1500);
  expect(r.stderr).toMatch(/warning: .*\.pipeline\/lock: the lock file does not parse; treated as stale and removed/);
});

test('a live holder: refused without --wait; --wait-timeout gives up naming it, exit 1', async () => {
  const ws = await stdWorkspace();
  const { pid, lock } = liveHolder();
  await writeLock(ws, JSON.stringify(lock));
  const refused = await cli(ws, ['run']);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toContain(`pid ${pid}`);
  const t0 = Date.now();
  const gaveUp = await cli(ws, ['run', '--wait-timeout', '1s']);
  expect(gaveUp.code).toBe(1);
  expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
  expect(gaveUp.stderr).toMatch(new RegExp(`waiting for the workspace lock held by pid ${pid}`));
  expect(gaveUp.stderr).toMatch(new RegExp(`gave up waiting for the workspace lock after 1s \\(--wait-timeout\\): it is held by pid ${pid}`));
  expect(gaveUp.stderr).not.toMatch(/\n\s+at /);
  // The holder's lock is untouched.
  expect(JSON.parse(readFileSync(join(ws, '.pipeline/lock'), 'utf8'))).toEqual(lock);
  const bad = await cli(ws, ['run', '--wait-timeout', 'soon']);
  expect(bad.code).toBe(2);
  expect(bad.stderr).toMatch(/--wait-timeout expects a duration/);
});

test('--wait reports whom it waits for at every interval, until the timeout', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pl-lock-'));
  try {
    const { pid, lock } = liveHolder();
    await writeFile(join(dir, 'lock'), JSON.stringify(lock));
    const reports: Array<[number, number]> = [];
    const l = new WorkspaceLock(join(dir, 'lock'));
    await expect(l.acquire('test', 'ff', { wait: true, timeoutMs: 1200, reportEveryMs: 300, onWait: (h, ms) => reports.push([h.pid, ms]) })).rejects.toThrow(
      /gave up waiting/,
    );
    expect(reports.length).toBeGreaterThanOrEqual(3);
    expect(reports.every(([p]) => p === pid)).toBe(true);
    expect(reports[0]![1]).toBe(0);
    // Once the holder is gone, the same lock is recovered at once.
    sleepers.at(-1)!.kill('SIGKILL');
    await new Promise((r) => sleepers.at(-1)!.once('exit', r));
    await l.acquire('test', 'ff', { wait: false });
    expect(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'))).toMatchObject({ pid: process.pid, runId: 'ff' });
    await l.release();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
