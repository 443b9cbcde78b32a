// A bad pipeline.yaml (or pipeline.ts) does not end the watcher: the error is reported with its
// location, nothing is built meanwhile, and fixing the file resumes watching with nothing lost.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { killAllWatchers, processGone, startWatch, statuses, type ConfigErrorEvent } from './watchProcess.js';
import { gathered, removeSmallWorkspaces, smallWorkspace, startsOf } from './smallDag.js';

afterEach(killAllWatchers);
afterAll(removeSmallWorkspaces);

const STACK_LINE = /^\s+at .*:\d+:\d+\)?$/m;

test('a bad pipeline.yaml is reported and watching goes on; fixing it resumes', async () => {
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' }, 'slow:\n  seconds: 0\n');
  const w = startWatch(ws, ['--debounce', '100']);
  expect((await w.waitForBuild(1)).ok).toBe(true);
  const isConfigError = (e: { event: string }): e is ConfigErrorEvent => e.event === 'config-error';

  // A value of the wrong type.
  await writeFile(join(ws, 'pipeline.yaml'), 'slow:\n  seconds: lots\n');
  const typeError = await w.waitForEvent(isConfigError, 'a config-error event for the wrong type');
  expect(typeError.error).toMatch(/pipeline\.yaml:2:\d+/);
  expect(typeError.error).toContain('slow.seconds');
  expect(typeError.error).not.toMatch(STACK_LINE);
  expect(processGone(w.pid)).toBe(false);

  // An input changes while the config is broken: nothing is built with a broken config...
  await writeFile(join(ws, 'in', 'b.txt'), 'beta\n');
  // ...and the YAML gets worse: a syntax error.
  const from = w.events().length;
  await writeFile(join(ws, 'pipeline.yaml'), 'slow:\n  seconds: [1\n');
  const syntaxError = await w.waitForEvent((e) => isConfigError(e) && /invalid YAML/i.test(e.error), 'a config-error event for the syntax error', { from });
  expect(syntaxError.event === 'config-error' && syntaxError.error).toMatch(/pipeline\.yaml:\d+:\d+/);
  expect(w.builds()).toHaveLength(1);
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha']);

  // The fix (with a new value gather reads) resumes: one build sees both the param and the new file.
  await writeFile(join(ws, 'pipeline.yaml'), 'slow:\n  seconds: 0.1\n');
  const resumed = await w.waitForBuild(2);
  expect(resumed.ok).toBe(true);
  expect(statuses(resumed)).toEqual({ gather: 'ran', count: 'ran' });
  const reason = resumed.stages.find((s) => s.name === 'gather')?.reason ?? '';
  expect(reason).toContain('in/b.txt');
  expect(reason).toContain('slow.seconds');
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/b.txt: beta']);
  expect(await startsOf(ws, 'gather')).toBe(2);

  // Watching really goes on after the fix.
  await writeFile(join(ws, 'in', 'c.txt'), 'gamma\n');
  expect((await w.waitForBuild(3)).ok).toBe(true);
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/b.txt: beta', 'in/c.txt: gamma']);
  expect((await w.stop()).code).toBe(130);
});

test('a pipeline.ts that does not compile is reported, and restoring it resumes', async () => {
  const ws = await smallWorkspace({ 'in/a.txt': 'alpha\n' });
  const w = startWatch(ws, ['--debounce', '100']);
  expect((await w.waitForBuild(1)).ok).toBe(true);
  const good = await readFile(join(ws, 'pipeline.ts'), 'utf8');

  await writeFile(join(ws, 'pipeline.ts'), `${good}\nexport const broken = ;\n`);
  const err = await w.waitForEvent((e) => e.event === 'config-error', 'a config-error event for pipeline.ts');
  expect(err.event === 'config-error' && err.error).toMatch(/pipeline\.ts:\d+:\d+/);
  expect(err.event === 'config-error' && err.error).not.toMatch(STACK_LINE);
  expect(processGone(w.pid)).toBe(false);

  await writeFile(join(ws, 'pipeline.ts'), good);
  await writeFile(join(ws, 'in', 'b.txt'), 'beta\n');
  const resumed = await w.waitForEvent((e) => e.event === 'build' && e.n >= 2 && e.stages.some((s) => s.status === 'ran'), 'a build after the fix');
  expect(resumed.event === 'build' && resumed.ok).toBe(true);
  expect(await gathered(ws)).toEqual(['in/a.txt: alpha', 'in/b.txt: beta']);
  expect((await w.stop()).code).toBe(130);
});
