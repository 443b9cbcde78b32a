// Failures of the regress stage through the real CLI that must still leave every report behind:
// the pass-rate gate, a case that keeps failing, and a bad cases file.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/workspace.js';
import { chatRequests, readRequests } from './fakeApi.js';
import { ADAPTER_KEY, readJsonl, SAMPLE_RULES, expectExit, setup, removeWorkspaces, regressOf, noStack } from './fixtures.js';
import { jest } from '@jest/globals';

// Each CLI run is a few seconds on an idle machine; leave room for a busy one.
jest.setTimeout(180_000);

afterAll(removeWorkspaces);

describe('regress: failures that still write every report', () => {
  test('below regress.min_pass_rate the stage fails (exit 1) after writing results, history and report', async () => {
    const w = await setup({ yaml: ['  min_pass_rate: 0.9'] });
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(r, 1);
    expect(regressOf(r.stdout)?.status).toBe('failed');
    expect(r.stdout + r.stderr).toContain('pass rate 75.0% is below regress.min_pass_rate 90.0% (1 failed; see artifacts/reports/regression.html)');
    // An expected failure, reported as such (not as a crash).
    expect(regressOf(r.stdout)?.reason).not.toContain('internal error');
    const perAdapter = await readJsonl<{ id: string; ok: boolean }>(join(w.ws, 'artifacts/regress', ADAPTER_KEY, 'results.jsonl'));
    expect(perAdapter.filter((x) => !x.ok).map((x) => x.id)).toEqual(['care-1']);
    expect(await readJsonl(join(w.ws, 'artifacts/regress/history.jsonl'))).toHaveLength(1);
    expect(await readFile(join(w.ws, 'artifacts/reports/regression.html'), 'utf8')).toContain('care-1');
    // Lowering the gate: the stage runs again, from the cache alone.
    const ok = await runCli(w.ws, ['run', 'regress', '--json', '--set', 'regress.min_pass_rate=0.5'], { env: w.env });
    expectExit(ok, 0);
    expect(chatRequests(await readRequests(w.log))).toHaveLength(4);
  });

  test('a case that keeps failing is recorded as an error; the rerun asks only for it', async () => {
    const rules = [{ contains: '实验失败', status: 500 }, ...SAMPLE_RULES];
    const w = await setup({ rules, yaml: ['  retries: 1'] });
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(r, 1);
    expect(r.stdout + r.stderr).toContain('1 of 4 cases got no answer (first: tone-1:');
    const results = await readJsonl<{ id: string; ok: boolean; error: string | null; failures: string[] }>(
      join(w.ws, 'artifacts/regress', ADAPTER_KEY, 'results.jsonl'),
    );
    const tone = results.find((x) => x.id === 'tone-1')!;
    expect(tone.ok).toBe(false);
    expect(tone.error).toMatch(/HTTP 500/);
    expect(tone.failures[0]).toMatch(/^error:/);
    expect(results.filter((x) => x.ok).map((x) => x.id)).toEqual(['identity-1', 'multi-1']);
    // 3 answered + 2 attempts for tone-1 (one retry).
    expect(chatRequests(await readRequests(w.log))).toHaveLength(5);

    await writeFile(w.env.FAKE_API_SCRIPT!, JSON.stringify({ rules: SAMPLE_RULES }));
    const again = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(again, 0);
    const chats = chatRequests(await readRequests(w.log));
    expect(chats).toHaveLength(6);
    expect(chats.at(-1)!.body!.messages!.at(-1)!.content).toBe('实验失败了，好沮丧。');
  });

  test('without llamafactory-cli the stage fails before any work, naming both ways out', async () => {
    const w = await setup();
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: { ...w.env, PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    expectExit(r, 1);
    const out = r.stdout + r.stderr;
    expect(out).toContain('`llamafactory-cli` was not found on PATH');
    expect(out).toContain('or set regress.endpoint to an OpenAI-compatible server you already run');
    expect(await readRequests(w.log)).toEqual([]);
  });

  test('a bad cases file fails with file, line and field, before any server starts', async () => {
    const w = await setup();
    await writeFile(
      join(w.ws, 'data/cases.jsonl'),
      [
        JSON.stringify({ id: 'ok-1', messages: [{ role: 'user', content: '你好' }], checks: {} }),
        JSON.stringify({ id: 'bad-1', messages: [{ role: 'user', content: '你好' }], checks: { regex_must: ['(?<name'] } }),
        JSON.stringify({ id: 'ok-1', messages: [{ role: 'user', content: '再见' }] }),
      ].join('\n'),
    );
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(r, 1);
    const out = r.stdout + r.stderr;
    expect(out).toContain('data/cases.jsonl:2 (id bad-1): checks.regex_must[0] is not a valid regex');
    expect(out).toContain('data/cases.jsonl:3: id \\"ok-1\\" duplicates the case on line 1');
    expect(out).not.toMatch(noStack);
    expect(await readRequests(w.log)).toEqual([]);
  });
});
