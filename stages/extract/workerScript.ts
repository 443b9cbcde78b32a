// The extraction workers' script (worker.ts, TypeScript) as one ES module a worker thread can load:
// bundled by esbuild (a dependency of the package) into dist/extract-worker/ of the package, next
// to the launcher's own builds, and rebuilt only when one of its input files changes (their paths,
// mtimes and sizes are kept in a manifest beside it, checked when read: anything else is rebuilt).
// The same way works wherever this module runs: from the workspace's DAG bundle (whose modules keep
// their source's import.meta.url), from a launcher build (`--exec`: PIPELINE_PACKAGE_ROOT names the
// sources) and under jest (the .ts itself).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { writeFileAtomic } from '../../src/atomicWrite.js';

const manifestSchema = z.object({
  /** The bundle: worker-<sha256 of its content>.mjs in the manifest's folder. */
  out: z.string(),
  /** [absolute path, mtimeMs, size] of every input of the bundle. */
  inputs: z.array(z.tuple([z.string(), z.number(), z.number()])),
});
type Manifest = z.infer<typeof manifestSchema>;

/** The worker's source and the package root it belongs to. */
function sources(): { entry: string; root: string } {
  const here = fileURLToPath(import.meta.url);
  if (/[\\/]stages[\\/]extract[\\/][^\\/]+\.[cm]?ts$/.test(here)) return { entry: join(dirname(here), 'worker.ts'), root: resolve(dirname(here), '..', '..') };
  const root = process.env.PIPELINE_PACKAGE_ROOT;
  if (!root) throw new Error(`extract: cannot find the worker's source (this module is ${here}, PIPELINE_PACKAGE_ROOT is not set)`);
  return { entry: join(root, 'stages', 'extract', 'worker.ts'), root };
}

/** The bundle the manifest names, if it is one of ours and no input changed since. */
function current(dir: string, manifestFile: string): string | undefined {
  try {
    const p = manifestSchema.safeParse(JSON.parse(readFileSync(manifestFile, 'utf8')));
    if (!p.success) return undefined;
    const m = p.data;
    if (dirname(m.out) !== dir || !/^worker-[0-9a-f]{16}\.mjs$/.test(basename(m.out)) || !existsSync(m.out)) return undefined;
    for (const [p, mtime, size] of m.inputs) {
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st || st.mtimeMs !== mtime || st.size !== size) return undefined;
    }
    return m.out;
  } catch {
    return undefined; // none yet, or not ours: build
  }
}

/** The bundled worker script, built unless the manifest names a current one. */
export async function ensureWorkerScript(): Promise<string> {
  const { entry, root } = sources();
  const dir = join(root, 'dist', 'extract-worker');
  const manifestFile = join(dir, 'manifest.json');
  const ready = current(dir, manifestFile);
  if (ready) return ready;
  const { build: esbuild } = await import('esbuild');
  const result = await esbuild({
    entryPoints: [entry],
    bundle: true,
    write: false,
    outfile: join(dir, 'worker.mjs'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    metafile: true,
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'silent',
    absWorkingDir: root,
  });
  const js = result.outputFiles[0]!.contents;
  const out = join(dir, `worker-${createHash('sha256').update(js).digest('hex').slice(0, 16)}.mjs`);
  await mkdir(dir, { recursive: true });
  if (!existsSync(out)) await writeFileAtomic(out, js);
  const inputs = Object.keys(result.metafile.inputs).map((p): [string, number, number] => {
    const abs = resolve(root, p);
    const st = statSync(abs);
    return [abs, st.mtimeMs, st.size];
  });
  await writeFileAtomic(manifestFile, JSON.stringify({ out, inputs } satisfies Manifest));
  // Earlier builds go (best effort; one another process may still be starting is a minute old at most).
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    if (!/^worker-[0-9a-f]+\.mjs$/.test(f) || p === out) continue;
    try {
      if (Date.now() - statSync(p).mtimeMs > 60_000) rmSync(p, { force: true });
    } catch {
      /* gone already */
    }
  }
  return out;
}

let script: Promise<string> | undefined;
/** Path of the bundled worker script (built at most once per process). */
export function workerScript(): Promise<string> {
  script ??= ensureWorkerScript().catch((err: unknown) => {
    script = undefined;
    throw err;
  });
  return script;
}
