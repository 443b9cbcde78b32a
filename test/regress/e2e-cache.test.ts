// The regress stage through the real CLI: the double behind `llamafactory-cli api`, per-case
// response cache, outputs, history and report, and a freshness check.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseJsonEvents, runCli } from '../helpers/workspace.js';
import { chatRequests, readRequests, serverStarts } from './fakeApi.js';
import { ADAPTER_KEY, alive, casesJsonl, readJsonl, SAMPLE_CASES, expectExit, setup, removeWorkspaces, regressOf } from './fixtures.js';
import { jest } from '@jest/globals';

// Each CLI run is a few seconds on an idle machine; leave room for a busy one.
jest.setTimeout(180_000);

afterAll(removeWorkspaces);

const stageOf = regressOf;

describe('regress stage (end to end, fake llamafactory-cli api)', () => {
  test('asks every case once through a started server, writes results, summary, history and report, then stops the server', async () => {
    const w = await setup({ env: { FAKE_API_STARTUP_MS: '1500' } });
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expect(r.stderr).toBe('');
    expectExit(r, 0);
    expect(stageOf(r.stdout)?.status).toBe('ran');

    const events = await readRequests(w.log);
    const [start] = serverStarts(events);
    expect(serverStarts(events)).toHaveLength(1);
    // The server got the rendered inference YAML, loopback host, a port, and one pinned GPU.
    expect(start!.env).toMatchObject({ API_HOST: '127.0.0.1', API_PORT: expect.stringMatching(/^\d+$/), CUDA_VISIBLE_DEVICES: '0', API_KEY_SET: false });
    const chats = chatRequests(events);
    expect(chats.map((c) => c.body!.messages!.at(-1)!.content).sort()).toEqual(
      ['你是谁呀？', '实验失败了，好沮丧。', '凌晨三点还在加班。\n\n（请详细回答，不少于40字。）', '我叫什么来着？'].sort(),
    );
    // Readiness was awaited: no request before the server listened, none retried.
    const listening = events.find((e) => e.event === 'listening')!;
    expect(listening.t - start!.t).toBeGreaterThanOrEqual(1400);
    expect(chats.every((c) => c.t >= listening.t)).toBe(true);
    for (const c of chats) {
      expect(c.body).not.toHaveProperty('presence_penalty');
      expect(c.body).toMatchObject({ temperature: 0.7, top_p: 0.9, max_tokens: 512, model: 'gpt-3.5-turbo' });
    }
    // every request carries the persona prompt (persona.system_prompt unset, no curated dataset here: the built-in one)
    const multi = chats.find((c) => c.body!.messages!.length === 4)!;
    expect(multi.body!.messages!.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(chats.every((c) => c.body!.messages![0]!.role === 'system')).toBe(true);

    // The server and the launcher are gone.
    const serverPid = Number(await readFile(w.pidFile, 'utf8'));
    expect(await alive(serverPid)).toBe(false);

    const results = await readJsonl<{ id: string; ok: boolean; failures: string[]; response: string }>(join(w.ws, 'artifacts/regress/latest/results.jsonl'));
    expect(results.map((x) => [x.id, x.ok, x.failures])).toEqual([
      ['identity-1', true, []],
      ['tone-1', true, []],
      ['care-1', false, ['too_short:8<40']],
      ['multi-1', true, []],
    ]);
    expect(results[0]!.response).toBe('前辈好，我是艾雅法拉，罗德岛的火山学家。');
    const summary = JSON.parse(await readFile(join(w.ws, 'artifacts/regress/latest/summary.json'), 'utf8'));
    expect(summary).toMatchObject({
      adapter: ADAPTER_KEY,
      total: 4,
      passed: 3,
      pass_rate: 0.75,
      generated: 4,
      cached: 0,
      failures_by_kind: { too_short: 1 },
      by_tag: { care: { total: 1, passed: 0, pass_rate: 0 }, identity: { total: 1, passed: 1, pass_rate: 1 } },
    });
    expect(summary.latency_ms.count).toBe(4);
    expect(await readFile(join(w.ws, 'artifacts/regress', ADAPTER_KEY, 'results.jsonl'), 'utf8')).toBe(
      await readFile(join(w.ws, 'artifacts/regress/latest/results.jsonl'), 'utf8'),
    );
    expect(await readJsonl(join(w.ws, 'artifacts/regress/history.jsonl'))).toHaveLength(1);
    expect(existsSync(join(w.ws, 'artifacts/reports/regression.html'))).toBe(true);
    // The closing terminal summary.
    const messages = parseJsonEvents(r.stdout)
      .events.filter((e) => e.event === 'progress' && e.stage === 'regress')
      .map((e) => String(e.message));
    expect(messages).toEqual(expect.arrayContaining(['3/4 passed (75.0%) · adapter a1b2c3d4e5f6 · 4 generated, 0 cached', '✗ care-1: too_short:8<40']));

    // Nothing changed: fresh, no server, no request.
    const again = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expect(stageOf(again.stdout)?.status).toBe('fresh');
    expect(serverStarts(await readRequests(w.log))).toHaveLength(1);
  });

  test('editing one case sends exactly one request; editing only checks sends none and starts no server', async () => {
    const w = await setup();
    expectExit(await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env }), 0);
    expect(chatRequests(await readRequests(w.log))).toHaveLength(4);

    // One case's prompt changes.
    const edited = SAMPLE_CASES.map((c) => (c.id === 'tone-1' ? { ...c, user: '实验失败了三次，好沮丧。' } : c));
    await writeFile(join(w.ws, 'data/cases.jsonl'), casesJsonl(edited));
    const one = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(one, 0);
    const afterOne = await readRequests(w.log);
    expect(chatRequests(afterOne)).toHaveLength(5);
    expect(chatRequests(afterOne).at(-1)!.body!.messages!.at(-1)!.content).toBe('实验失败了三次，好沮丧。');
    expect(serverStarts(afterOne)).toHaveLength(2);
    expect(JSON.parse(await readFile(join(w.ws, 'artifacts/regress/latest/summary.json'), 'utf8'))).toMatchObject({ generated: 1, cached: 3 });

    // Only checks change (identity-1 tightened, care-1 gains a max_chars; its min_chars stays, since
    // min_chars is part of the prompt through the detail request): no server, no request, new verdicts.
    // A regex check on cached answers once made the run exit 13 (the regex worker was unref'd while
    // it started, with nothing else keeping the process alive).
    const newChecks: Record<string, Record<string, unknown>> = {
      'identity-1': { must_contain: ['博士'] },
      'tone-1': { must_contain: ['前辈'], regex_must: ['明天.*试'] },
      'care-1': { min_chars: 40, max_chars: 100, regex_must_not: ['休息'] },
    };
    const checksOnly = edited.map((c) => (newChecks[c.id] ? { ...c, checks: newChecks[c.id] } : c));
    await writeFile(join(w.ws, 'data/cases.jsonl'), casesJsonl(checksOnly));
    const none = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(none, 0);
    expect(stageOf(none.stdout)?.status).toBe('ran');
    const afterNone = await readRequests(w.log);
    expect(chatRequests(afterNone)).toHaveLength(5);
    expect(serverStarts(afterNone)).toHaveLength(2);
    const results = await readJsonl<{ id: string; ok: boolean; failures: string[]; cached: boolean }>(join(w.ws, 'artifacts/regress/latest/results.jsonl'));
    expect(results.map((x) => [x.id, x.ok, x.failures, x.cached])).toEqual([
      ['identity-1', false, ['missing_required:博士'], true],
      ['tone-1', true, [], true],
      ['care-1', false, ['too_short:8<40', 'regex_must_not_fail:休息'], true],
      ['multi-1', true, [], true],
    ]);
    // Each run is one history line.
    expect(await readJsonl(join(w.ws, 'artifacts/regress/history.jsonl'))).toHaveLength(3);
  });
});

describe('regress stage: regexes that hit their time bound', () => {
  test('three catastrophic regexes on fresh answers time out one by one and the run still ends normally', async () => {
    const evil = '^(a+)+$';
    const cases = [1, 2, 3].map((n) => ({ id: `slow-${n}`, user: `slow ${n}`, checks: { regex_must_not: [evil] } }));
    const w = await setup({ cases, rules: [{ contains: 'slow', response: `${'a'.repeat(40)}b` }], yaml: ['  regex_timeout_ms: 200'] });
    const r = await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env });
    expectExit(r, 0);
    const results = await readJsonl<{ id: string; failures: string[] }>(join(w.ws, 'artifacts/regress/latest/results.jsonl'));
    expect(results.map((x) => [x.id, x.failures])).toEqual(cases.map((c) => [c.id, [`regex_timeout:${evil}`]]));
  });
});
