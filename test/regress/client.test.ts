import { join } from 'node:path';
import { chatCompletion, listModels, RequestError, withRetries } from '../../stages/regress/client.js';
import { chatRequests, readRequests, startFakeApi, writeScript, type RunningFake } from './fakeApi.js';
import { makeTempDir } from '../helpers/tempDirs.js';

const decoding = { temperature: 0.3, top_p: 0.8, max_tokens: 64 };

describe('OpenAI-compatible client against the fake server', () => {
  let dir: string;
  let fake: RunningFake;
  let log: string;
  beforeAll(async () => {
    dir = await makeTempDir('regress-client-');
    log = join(dir, 'requests.jsonl');
    const script = await writeScript(dir, [{ contains: '名字', response: '前辈，我是艾雅法拉。' }]);
    fake = await startFakeApi({ FAKE_API_SCRIPT: script, FAKE_API_LOG: log, FAKE_API_FAIL_FIRST: '2', API_KEY: 'k-123', API_MODEL_NAME: 'eyja' });
  });
  afterAll(async () => {
    await fake.stop();
  });

  test('lists models, retries transient 503s, and sends only the allowed decoding fields', async () => {
    const opts = { baseUrl: fake.baseUrl, apiKey: 'k-123', timeoutMs: 5000 };
    expect(await listModels(opts)).toEqual(['eyja']);
    const retries: number[] = [];
    const c = await withRetries(() => chatCompletion('eyja', [{ role: 'user', content: '你叫什么名字？' }], decoding, opts), {
      retries: 3,
      baseDelayMs: 10,
      onRetry: (_e, attempt) => retries.push(attempt),
    });
    expect(c.content).toBe('前辈，我是艾雅法拉。');
    expect(c.finishReason).toBe('stop');
    expect(retries).toEqual([1, 2]);
    const chats = chatRequests(await readRequests(log));
    expect(chats).toHaveLength(3);
    const body = chats.at(-1)!.body!;
    expect(Object.keys(body).sort()).toEqual(['max_tokens', 'messages', 'model', 'stream', 'temperature', 'top_p']);
    expect(body).not.toHaveProperty('presence_penalty');
    expect(body).toMatchObject({ model: 'eyja', temperature: 0.3, top_p: 0.8, max_tokens: 64 });
    expect(chats.every((r) => r.authorized)).toBe(true);
  });

  test('a 4xx is not retried and the error names the status but never the key', async () => {
    let attempts = 0;
    const err = await withRetries(
      () => {
        attempts++;
        return chatCompletion('eyja', [{ role: 'user', content: 'x' }], decoding, { baseUrl: fake.baseUrl, apiKey: 'wrong-key-456', timeoutMs: 5000 });
      },
      { retries: 3, baseDelayMs: 10 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).message).toMatch(/HTTP 401/);
    expect((err as RequestError).message).not.toContain('wrong-key-456');
    expect(attempts).toBe(1);
  });

  test('an unreachable server is a transient error that names the URL', async () => {
    const err = await listModels({ baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 2000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect((err as RequestError).transient).toBe(true);
    expect((err as RequestError).message).toContain('http://127.0.0.1:9/v1/models');
  });
});
