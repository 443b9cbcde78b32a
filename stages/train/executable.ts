// Finds the trainer executable (`train.command`): a bare name on PATH or an explicit path.
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

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

/** Absolute path of `command`, or undefined when it cannot be run. */
export async function resolveExecutable(
  command: string,
  opts: { cwd: string; pathEnv: string | undefined },
): Promise<string | undefined> {
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
