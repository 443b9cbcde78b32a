// Finds the trainer executable (`train.command`): a bare name on PATH or an explicit path.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';

async function isExecutableFile(p: string): Promise<boolean> {
  try {
    const s = await stat(p);
    if (!s.isFile()) return false;
    await access(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** `~` and `~/…` expanded to the home directory (what a shell would do with train.command). */
export function expandHome(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

/**
 * PATH for the trainer: with `command` given as a path (e.g. a conda env's bin/llamafactory-cli,
 * env not activated), its directory goes first, so LLaMA-Factory's multi-GPU relaunch finds that
 * env's `torchrun` (it runs the one on PATH).
 */
export function pathWithCommandDir(command: string, exe: string, pathEnv: string | undefined): string | undefined {
  if (!command.includes('/') && !command.startsWith('~')) return pathEnv;
  return [dirname(exe), ...(pathEnv ?? '').split(delimiter).filter((d) => d !== '')].join(delimiter);
}

/** Absolute path of `command` (`~` expanded), or undefined when it cannot be run. */
export async function resolveExecutable(command: string, opts: { cwd: string; pathEnv: string | undefined }): Promise<string | undefined> {
  command = expandHome(command);
  if (isAbsolute(command) || command.includes('/')) {
    const p = isAbsolute(command) ? command : resolve(opts.cwd, command);
    return (await isExecutableFile(p)) ? p : undefined;
  }
  for (const dir of (opts.pathEnv ?? '').split(delimiter)) {
    if (dir === '') continue;
    const p = join(dir, command);
    if (await isExecutableFile(p)) return p;
  }
  return undefined;
}
