// Every command and subcommand takes --help (and `pipeline help <command>` prints the same); exit
// codes say what happened: a requested stage that could not run is 1, a dry run under --cpu-only
// says GPU stages are skipped.
import { PROJECT_PIPELINE_TS } from '../helpers/workspace.js';
import { cli, dagSource, engineWorkspace, removeWorkspaces, runJson, STACK_LINE } from './fixtures.js';

afterAll(removeWorkspaces);

test('every command listed by `pipeline --help`, and every subcommand, prints its usage for --help, -h and `help <cmd>`', async () => {
  // The project's own DAG: its domain commands (extract, chat, webchat, report, demo) are listed too.
  const ws = await engineWorkspace(PROJECT_PIPELINE_TS);
  const top = await cli(ws, ['--help']);
  expect(top.code).toBe(0);
  const commands = top.stdout
    .slice(top.stdout.indexOf('Commands:'))
    .split('\n')
    .slice(1)
    .map((l) => /^ {2}(\S+) +\S/.exec(l)?.[1])
    .filter((c): c is string => c !== undefined);
  expect(commands).toEqual(expect.arrayContaining(['run', 'status', 'dag', 'watch', 'cache', 'extract', 'chat', 'webchat', 'report', 'demo']));
  expect((await cli(ws, ['help'])).stdout).toBe(top.stdout);

  const invocations = [...commands.map((c) => [c]), ['cache', 'gc'], ['cache', 'dir']];
  for (const inv of invocations) {
    const long = await cli(ws, [...inv, '--help']);
    expect({ inv, code: long.code, stderr: long.stderr }).toEqual({ inv, code: 0, stderr: '' });
    expect({ inv, head: long.stdout.split('\n')[0] }).toEqual({ inv, head: expect.stringMatching(new RegExp(`^Usage: pipeline ${inv[0]}\\b`)) });
    if (inv.length > 1) expect(long.stdout).toContain(`pipeline ${inv.join(' ')}`);
    expect((await cli(ws, [...inv, '-h'])).stdout).toBe(long.stdout);
    if (inv.length === 1) {
      const viaHelp = await cli(ws, ['help', inv[0]!]);
      expect({ inv, code: viaHelp.code, stdout: viaHelp.stdout }).toEqual({ inv, code: 0, stdout: long.stdout });
    }
  }
  const unknown = await cli(ws, ['help', 'frobnicate']);
  expect(unknown.code).toBe(2);
  expect(unknown.stderr).toContain("'frobnicate'");
  expect(unknown.stderr).not.toMatch(STACK_LINE);
});

const GPU_DAG = dagSource(
  `z.object({}).strict()`,
  `
    defineStage({ name: 'prep', outs: ['out/prep.txt'], async run(ctx) { await bump(ctx, 'prep'); await writeFile(ctx.out('out/prep.txt'), 'p'); } }),
    defineStage({ name: 'train', gpus: 1, deps: ['out/prep.txt'], outs: ['out/train.txt'], async run(ctx) { await writeFile(ctx.out('out/train.txt'), 't'); } }),
    defineStage({ name: 'eval', gpus: 1, deps: ['out/train.txt'], outs: ['out/eval.txt'], async run(ctx) { await writeFile(ctx.out('out/eval.txt'), 'e'); } }),`,
);

test('run TARGET --cpu-only exits 1 when the target needs a GPU; without targets GPU stages are just skipped', async () => {
  const ws = await engineWorkspace(GPU_DAG);
  const named = await runJson(ws, ['eval', '--cpu-only']);
  expect(named.code).toBe(1);
  expect(named.summary.ok).toBe(false);
  expect(named.statuses).toEqual({ prep: 'ran', train: 'skipped', eval: 'skipped' });
  expect(named.summary.notRun).toEqual(["requested stage 'eval' could not run: needs 1 GPU(s); --cpu-only"]);
  const plain = await cli(ws, ['run', 'eval', '--cpu-only']);
  expect(plain.code).toBe(1);
  expect(plain.stdout).toContain("requested stage 'eval' could not run: needs 1 GPU(s); --cpu-only\nFAILED: ");
  // The CPU part of the same request still ran and is recorded, and the default target set is fine.
  const all = await runJson(ws, ['--cpu-only']);
  expect(all.code).toBe(0);
  expect(all.statuses).toEqual({ prep: 'fresh', train: 'skipped', eval: 'skipped' });
  expect((await runJson(ws, ['prep', '--cpu-only'])).code).toBe(0);
});

test('a dry run under --cpu-only says GPU stages are skipped, not that they would run', async () => {
  const ws = await engineWorkspace(GPU_DAG);
  const dry = await runJson(ws, ['--cpu-only', '--dry-run']);
  expect(dry.code).toBe(0);
  expect(dry.summary.stages.map((s) => [s.name, s.status, s.reason])).toEqual([
    ['prep', 'skipped', expect.stringMatching(/^dry run: would run/)],
    ['train', 'skipped', 'needs 1 GPU(s); --cpu-only'],
    ['eval', 'skipped', 'needs 1 GPU(s); --cpu-only'],
  ]);
});
