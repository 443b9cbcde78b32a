// Server lifetime of the regress stage through the real CLI: startup timeout, a
// server that dies while loading, Ctrl-C mid-generation, the user's API_KEY. No process may
// outlive the run.
import { runCli } from '../helpers/workspace.js';
import { chatRequests, readRequests, serverStarts } from './fakeApi.js';
import { alive, startCli, waitFor, expectExit, setup, removeWorkspaces, regressOf, noStack, type RegressWorkspace } from './fixtures.js';
import { jest } from '@jest/globals';

// Each CLI run is a few seconds on an idle machine; leave room for a busy one.
jest.setTimeout(180_000);

afterAll(removeWorkspaces);

/** Both processes of the double (dispatcher and server) have ended. */
async function expectServerGone(w: RegressWorkspace): Promise<void> {
  const starts = serverStarts(await readRequests(w.log));
  expect(starts.length).toBeGreaterThan(0);
  for (const s of starts) {
    expect(await alive(s.pid!)).toBe(false);
    expect(await alive(s.ppid!)).toBe(false);
  }
}

describe('regress: API server lifetime', () => {
  test('a server that never answers fails the stage at regress.startup_timeout, and is stopped', async () => {
    const w = await setup({ yaml: ['  startup_timeout: 3'], env: { FAKE_API_NEVER_LISTEN: '1', FAKE_API_STARTUP_MS: '0' } });
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(r, 1);
    const stage = regressOf(r.stdout)!;
    expect(stage.status).toBe('failed');
    // It waited out the bound, and not much longer (the server is stopped right away).
    expect(stage.ms).toBeGreaterThanOrEqual(3000);
    expect(stage.ms).toBeLessThan(12_000);
    const out = r.stdout + r.stderr;
    expect(out).toMatch(/llamafactory-cli api did not answer GET http:\/\/127\.0\.0\.1:\d+\/v1\/models within 3 s/);
    expect(out).toContain('raise regress.startup_timeout');
    expect(out).not.toMatch(noStack);
    await expectServerGone(w);
  });

  test('a server that exits while loading fails with the tail of its output', async () => {
    const w = await setup({ env: { FAKE_API_EXIT_BEFORE_LISTEN: '3' } });
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(r, 1);
    const out = r.stdout + r.stderr;
    expect(out).toContain('llamafactory-cli api exited with code 3 before it was ready');
    expect(out).toContain('CUDA out of memory (scripted failure of the test double)');
    expect(out).not.toMatch(noStack);
    await expectServerGone(w);
  });

  test('Ctrl-C while requests are in flight exits 130 and leaves no server process', async () => {
    const w = await setup({ env: { FAKE_API_LATENCY_MS: '20000' } });
    const run = startCli(w.ws, ['run', 'regress'], w.env);
    await waitFor(async () => chatRequests(await readRequests(w.log)).length > 0, 60_000, 'a chat request');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(130);
    await waitFor(
      async () => {
        const s = serverStarts(await readRequests(w.log))[0]!;
        return !(await alive(s.pid!)) && !(await alive(s.ppid!));
      },
      15_000,
      'the server to end',
    );
    await expectServerGone(w);
    // Nothing half-done looks fresh.
    const status = await runCli(w.ws, ['status', 'regress', '--json'], { env: w.env });
    expect(JSON.parse(status.stdout).stages[0].state).toBe('stale');
  });

  test('API_KEY from the user environment is not passed to the server the stage starts', async () => {
    const w = await setup({ env: { API_KEY: 'user-env-key' } });
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(r, 0);
    expect(serverStarts(await readRequests(w.log))[0]!.env).toMatchObject({ API_KEY_SET: false });
  });
});
