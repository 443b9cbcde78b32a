// Loads the workspace's pipeline.ts. It is bundled by esbuild, with everything it imports, into
// one file under .pipeline/dag/ (rebuilt only when one of its input files changes): a no-op run
// then loads two files (the CLI bundle and the DAG bundle) instead of hundreds of ESM modules.
// Bare imports resolve from the workspace or, failing that, from this package's node_modules.
import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUserError, UsageError, type PipelineDef } from './api.js';
import { writeFileAtomic } from './atomicWrite.js';

const DAG_FILES = ['pipeline.ts', 'pipeline.mts', 'pipeline.js', 'pipeline.mjs'];

const MANIFEST_VERSION = 3;

interface Manifest {
  v: number;
  inputs: Array<[string, number, number]>;
  out: string;
}

export function findDagFile(workspace: string): string | undefined {
  return DAG_FILES.map((f) => join(workspace, f)).find((p) => existsSync(p));
}

function packageRoot(): string {
  return process.env.PIPELINE_PACKAGE_ROOT ?? resolve(process.cwd());
}

/** The files the loaded DAG was built from, with their stat when loaded (for the no-op snapshot). */
export let loadedDagInputs: Array<[string, Stats]> = [];

function inputsUnchanged(m: Manifest): boolean {
  if (m.v !== MANIFEST_VERSION || !existsSync(m.out)) return false;
  const seen: Array<[string, Stats]> = [];
  for (const [p, mtime, size] of m.inputs) {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st || st.mtimeMs !== mtime || st.size !== size) return false;
    seen.push([p, st]);
  }
  loadedDagInputs = seen;
  return true;
}

export async function loadDag(workspace: string): Promise<PipelineDef> {
  const entry = findDagFile(workspace);
  if (!entry) {
    throw new UsageError(`no pipeline.ts in ${workspace}: run pipeline from a workspace that declares its DAG in pipeline.ts`);
  }
  const dagDir = join(workspace, '.pipeline', 'dag');
  const manifestFile = join(dagDir, 'manifest.json');
  let outFile: string | undefined;
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    if (inputsUnchanged(m)) outFile = m.out;
  } catch {
    /* no manifest yet */
  }
  if (!outFile) outFile = await bundle(workspace, entry, dagDir, manifestFile);
  let mod: { default?: PipelineDef };
  try {
    mod = (await import(pathToFileURL(outFile).href)) as { default?: PipelineDef };
  } catch (err) {
    if (isUserError(err)) throw err;
    throw new UsageError(`${relative(workspace, entry)}: failed to load: ${(err as Error).message}`);
  }
  const def = mod.default;
  if (!def || !Array.isArray(def.stages)) {
    throw new UsageError(`${relative(workspace, entry)}: must \`export default definePipeline({ schema, stages })\``);
  }
  return def;
}

/** Packages with native addons cannot be bundled; they are imported from where they are installed. */
function isNativePackage(pkgDir: string, cache: Map<string, boolean>): boolean {
  let v = cache.get(pkgDir);
  if (v === undefined) {
    try {
      const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as Record<string, unknown>;
      v = !!(pj.gypfile || pj.binary || pj.napi || pj.optionalDependencies) || existsSync(join(pkgDir, 'binding.gyp'));
    } catch {
      v = false;
    }
    cache.set(pkgDir, v);
  }
  return v;
}

function packageDirOf(file: string): string | undefined {
  const parts = file.split(sep);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) return undefined;
  const scoped = parts[i + 1]?.startsWith('@');
  return parts.slice(0, i + (scoped ? 3 : 2)).join(sep);
}

const LOADERS: Record<string, 'ts' | 'js'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js' };

async function bundle(workspace: string, entry: string, dagDir: string, manifestFile: string): Promise<string> {
  const { build } = await import('esbuild');
  const root = packageRoot();
  const native = new Map<string, boolean>();
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      metafile: true,
      logLevel: 'silent',
      // Less to parse on every start; identifiers are kept so stack traces stay readable.
      minifyWhitespace: true,
      minifySyntax: true,
      absWorkingDir: workspace,
      banner: { js: "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);" },
      plugins: [
        {
          name: 'pipeline-resolve',
          setup(b) {
            // Bare imports that the workspace cannot resolve come from this package's node_modules;
            // native packages stay external (imported by absolute URL).
            b.onResolve({ filter: /.*/ }, async (args) => {
              if (args.kind === 'entry-point' || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
              const opts = { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { inner: true } };
              let r = await b.resolve(args.path, opts);
              const bare = !args.path.startsWith('.') && !isAbsolute(args.path);
              if (r.errors.length > 0 && bare) r = await b.resolve(args.path, { ...opts, resolveDir: root });
              if (r.errors.length > 0) return undefined; // esbuild reports the error
              if (r.external || args.path.startsWith('node:')) return { path: args.path, external: true };
              const pkg = packageDirOf(r.path);
              if (pkg && isNativePackage(pkg, native)) return { path: pathToFileURL(r.path).href, external: true };
              return { path: r.path };
            });
            // Each module keeps its own import.meta.url (stages fingerprint their own folder with it).
            b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
              const text = await readFile(args.path, 'utf8');
              const ext = extname(args.path);
              if (!text.includes('import.meta.url')) return { contents: text, loader: LOADERS[ext] ?? 'js' };
              return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: LOADERS[ext] ?? 'js' };
            });
          },
        },
      ],
    });
  } catch (err) {
    const e = err as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } }> };
    const first = e.errors?.[0];
    if (first) {
      const loc = first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ` : '';
      throw new UsageError(`${loc}${first.text}`);
    }
    throw err;
  }
  const code = result.outputFiles[0]!.contents;
  const seen: Array<[string, Stats]> = [];
  const inputs: Array<[string, number, number]> = Object.keys(result.metafile.inputs).map((p) => {
    const abs = resolve(workspace, p.replace(/^[a-z-]+:/, ''));
    const st = statSync(abs);
    seen.push([abs, st]);
    return [abs, st.mtimeMs, st.size];
  });
  loadedDagInputs = seen;
  const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
  await mkdir(dagDir, { recursive: true });
  const out = join(dagDir, `pipeline-${id}.mjs`);
  if (!existsSync(out)) await writeFileAtomic(out, code);
  await writeFileAtomic(manifestFile, JSON.stringify({ v: MANIFEST_VERSION, inputs, out } satisfies Manifest));
  for (const f of await readdir(dagDir)) {
    if (f.startsWith('pipeline-') && join(dagDir, f) !== out) await rm(join(dagDir, f), { force: true });
  }
  return out;
}
