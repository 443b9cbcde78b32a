// Checks that the external programs a benchmark compares against are installed, and names the
// Debian package for each one that is not.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { BenchError } from './benchError.js';

export interface RequiredTool {
  /** Executable name looked up on PATH. */
  command: string;
  /** Debian package that provides it. */
  aptPackage: string;
  /** What it is needed for (shown when missing). */
  purpose?: string;
}

/** Absolute path of an executable on PATH, or undefined. */
export async function which(command: string, path = process.env.PATH ?? ''): Promise<string | undefined> {
  for (const dir of path.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    try {
      await access(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  return undefined;
}

/** Throws a BenchError naming every missing tool and the apt-get line that installs them. */
export async function requireTools(tools: readonly RequiredTool[]): Promise<void> {
  const missing: RequiredTool[] = [];
  for (const t of tools) if ((await which(t.command)) === undefined) missing.push(t);
  if (missing.length === 0) return;
  const lines = missing.map((t) => `  ${t.command}: not found on PATH (Debian package \`${t.aptPackage}\`${t.purpose ? `; ${t.purpose}` : ''})`);
  const pkgs = [...new Set(missing.map((t) => t.aptPackage))].join(' ');
  throw new BenchError(`missing tools:\n${lines.join('\n')}\ninstall with: apt-get update && apt-get install -y ${pkgs}`);
}

/** First line of `command args…` (stdout, else stderr), e.g. a version banner; undefined on failure. */
export function firstLineOf(command: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, [...args], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return resolve(undefined);
      const line = (String(stdout).trim() || String(stderr).trim()).split('\n')[0];
      resolve(line?.trim() || undefined);
    });
  });
}
