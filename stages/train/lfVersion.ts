// The installed LLaMA-Factory's version (`llamafactory-cli version`), read once per install:
// the answer is cached under .pipeline/ by the executable's stat (a reinstall changes it), since
// the command imports torch and takes seconds.
import { execFile } from 'node:child_process';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const CACHE_FILE = join('.pipeline', 'llamafactory-version.json');
const cacheSchema = z.object({ exe: z.string(), size: z.number(), mtimeMs: z.number(), ino: z.number(), version: z.string() });

/** `Welcome to LLaMA Factory, version 0.9.5` (the banner in launcher.py) → `0.9.5`. */
export function parseVersion(output: string): string | undefined {
  return /version\s+v?(\d+\.\d+\.\d+[0-9A-Za-z.+-]*)/i.exec(output)?.[1];
}

/** -1, 0, 1 comparing the numeric parts of two versions (a `.devN` / `rcN` suffix sorts first). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string): number[] => {
    const m = /^(\d+)\.(\d+)\.(\d+)(.*)$/.exec(v);
    if (!m) return [0, 0, 0, 0];
    return [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ? -1 : 0];
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 4; i++) if (x[i]! !== y[i]!) return x[i]! < y[i]! ? -1 : 1;
  return 0;
}

function run(exe: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(exe, ['version'], { timeout: 180_000, env: { ...process.env, CUDA_VISIBLE_DEVICES: '' } }, (_err, stdout, stderr) =>
      resolve(`${String(stdout)}\n${String(stderr)}`),
    );
  });
}

/** The installed version, or undefined when the command does not say. */
export async function installedVersion(exe: string, workspace: string): Promise<string | undefined> {
  const st = await stat(exe).catch(() => undefined);
  if (!st) return undefined;
  const cachePath = join(workspace, CACHE_FILE);
  const cached = cacheSchema.safeParse(
    await readFile(cachePath, 'utf8')
      .then(JSON.parse)
      .catch(() => undefined),
  );
  if (cached.success && cached.data.exe === exe && cached.data.size === st.size && cached.data.mtimeMs === st.mtimeMs && cached.data.ino === st.ino) {
    return cached.data.version;
  }
  const version = parseVersion(await run(exe));
  if (version !== undefined) {
    const tmp = `${cachePath}.tmp-${process.pid}`;
    await mkdir(join(workspace, '.pipeline'), { recursive: true });
    await writeFile(tmp, JSON.stringify({ exe, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino, version }));
    await rename(tmp, cachePath);
  }
  return version;
}
