// Lifetime of the `llamafactory-cli api` server the stage starts: a free loopback port, readiness
// by polling `GET /v1/models` (bounded; an early exit fails with the tail of the server's output),
// and a handle whose stop() ends the server's whole process tree.
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { StageError, type ChildHandle, type StageContext } from '../../src/api.js';
import { listModels } from './client.js';

/** A port that was free a moment ago on `host` (the OS picks it). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

/** Keeps the last `max` lines a child printed, for error messages. */
export class LineTail {
  private readonly lines: string[] = [];
  constructor(private readonly max = 30) {}
  push(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
  text(): string {
    return this.lines.join('\n');
  }
}

export interface StartedServer {
  baseUrl: string;
  /** Model ids from the readiness answer. */
  models: string[];
  handle: ChildHandle;
  tail: LineTail;
  stop(): Promise<void>;
}

export interface StartServerOptions {
  command: string;
  yamlPath: string;
  startupTimeoutMs: number;
  pollIntervalMs?: number;
  /** The stage starting it (its log lines and its startup_timeout key); default regress. */
  who?: 'regress' | 'extract';
}

/** Starts `<command> api <yaml>` on a free loopback port and waits until it answers `/v1/models`. */
export async function startApiServer(ctx: Pick<StageContext, 'spawn' | 'signal' | 'log' | 'progress'>, opts: StartServerOptions): Promise<StartedServer> {
  const host = '127.0.0.1';
  const port = await freePort(host);
  const baseUrl = `http://${host}:${port}/v1`;
  const tail = new LineTail();
  ctx.log(`${opts.who ?? 'regress'}: starting ${opts.command} api ${opts.yamlPath} on ${host}:${port}`);
  const handle = ctx.spawn(opts.command, ['api', opts.yamlPath], {
    // API_KEY unset: a key in the user's environment would make our own server demand it.
    env: { API_HOST: host, API_PORT: String(port), API_KEY: undefined },
    onLine: (line) => tail.push(line),
  });
  const server: StartedServer = { baseUrl, models: [], handle, tail, stop: () => handle.stop() };
  try {
    server.models = await waitReady(ctx, server, opts);
    return server;
  } catch (err) {
    await handle.stop();
    throw err;
  }
}

async function waitReady(ctx: Pick<StageContext, 'signal' | 'progress'>, server: StartedServer, opts: StartServerOptions): Promise<string[]> {
  const started = Date.now();
  const deadline = started + opts.startupTimeoutMs;
  const poll = opts.pollIntervalMs ?? 250;
  let exit: { exitCode: number | null; signal: string | null } | undefined;
  void server.handle.exited.then((e) => {
    exit = e;
  });
  const exitedMessage = (e: { exitCode: number | null; signal: string | null }): string => {
    const how = e.signal ? `was killed by ${e.signal}` : `exited with code ${e.exitCode}`;
    const tail = server.tail.text();
    return `${opts.command} api ${how} before it was ready${tail ? `; last output:\n${tail}` : ' (no output)'}`;
  };
  for (;;) {
    if (ctx.signal.aborted) throw new StageError('interrupted while waiting for the API server');
    if (exit) throw new StageError(exitedMessage(exit));
    const left = deadline - Date.now();
    if (left <= 0) {
      const tail = server.tail.text();
      throw new StageError(
        `${opts.command} api did not answer GET ${server.baseUrl}/models within ${opts.startupTimeoutMs / 1000} s ` +
          `(raise ${opts.who ?? 'regress'}.startup_timeout if loading the model takes longer)${tail ? `; last output:\n${tail}` : ''}`,
      );
    }
    const attempt = listModels({ baseUrl: server.baseUrl, timeoutMs: Math.max(100, Math.min(2000, left)), signal: ctx.signal }).then(
      (models) => ({ models }),
      () => undefined,
    );
    const result = await Promise.race([attempt, server.handle.exited.then(() => undefined)]);
    if (result) return result.models;
    ctx.progress({ message: `waiting for the API server (${Math.round((Date.now() - started) / 1000)} s)` });
    await Promise.race([sleep(Math.min(poll, Math.max(0, deadline - Date.now()))), server.handle.exited]);
  }
}
