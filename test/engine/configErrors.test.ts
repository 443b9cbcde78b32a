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

test('watch: is the engine\'s own section: valid in any workspace, its errors named like any other', async () => {
  // NESTED_DAG's schema knows nothing of watch:, and is strict.
  const ok = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'watch:\n  debounce_ms: 50\n' });
  expect((await runJson(ok)).code).toBe(0);
  const neg = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': '# w\nwatch:\n  debounce_ms: -5\n' });
  await expectUsageError(neg, ['run'], 'pipeline.yaml:3:3', 'watch.debounce_ms: expected a whole number');
  const extra = await engineWorkspace(NESTED_DAG, { 'pipeline.yaml': 'watch:\n  debounce_ms: 5\n  poll: true\n' });
  await expectUsageError(extra, ['status'], 'pipeline.yaml:3:3', 'watch.poll: unknown key');
  await expectUsageError(ok, ['run', '--set', 'watch.debounce_ms=soon'], '--set watch.debounce_ms', 'watch.debounce_ms');
});
