// Shared test helpers: temp workspaces and running the real CLI as a child process.
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTempDir } from './tempDirs.js';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(REPO, 'bin', 'pipeline.js');

/** A pipeline.ts for a temp workspace that uses this repo's own DAG (stages resolve to the repo). */
export const PROJECT_PIPELINE_TS = `export { default } from ${JSON.stringify(join(REPO, 'pipeline.ts'))};\n`;

export { tempDirs } from './tempDirs.js';

/** Creates a temp workspace with the given files (relative path → content); removed after the test file. */
export async function makeWorkspace(files: Record<string, string | Buffer> = {}, prefix = 'pl-ws-'): Promise<string> {
  const ws = await makeTempDir(prefix);
  for (const [rel, content] of Object.entries(files)) {
    const p = join(ws, rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, content);
  }
  return ws;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `node bin/pipeline.js …args` in `cwd`; never rejects on a non-zero exit. */
export function runCli(
  cwd: string,
  args: string[],
  opts: { env?: Record<string, string | undefined>; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const env: Record<string, string | undefined> = { ...process.env, CI: 'true', NO_COLOR: '1', ...opts.env };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, env: env as NodeJS.ProcessEnv, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolvePromise({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    else child.stdin?.end();
  });
}

/** Parses the `--json` event lines of a run; returns all events and the final summary. */
export function parseJsonEvents(stdout: string): {
  events: Array<Record<string, unknown>>;
  summary: { ok: boolean; stages: Array<{ name: string; status: string; reason?: string; ms?: number }> };
} {
  const events = stdout
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const summary = events.at(-1) as unknown as ReturnType<typeof parseJsonEvents>['summary'];
  if (!summary || (summary as unknown as { event?: string }).event !== 'summary') {
    throw new Error(`no summary line in output:\n${stdout}`);
  }
  return { events, summary };
}
