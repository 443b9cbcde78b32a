// Config errors name file:line:col (or the --set that caused them) and exit 2 without a stack.
import { cli, dagSource, engineWorkspace, read, removeWorkspaces, runJson, runsOf, STACK_LINE } from './fixtures.js';

afterAll(removeWorkspaces);

const NESTED_DAG = dagSource(
  `z.object({
    a: z.object({
      inner: z.object({ n: z.number().int().default(1), label: z.string().default('x') }).strict().prefault({}),
    }).strict().prefault({}),
  }).strict()`,
  `
    defineStage({ name: 'one', outs: ['out/one.txt'], params: ['a.inner'],
      async run(ctx) { await bump(ctx, 'one'); await writeFile(ctx.out('out/one.txt'), JSON.stringify(ctx.param('a.inner'))); } }),`,
);

async function expectUsageError(ws: string, args: string[], ...patterns: Array<string | RegExp>): Promise<string> {
  const r = await cli(ws, args);
  expect({ code: r.code, stdout: r.stdout }).toEqual({ code: 2, stdout: '' });
  for (const p of patterns) {
    if (typeof p === 'string') expect(r.stderr).toContain(p);
    else expect(r.stderr).toMatch(p);
  }
  expect(r.stderr).not.toMatch(STACK_LINE);
  expect(r.stderr).not.toMatch(/internal error/);
  return r.stderr;
}

test('a wrong type deep in pipeline.yaml names file:line:col and the key, for run and status', async () => {
  const yaml = '# knobs\na:\n  inner:\n    label: fine\n    n: "three"\n';
  const ws = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': yaml });
  await expectUsageError(ws, ['run'], 'pipeline.yaml:5:5', 'a.inner.n');
  await expectUsageError(ws, ['status', '--json'], 'pipeline.yaml:5:5', 'a.inner.n');
  await expectUsageError(ws, ['run', '--json'], 'pipeline.yaml:5:5');
});

test('an unknown key names its file:line:col and the key', async () => {
  const ws = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    n: 2\n    colour: red\n' });
  await expectUsageError(ws, ['run'], 'pipeline.yaml:4:5', 'colour');
  const top = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner: {}\ntrian:\n  lr: 1\n' });
  await expectUsageError(top, ['status'], 'pipeline.yaml:3:1', 'trian');
});

test('invalid YAML syntax names file:line:col', async () => {
  const dup = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    n: 1\n    n: 2\n' });
  await expectUsageError(dup, ['run'], 'pipeline.yaml:4:5', /invalid YAML/);
  const indent = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    n: 1\n   label: x\n' });
  await expectUsageError(indent, ['run'], /pipeline\.yaml:4:\d+: invalid YAML/);
  const unclosed = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner: { n: 1\n' });
  await expectUsageError(unclosed, ['status'], /pipeline\.yaml:\d+:\d+: invalid YAML/);
});

test('a bad --set names the --set; nothing runs', async () => {
  const ws = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    n: 2\n' });
  await expectUsageError(ws, ['run', '--set', 'a.inner.n=abc'], '--set a.inner.n', 'a.inner.n');
  await expectUsageError(ws, ['status', '--set', 'a.inner.nn=1'], '--set a.inner.nn');
  await expectUsageError(ws, ['run', '--set', 'a.inner.n'], '--set', 'key.path=value');
  await expectUsageError(ws, ['run', '--set', 'a.inner.n.deeper=1'], '--set a.inner.n.deeper');
  expect(await runsOf(ws, 'one')).toBe(0);
  // A good --set still works, and is typed like YAML.
  const r = await runJson(ws, ['--set', 'a.inner.n=5', '--set', 'a.inner.label=five']);
  expect(r.code).toBe(0);
  expect(r.statuses).toEqual({ one: 'ran' });
  expect(JSON.parse(await read(ws, 'out/one.txt'))).toEqual({ n: 5, label: 'five' });
});

// A DAG whose schema is not strict at the top (as this project's own pipeline.ts): the engine must
// still refuse unknown top-level keys, since zod would drop them silently.
const LOOSE_TOP_DAG = dagSource(
  `z.object({
    train: z.object({ lora_rank: z.number().int().default(8), learning_rate: z.number().default(1e-4) }).strict().prefault({}),
  })`,
  `
    defineStage({ name: 'one', outs: ['out/one.txt'], params: ['train'],
      async run(ctx) { await bump(ctx, 'one'); await writeFile(ctx.out('out/one.txt'), JSON.stringify(ctx.param('train'))); } }),`,
);

test("unknown top-level keys are errors with the closest known key suggested (the engine's own gpus and watch included)", async () => {
  const trian = await engineWorkspace(LOOSE_TOP_DAG, { 'pipeline.yaml': '# knobs\ntrian:\n  lora_rank: 16\n' });
  await expectUsageError(trian, ['run'], 'pipeline.yaml:2:1', 'trian', 'did you mean `train`?', '  2 | trian:\n    | ^');
  const gpu = await engineWorkspace(LOOSE_TOP_DAG, { 'pipeline.yaml': 'gpu: [0]\n' });
  await expectUsageError(gpu, ['status'], 'pipeline.yaml:1:1', 'did you mean `gpus`?');
  const foo = await engineWorkspace(LOOSE_TOP_DAG, { 'pipeline.yaml': 'train: {}\nfoo: 1\n' });
  const err = await expectUsageError(foo, ['run'], 'pipeline.yaml:2:1', 'foo: unknown key at the top level');
  expect(err).not.toContain('did you mean');
  expect(await runsOf(foo, 'one')).toBe(0);
  // The keys the engine reads itself are known, and a good file still runs.
  const ok = await engineWorkspace(LOOSE_TOP_DAG, { 'pipeline.yaml': 'gpus: [0]\nwatch:\n  debounce_ms: 100\ntrain:\n  lora_rank: 4\n' });
  expect((await runJson(ok, [])).statuses).toEqual({ one: 'ran' });
});

test('an unknown --set key is named once, with the closest key suggested', async () => {
  const ws = await engineWorkspace(LOOSE_TOP_DAG, { 'pipeline.yaml': 'train:\n  lora_rank: 8\n' });
  const err = await expectUsageError(ws, ['run', '--set', 'train.lora_rnak=16'], '--set train.lora_rnak: unknown key in train (did you mean `lora_rank`?)');
  expect(err.match(/lora_rnak/g)).toHaveLength(1);
  await expectUsageError(ws, ['status', '--set', 'trian.lora_rank=16'], '--set trian.lora_rank', 'did you mean `train`?');
  // A nested unknown key in the file gets its suggestion too.
  const nested = await engineWorkspace(LOOSE_TOP_DAG, { 'pipeline.yaml': 'train:\n  learning_rat: 0.1\n' });
  await expectUsageError(nested, ['run'], 'pipeline.yaml:2:3', 'did you mean `learning_rate`?');
});

test('a --set value that is not valid YAML is refused; a quoted one is a string', async () => {
  const ws = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    n: 2\n' });
  await expectUsageError(ws, ['run', '--set', 'a.inner.label={'], '--set a.inner.label={', 'not valid YAML');
  await expectUsageError(ws, ['run', '--set', 'a.inner.label=[1, 2'], 'not valid YAML');
  expect(await runsOf(ws, 'one')).toBe(0);
  const r = await runJson(ws, ['--set', "a.inner.label='{'"]);
  expect(r.code).toBe(0);
  expect(JSON.parse(await read(ws, 'out/one.txt'))).toEqual({ n: 2, label: '{' });
});

test('YAML syntax errors point at the line that is wrong, with its text and a caret under the column', async () => {
  // An unclosed flow sequence on line 3: the parser notices it on line 4; the message must say 3.
  const flow = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    label: [前辈\n    n: 1\n' });
  const e1 = await expectUsageError(flow, ['run'], 'pipeline.yaml:3:12: invalid YAML');
  // The caret sits under the bracket (the CJK text after it does not matter; spaces before it do).
  expect(e1).toContain('  3 |     label: [前辈\n    |            ^');
  const quote = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    label: "open\n    n: 1\n' });
  await expectUsageError(quote, ['status'], 'pipeline.yaml:3:12', '  3 |     label: "open');
  const indent = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    n: 1\n   label: x\n' });
  await expectUsageError(indent, ['run'], 'pipeline.yaml:4:4: invalid YAML', '  4 |    label: x\n    |    ^');
  // A caret under a CJK-prefixed column counts wide characters as two cells.
  const wide = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a:\n  inner:\n    label: 前辈\n    n: 三\n' });
  await expectUsageError(wide, ['run'], 'pipeline.yaml:4:5', '  4 |     n: 三\n    |     ^');
});

test('a YAML alias bomb is a config error naming the file, not an internal error', async () => {
  const bomb = [
    'a: &a [x, x, x, x, x, x, x, x, x, x]',
    'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
    'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    'd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]',
    'e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]',
  ].join('\n');
  const ws = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': `${bomb}\n` });
  await expectUsageError(ws, ['run'], /^pipeline: pipeline\.yaml: too many alias expansions/);
  await expectUsageError(ws, ['status'], 'pipeline.yaml', 'alias');
  const set = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'a: {}\n' });
  await expectUsageError(set, ['run', '--set', `a.inner.n={${bomb.split('\n').join(', ')}}`], '--set a.inner.n: too many alias expansions');
});

test("watch: is the engine's own section: valid in any workspace, its errors named like any other", async () => {
  // NESTED_DAG's schema knows nothing of watch:, and is strict.
  const ok = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'watch:\n  debounce_ms: 50\n' });
  expect((await runJson(ok)).code).toBe(0);
  const neg = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': '# w\nwatch:\n  debounce_ms: -5\n' });
  await expectUsageError(neg, ['run'], 'pipeline.yaml:3:3', 'watch.debounce_ms: expected a whole number');
  const extra = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'watch:\n  debounce_ms: 5\n  poll: true\n' });
  await expectUsageError(extra, ['status'], 'pipeline.yaml:3:3', 'watch.poll: unknown key');
  await expectUsageError(ok, ['run', '--set', 'watch.debounce_ms=soon'], '--set watch.debounce_ms', 'watch.debounce_ms');
});
