// Glob specs through picomatch: what counts as a glob, its base directory, and what it matches.
import { globBase, globToRegExp, isGlob, watchRoot } from '../../src/pathSpec.js';

test('globs and plain paths; {key} in an out is not a glob', () => {
  for (const g of ['in/*.txt', 'in/**/x', 'in/?.txt', 'in/[ab].txt', 'in/{a,b}.txt', '/models/*/config.json']) expect([g, isGlob(g)]).toEqual([g, true]);
  for (const p of ['in', 'in/a.txt', 'artifacts/adapters/{key}', '/models/base']) expect([p, isGlob(p)]).toEqual([p, false]);
});

test('the base directory of a glob is what lies before its first wildcard segment', () => {
  expect(globBase('in/**/*.txt')).toBe('in');
  expect(globBase('in/{a,b}/x.txt')).toBe('in');
  expect(globBase('*.txt')).toBe('.');
  expect(globBase('/models/*/config.json')).toBe('/models');
  expect(watchRoot('data/{x,y}.json')).toBe('data');
  expect(watchRoot('data/x.json')).toBe('data/x.json');
});

test('matching: * stays in one segment and matches dotfiles, ** spans segments, braces, classes', () => {
  const m = (g: string, p: string) => globToRegExp(g).test(p);
  expect(m('in/*.txt', 'in/a.txt')).toBe(true);
  expect(m('in/*.txt', 'in/.hidden.txt')).toBe(true);
  expect(m('in/*.txt', 'in/sub/a.txt')).toBe(false);
  expect(m('in/**/*.txt', 'in/a.txt')).toBe(true);
  expect(m('in/**/*.txt', 'in/x/y/a.txt')).toBe(true);
  expect(m('in/**/*.txt', 'in/x/a.md')).toBe(false);
  expect(m('in/{a,b}.txt', 'in/b.txt')).toBe(true);
  expect(m('in/{a,b}.txt', 'in/c.txt')).toBe(false);
  expect(m('in/[!a].txt', 'in/b.txt')).toBe(true);
  expect(m('in/[!a].txt', 'in/a.txt')).toBe(false);
  expect(m('/models/*/config.json', '/models/qwen/config.json')).toBe(true);
});
