// Starts test/doubles/fake-api.mjs as a standalone OpenAI-compatible server on loopback (the
// `regress.endpoint` situation) and reads back what it was asked.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { REPO } from '../helpers/workspace.js';

export const FAKE_API = join(REPO, 'test', 'doubles', 'fake-api.mjs');
export const FAKE_CLI_DIR = join(REPO, 'test', 'doubles');

export interface FakeRule {
  contains: string;
  response?: string;
  status?: number;
}

export interface LoggedRequest {
  event: 'start' | 'listening' | 'request';
  t: number;
  pid?: number;
  ppid?: number;
  argv?: string[];
  config?: Record<string, unknown> | null;
  env?: Record<string, string | boolean | null>;
  method?: string;
  path?: string;
  authorized?: boolean;
  body?: null | { model?: string; messages?: Array<{ role: string; content: string }>; [k: string]: unknown };
}

export interface RunningFake {
  baseUrl: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function writeScript(dir: string, rules: FakeRule[], fallback?: string): Promise<string> {
  const p = join(dir, `fake-script-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(p, JSON.stringify({ rules, ...(fallback === undefined ? {} : { default: fallback }) }));
  return p;
}

export async function readRequests(logPath: string): Promise<LoggedRequest[]> {
  const text = await readFile(logPath, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as LoggedRequest);
}

export const chatRequests = (all: LoggedRequest[]): LoggedRequest[] => all.filter((r) => r.event === 'request' && r.path === '/v1/chat/completions');
export const serverStarts = (all: LoggedRequest[]): LoggedRequest[] => all.filter((r) => r.event === 'start');

/** Starts the double with API_PORT=0 and resolves once it listens. */
export function startFakeApi(env: Record<string, string>): Promise<RunningFake> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FAKE_API], {
      env: { ...process.env, API_HOST: '127.0.0.1', API_PORT: '0', FAKE_API_STARTUP_MS: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /running on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) {
        resolve({
          baseUrl: `${m[1]}/v1`,
          child,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`fake-api exited early (${code}): ${err}`)));
  });
}
