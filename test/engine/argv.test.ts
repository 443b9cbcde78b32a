// The one argument parser (node:util parseArgs tokens): every flag kind, and each usage error
// (exit code 2) naming the flag.
import { UsageError } from '../../src/api.js';
import { parseArgs } from '../../src/argv.js';
import { parseRunFlags } from '../../src/commands/runFlags.js';

const SPEC = { json: 'bool', jobs: 'string', set: 'list', force: 'optional' } as const;

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as Error).message;
  }
  throw new Error('expected a usage error');
}

test('flags with values (separate or inline), repeatable flags, positionals and --', () => {
  expect(parseArgs(['a', '--jobs', '3', '--set', 'x=1', 'b', '--set=y=2', '--json', '--', '--not-a-flag'], SPEC, 'run')).toEqual({
    positionals: ['a', 'b', '--not-a-flag'],
    flags: { jobs: '3', set: ['x=1', 'y=2'], json: true },
  });
  expect(parseArgs(['--jobs=4'], SPEC, 'run').flags.jobs).toBe('4');
  // A value may start with a dash, as the next argument of a flag that takes one.
  expect(parseArgs(['--set', '-x=1'], SPEC, 'run').flags.set).toEqual(['-x=1']);
});

test('an optional-value flag never takes the next argument; bare wins over inline values', () => {
  expect(parseArgs(['--force', 'train'], SPEC, 'run')).toEqual({ positionals: ['train'], flags: { force: true } });
  expect(parseArgs(['--force=a,b', '--force=c'], SPEC, 'run').flags.force).toEqual(['a,b', 'c']);
  expect(parseArgs(['--force=a', '--force'], SPEC, 'run').flags.force).toBe(true);
});

test('usage errors name the flag', () => {
  expect(usageError(() => parseArgs(['--frobnicate'], SPEC, 'run'))).toBe("run: unknown option '--frobnicate' (see `pipeline run --help`)");
  expect(usageError(() => parseArgs(['--colour=red'], SPEC, 'run'))).toContain("'--colour=red'");
  expect(usageError(() => parseArgs(['-q'], SPEC, 'run'))).toContain("'-q'");
  expect(usageError(() => parseArgs(['--json=yes'], SPEC, 'run'))).toBe('run: --json takes no value');
  expect(usageError(() => parseArgs(['--jobs'], SPEC, 'run'))).toBe('run: --jobs needs a value');
});

test('run flags: --force forms, --jobs bounds, --gpus lists', () => {
  expect(parseRunFlags(['train', '--force']).force).toBe('targets');
  expect(parseRunFlags(['--force=extract, register', '--force=train']).force).toEqual(['extract', 'register', 'train']);
  expect(parseRunFlags([]).force).toEqual([]);
  expect(parseRunFlags(['--gpus', '0,1', '--jobs', '2', '--cpu-only', '--dry-run', '--wait'])).toEqual({
    targets: [],
    cpuOnly: true,
    force: [],
    dryRun: true,
    jobs: 2,
    gpus: ['0', '1'],
    sets: [],
    json: false,
    wait: true,
    waitTimeout: undefined,
    requireTargets: true,
  });
  expect(usageError(() => parseRunFlags(['--jobs', '0']))).toContain("--jobs expects a whole number ≥ 1, got '0'");
});
