// Staleness reasons as values: what changed between two recorded input lists (sorted or not),
// param differences with their old and new values, code changes naming files and package
// versions, and how each kind reads for people.
import { createHash } from 'node:crypto';
import { codeReason, depReasons, paramReasons, renderReason, renderReasons } from '../../src/reasons.js';

const h = (s: string) => createHash('sha256').update(s).digest('hex');
const deps = (names: string[], salt = ''): Array<[string, string]> => names.map((n) => [n, h(n + salt)]);

test('added, removed and modified deps; an unsorted record gives the same answer', () => {
  const before = deps(['in/a', 'in/b', 'in/c', 'in/d']);
  const after: Array<[string, string]> = [before[0]!, [before[1]![0], h('changed')], before[3]!, ['in/e', h('e')]];
  const expected = [
    { kind: 'dep-added', paths: ['in/e'] },
    { kind: 'dep-removed', paths: ['in/c'] },
    { kind: 'dep-modified', paths: ['in/b'] },
  ];
  expect(depReasons(before, after)).toEqual(expected);
  expect(depReasons([before[2]!, before[0]!, before[3]!, before[1]!], after)).toEqual(expected);
  expect(depReasons(before, before)).toEqual([]);
  expect(renderReasons(depReasons(before, after))).toBe('deps added: in/e; deps removed: in/c; deps modified: in/b');
});

test('long lists are shortened for people, kept whole as values', () => {
  const added = deps(Array.from({ length: 8 }, (_, i) => `in/f${i}`));
  const [r] = depReasons([], added);
  expect(r).toEqual({ kind: 'dep-added', paths: added.map((d) => d[0]) });
  expect(renderReason(r!)).toBe('deps added: in/f0, in/f1, in/f2, in/f3, in/f4 (+3 more)');
});

test('param reasons carry the key and both values; unset reads as (unset)', () => {
  const rs = paramReasons({ train: { lora_rank: 8, lr: 1e-4 }, b: 'x' }, { train: { lora_rank: 16, lr: 1e-4 }, c: [1, 2] });
  expect(rs).toEqual([
    { kind: 'param', key: 'b', from: 'x', to: null },
    { kind: 'param', key: 'c', from: null, to: [1, 2] },
    { kind: 'param', key: 'train.lora_rank', from: 8, to: 16 },
  ]);
  expect(rs.map(renderReason)).toEqual(['param b: "x" → (unset)', 'param c: (unset) → [1,2]', 'param train.lora_rank: 8 → 16']);
});

test('a code reason names the changed files and packages with their versions', () => {
  const before: Array<[string, string]> = [
    ['npm:node_modules/zod', '4.0.0'],
    ['stages/a/stage.ts', h('1')],
    ['stages/b/mix.ts', h('2')],
  ];
  const after: Array<[string, string]> = [
    ['npm:node_modules/zod', '4.1.0'],
    ['stages/a/stage.ts', h('1')],
    ['stages/b/mix.ts', h('3')],
    ['stages/b/new.ts', h('4')],
  ];
  const r = codeReason(before, after);
  expect(r).toEqual({ kind: 'code', files: ['stages/b/mix.ts', 'stages/b/new.ts'], packages: [{ name: 'zod', from: '4.0.0', to: '4.1.0' }] });
  expect(renderReason(r)).toBe('code changed: stages/b/mix.ts, stages/b/new.ts, package zod 4.0.0 → 4.1.0');
  expect(renderReason(codeReason(before, before))).toBe('code changed');
});
