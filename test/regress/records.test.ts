// Response-cache keys, summaries and the history file.
import { appendFile, copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { appendHistory, readHistory, type HistoryEntry } from '../../stages/regress/history.js';
import { flippedCases } from '../../stages/regress/report.js';
import { ResponseCache, responseKey, type ResponseKeyInput } from '../../stages/regress/responseCache.js';
import { percentile, summarize, type CaseResult } from '../../stages/regress/summary.js';
import { makeTempDir } from '../helpers/tempDirs.js';

const base: ResponseKeyInput = {
  responder: { adapter: 'abc', inference: { template: 'qwen', temperature: 0.7 } },
  model: null,
  messages: [{ role: 'user', content: '你好' }],
  decoding: { temperature: 0.7, top_p: 0.9, max_tokens: 512 },
};

describe('response cache key', () => {
  test('is stable under property order and changes with everything that changes the answer', () => {
    const k = responseKey(base);
    expect(responseKey({ ...base, responder: { inference: { temperature: 0.7, template: 'qwen' }, adapter: 'abc' } })).toBe(k);
    const variants: ResponseKeyInput[] = [
      { ...base, responder: { ...base.responder, adapter: 'abd' } },
      { ...base, responder: { endpoint: 'http://127.0.0.1:8000/v1' } },
      { ...base, model: 'eyja' },
      { ...base, messages: [{ role: 'system', content: '系统' }, ...base.messages] },
      { ...base, messages: [{ role: 'user', content: '你好！' }] },
      { ...base, decoding: { ...base.decoding, temperature: 0.2 } },
      { ...base, decoding: { ...base.decoding, top_p: 0.5 } },
      { ...base, decoding: { ...base.decoding, max_tokens: 256 } },
    ];
    const keys = new Set(variants.map(responseKey));
    expect(keys.size).toBe(variants.length);
    expect(keys.has(k)).toBe(false);
  });

  test('stores one small file per response and treats a damaged entry as a miss', async () => {
    const dir = await makeTempDir('regress-cache-');
    try {
      const cache = new ResponseCache(dir);
      const key = responseKey(base);
      expect(await cache.get(key)).toBeUndefined();
      const value = { response: '前辈好', finish_reason: 'stop', latency_ms: 12, model: 'm', created_at: '2026-01-01T00:00:00.000Z' };
      await cache.put(key, value);
      expect(await cache.get(key)).toEqual(value);
      expect(await readdir(join(dir, 'responses', key.slice(0, 2)))).toEqual([`${key}.json`]);
      await appendFile(join(dir, 'responses', key.slice(0, 2), `${key}.json`), 'garbage');
      expect(await cache.get(key)).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('an entry copied under another key is a miss, with one warning naming the file', async () => {
    const dir = await makeTempDir('regress-cache-');
    try {
      const warnings: string[] = [];
      const cache = new ResponseCache(dir, (w) => warnings.push(w));
      const k1 = responseKey(base);
      const k2 = responseKey({ ...base, model: 'other' });
      await cache.put(k1, { response: '答案一', finish_reason: 'stop', latency_ms: 1, model: 'm', created_at: '2026-01-01T00:00:00.000Z' });
      const f2 = join(dir, 'responses', k2.slice(0, 2), `${k2}.json`);
      await mkdir(join(f2, '..'), { recursive: true });
      await copyFile(join(dir, 'responses', k1.slice(0, 2), `${k1}.json`), f2);
      expect(await cache.get(k2)).toBeUndefined();
      expect(warnings).toEqual([expect.stringContaining(f2)]);
      // An entry of the old format (no key) cannot be told apart from a swapped one: a miss too.
      await writeFile(f2, JSON.stringify({ response: 'x', finish_reason: null, latency_ms: 1, model: 'm', created_at: 'c' }));
      expect(await cache.get(k2)).toBeUndefined();
      expect(warnings).toHaveLength(2);
      // One byte of the response changed, the JSON still valid: a miss, not a wrong answer.
      const f1 = join(dir, 'responses', k1.slice(0, 2), `${k1}.json`);
      await writeFile(f1, (await readFile(f1, 'utf8')).replace('答案一', '答案二'));
      expect(await cache.get(k1)).toBeUndefined();
      expect(warnings.at(-1)).toMatch(/checksum mismatch/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

const result = (id: string, ok: boolean, tags: string[], failures: string[] = [], latency: number | null = 100): CaseResult => ({
  id,
  ok,
  failures,
  response: ok ? '前辈' : null,
  tags,
  cached: false,
  latency_ms: latency,
  error: null,
});

describe('summary', () => {
  test('nearest-rank percentiles', () => {
    const xs = Array.from({ length: 10 }, (_, i) => (i + 1) * 10);
    expect([percentile(xs, 50), percentile(xs, 90), percentile(xs, 99), percentile([], 50)]).toEqual([50, 90, 100, null]);
  });

  test('pass rate overall and per tag, failures by kind, gate', () => {
    const results = [
      result('a', true, ['identity'], [], 100),
      result('b', false, ['identity', 'tone'], ['missing_required:前辈', 'too_short:3<40'], 300),
      result('c', false, [], ['missing_required:火山'], 200),
      { ...result('d', false, ['tone'], ['error:HTTP 500'], null), error: 'HTTP 500' },
    ];
    const s = summarize(results, { adapter: 'k', suiteHash: 'h', model: null, minPassRate: 0.5 });
    expect(s).toMatchObject({
      total: 4,
      passed: 1,
      failed: 3,
      errors: 1,
      pass_rate: 0.25,
      by_tag: { identity: { total: 2, passed: 1, pass_rate: 0.5 }, tone: { total: 2, passed: 0, pass_rate: 0 }, '(untagged)': { total: 1, passed: 0 } },
      failures_by_kind: { missing_required: 2, too_short: 1, error: 1 },
      latency_ms: { count: 3, p50: 200, max: 300 },
      gate_passed: false,
    });
    expect(Object.keys(s.failures_by_kind)[0]).toBe('missing_required');
    expect(summarize(results, { adapter: 'k', suiteHash: 'h', model: null, minPassRate: 0.25 }).gate_passed).toBe(true);
  });
});

describe('history', () => {
  const entry = (adapter: string, oks: Record<string, boolean>): HistoryEntry => ({
    v: 1,
    at: '2026-01-01T00:00:00.000Z',
    adapter,
    adapter_hash: null,
    suite_hash: 'h',
    model: null,
    total: Object.keys(oks).length,
    passed: Object.values(oks).filter(Boolean).length,
    pass_rate: 0,
    by_tag: {},
    cases: Object.entries(oks).map(([id, ok]) => ({ id, tags: [], ok, failures: ok ? [] : ['x'], response: id })),
  });

  test('appends one line per run; a damaged line is reported by line number and skipped', async () => {
    const dir = await makeTempDir('regress-history-');
    try {
      const file = join(dir, 'history.jsonl');
      appendHistory(dir, 'history.jsonl', entry('k1', { a: true, b: false }));
      await appendFile(file, '{"v":1,"at":\n');
      appendHistory(dir, 'history.jsonl', entry('k2', { a: false, b: true, c: true }));
      const { entries, warnings } = await readHistory(file, 'artifacts/regress/history.jsonl');
      expect(entries.map((e) => e.adapter)).toEqual(['k1', 'k2']);
      expect(warnings).toEqual(['artifacts/regress/history.jsonl:2: not valid JSON, line ignored']);
      // Flips: cases in both runs whose outcome changed (c is new, not a flip).
      expect(flippedCases(entries[0]!, entries[1]!).map((f) => [f.id, f.before.ok, f.after.ok])).toEqual([
        ['a', true, false],
        ['b', false, true],
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a symlinked history file is refused, not appended to; its target is untouched', async () => {
    const dir = await makeTempDir('regress-history-');
    try {
      await mkdir(join(dir, 'ws'));
      await writeFile(join(dir, 'victim'), 'precious\n');
      await symlink(join(dir, 'victim'), join(dir, 'ws', 'history.jsonl'));
      expect(() => appendHistory(join(dir, 'ws'), 'history.jsonl', entry('k1', { a: true }))).toThrow(/symbolic link/);
      expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('precious\n');
      // A history path that leaves the workspace is refused too.
      expect(() => appendHistory(join(dir, 'ws'), '../victim', entry('k1', { a: true }))).toThrow(/outside/);
      expect(await readFile(join(dir, 'victim'), 'utf8')).toBe('precious\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
