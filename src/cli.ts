// Entry point: dispatches `pipeline <command>`, maps errors to exit codes (0 ok, 1 failed,
// 2 usage/config, 130 interrupted) and prints expected failures without a stack trace.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, UserError, type CommandContext, type PipelineDef } from './api.js';
import { findDagFile, loadDag } from './dagLoader.js';

function version(): string {
  const root = process.env.PIPELINE_PACKAGE_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
  try {
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

const ENGINE_COMMANDS: Record<string, { summary: string; run: (ws: string, argv: readonly string[]) => Promise<number> }> = {
  run: {
    summary: 'bring targets up to date (only stale stages run)',
    run: async (w, a) => (await import('./commands/run.js')).runCommand(w, a),
  },
  status: { summary: 'fresh / stale / restorable per stage, with reasons', run: async (w, a) => (await import('./commands/status.js')).statusCommand(w, a) },
  dag: { summary: 'show the stages and their connections (--mermaid)', run: async (w, a) => (await import('./commands/dag.js')).dagCommand(w, a) },
  watch: { summary: 'rebuild targets when their inputs change', run: async (w, a) => (await import('./commands/watch.js')).watchCommand(w, a) },
  cache: { summary: 'manage the run cache (gc --max-size, dir)', run: async (w, a) => (await import('./commands/cache.js')).cacheCommand(w, a) },
};

async function help(workspace: string): Promise<string> {
  const lines = ['Usage: pipeline <command> [options]', '', 'Commands:'];
  for (const [name, c] of Object.entries(ENGINE_COMMANDS)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  if (findDagFile(workspace)) {
    try {
      const def = await loadDag(workspace);
      for (const [name, c] of Object.entries(def.commands ?? {})) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
    } catch {
      /* help must work even with a broken pipeline.ts */
    }
  }
  lines.push(
    '',
    'Run `pipeline <command> --help` (or `pipeline help <command>`) for its options.',
    'Exit codes: 0 ok, 1 a stage failed or a requested stage could not run, 2 usage or config error, 130 interrupted.',
  );
  return `${lines.join('\n')}\n`;
}

function processEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

async function domainCommand(workspace: string, name: string, argv: readonly string[]): Promise<number | undefined> {
  if (!findDagFile(workspace)) return undefined;
  const def: PipelineDef = await loadDag(workspace);
  const cmd = def.commands?.[name];
  if (!cmd) return undefined;
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(cmd.usage.endsWith('\n') ? cmd.usage : `${cmd.usage}\n`);
    return 0;
  }
  const sets: string[] = [];
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--set' && argv[i + 1] !== undefined) sets.push(argv[++i]!);
    else if (a.startsWith('--set=')) sets.push(a.slice(6));
    else rest.push(a);
  }
  const { openSession } = await import('./session.js');
  const { discoverGpus } = await import('./gpuPool.js');
  let session: Awaited<ReturnType<typeof openSession>> | undefined;
  const getSession = async () => (session ??= await openSession(workspace, sets, def));
  const ctx: CommandContext = {
    workspace,
    argv: rest,
    params: async () => (await getSession()).params,
    gpuPool: async () => {
      const s = await getSession();
      return (await discoverGpus(undefined, s.configGpus, s.configName)).devices;
    },
    lastRunKey: async (stage) => (await (await getSession()).dirs.readState(stage))?.key.slice(0, 12),
    exec: async (file, args, opts = {}) => (await import('./processTree.js')).runAttached(file, args, { ...opts, baseEnv: processEnv() }),
    stdout: process.stdout,
    stderr: process.stderr,
  };
  return cmd.run(ctx);
}

/**
 * A reader that closed our stdout (`pipeline run | head -3`) ends the output, not the program: as
 * a Unix tool on SIGPIPE, nothing more is printed there, but the run finishes, records its work and
 * releases the workspace lock. Returns whether stdout is gone.
 */
function quietOnClosedPipes(): () => boolean {
  let closed = false;
  const onError = (stream: NodeJS.WriteStream) => (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') {
      if (stream === process.stdout) closed = true;
      return;
    }
    throw err;
  };
  process.stdout.on('error', onError(process.stdout));
  process.stderr.on('error', onError(process.stderr));
  return () => closed;
}

export async function main(argv: string[]): Promise<void> {
  const workspace = process.cwd();
  const stdoutClosed = quietOnClosedPipes();
  let code: number;
  try {
    let [cmd, ...rest] = argv;
    // `pipeline help run` is `pipeline run --help`.
    if (cmd === 'help' && rest[0] !== undefined) [cmd, rest] = [rest[0], ['--help']];
    if (!cmd || cmd === '--help' || cmd === '-h' || cmd === 'help') {
      process.stdout.write(await help(workspace));
      code = cmd ? 0 : 2;
    } else if (cmd === '--version' || cmd === '-V' || cmd === 'version') {
      process.stdout.write(`${version()}\n`);
      code = 0;
    } else if (ENGINE_COMMANDS[cmd]) {
      code = await ENGINE_COMMANDS[cmd]!.run(workspace, rest);
    } else {
      const c = await domainCommand(workspace, cmd, rest);
      if (c === undefined) throw new UsageError(`unknown command '${cmd}'. Run \`pipeline --help\` for the list.`);
      code = c;
    }
  } catch (err) {
    if (err instanceof UserError) {
      process.stderr.write(`pipeline: ${err.message}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(`pipeline: internal error: ${(err as Error)?.stack ?? String(err)}\n`);
      code = 1;
    }
  }
  process.exitCode = code;
  // Let stdout drain, then leave even if a stray handle (a watcher, a timer) is still open.
  if (stdoutClosed() || process.stdout.destroyed) process.exit(code);
  process.stdout.write('', () => process.exit(code));
}
