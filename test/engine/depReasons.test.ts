// The recorded deps of a run and the "deps added/removed/modified" reasons computed from them:
// the compact format round-trips, falls back to JSON where it cannot hold a path, reads what
// earlier versions wrote, refuses a damaged record; the merge walk and the map agree.
import { createHash } from 'node:crypto';
import { depReasons } from '../../src/staleness.js';
import { RecordedDeps } from '../../src/workspaceState.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');
const deps = (names: string[], salt = ''): Array<[string, string]> => names.map((n) => [n, h(n + salt)]);

test('the compact form round-trips paths and hashes', () => {
  const d = deps(['in/a.txt', 'in/b.txt', 'in/中文.txt']);
  const text = RecordedDeps.format(d);
  expect(text.startsWith('[')).toBe(false);
  const back = RecordedDeps.parse(text);
  expect(back.length).toBe(3);
  d.forEach(([p, hash], i) => {
    expect(back.path(i)).toBe(p);
    expect(back.hashIs(i, hash)).toBe(true);
    expect(back.hashIs(i, h('other'))).toBe(false);
  });
  expect(RecordedDeps.parse(RecordedDeps.format([])).length).toBe(0);
});

test('a path with a newline is written as JSON; JSON of earlier versions is read', () => {
  const d = deps(['in/a.txt', 'in/odd\nname.txt']);
  const text = RecordedDeps.format(d);
  expect(JSON.parse(text)).toEqual(d);
  const back = RecordedDeps.parse(text);
  expect(back.path(1)).toBe('in/odd\nname.txt');
  expect(back.hashIs(1, d[1]![1])).toBe(true);
});

test('a truncated record is refused, not half-read', () => {
  const text = RecordedDeps.format(deps(['a', 'b', 'c']));
  expect(() => RecordedDeps.parse(text.slice(0, text.length - 3).replace(/\n[^\n]*$/, ''))).toThrow(/damaged/);
});

test('added, removed and modified deps, from the merge walk and from the map alike', () => {
  const before = deps(['in/a', 'in/b', 'in/c', 'in/d']);
  const after: Array<[string, string]> = [before[0]!, [before[1]![0], h('changed')], before[3]!, ['in/e', h('e')]];
  const prev = RecordedDeps.parse(RecordedDeps.format(before));
  const expected = ['deps added: in/e', 'deps removed: in/c', 'deps modified: in/b'];
  expect(depReasons(prev, after)).toEqual(expected);
  // Unsorted (a record of an older version): the map gives the same answer.
  const shuffled = RecordedDeps.parse(JSON.stringify([before[2], before[0], before[3], before[1]]));
  expect(depReasons(shuffled, after)).toEqual(expected);
  expect(depReasons(prev, before)).toEqual([]);
});
