// Loads the workspace's pipeline.ts. It is bundled by esbuild, with everything it imports, into
// one file under .pipeline/dag/ (rebuilt only when one of its input files or the CLI build
// changes): a run then loads two files (the CLI bundle and the DAG bundle) instead of hundreds of
// ESM modules. Bare imports resolve from the workspace or, failing that, from this package's
// node_modules; a package a stage loads with import() stays out of the bundle (it is loaded from
// node_modules when that code runs).
//
// The bundle is CommonJS, compiled through vm.Script with V8's code cache beside it: parsing a
// bundle of about a megabyte (zod alone is half of it) costs ~60 ms on every command; with the
// cache, a few. import() cannot be used from such code without an experimental flag (and Node 20
// loses the callback when the code comes from the cache), so those import() calls go through
// `__pipelineImport`, which this module provides. A DAG with top-level await, or a bundle that
// still holds another import(), is an ES module loaded with import() instead (no code cache).
import { existsSync, readFileSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isUserError, UsageError, type PipelineDef } from './api.js';
import { writeFileAtomic, writeFileAtomicSync } from './atomicWrite.js';

const DAG_FILES = ['pipeline.ts', 'pipeline.mts', 'pipeline.js', 'pipeline.mjs'];

const MANIFEST_VERSION = 4;

interface Manifest {
  v: number;
  /** The CLI build that bundled it: how it bundles (and what it shares) may differ between builds. */
  cli: string;
  inputs: Array<[string, number, number]>;
  out: string;
}

const cliBuild = () => process.env.PIPELINE_CLI_BUILD ?? '';

export function findDagFile(workspace: string): string | undefined {
  return DAG_FILES.map((f) => join(workspace, f)).find((p) => existsSync(p));
}

function packageRoot(): string {
  return process.env.PIPELINE_PACKAGE_ROOT ?? resolve(process.cwd());
}

/** The files the loaded DAG was built from, with their stat when loaded (for the no-op snapshot). */
export let loadedDagInputs: Array<[string, Stats]> = [];

function inputsUnchanged(m: Manifest): boolean {
  if (m.v !== MANIFEST_VERSION || m.cli !== cliBuild() || !existsSync(m.out)) return false;
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
    mod = outFile.endsWith('.cjs') ? loadCommonJs(outFile) : ((await import(pathToFileURL(outFile).href)) as { default?: PipelineDef });
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

const loadedBundles = new Map<string, { default?: PipelineDef }>();

/**
 * Writes a bundle's code cache as the process exits: by then it also holds the functions compiled
 * while validating the config and running stages, which a later command need not compile again.
 */
function writeCodeCacheOnExit(script: vm.Script, bundleFile: string, cacheFile: string): void {
  process.once('exit', () => {
    // (A watch that rebundled meanwhile removed this bundle: no cache for it.)
    if (!existsSync(bundleFile)) return;
    try {
      writeFileAtomicSync(cacheFile, script.createCachedData());
    } catch {
      /* only an accelerator */
    }
  });
}

/**
 * Runs a CommonJS bundle through vm.Script with V8's code cache beside it (`<bundle>.<node>.v8cache`,
 * written at exit when missing or rejected, e.g. after a Node upgrade). Line numbers in stack traces are the
 * bundle's own: the wrapper shares its first line.
 */
function loadCommonJs(file: string): { default?: PipelineDef } {
  // Like import(), once per bundle and process: a long-lived watch keeps its stages' module state.
  const done = loadedBundles.get(file);
  if (done) return done;
  const code = readFileSync(file, 'utf8');
  const cacheFile = `${file}.${process.version}.v8cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    /* first load with this Node */
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname, __pipelineImport) {${code}\n})`, {
    filename: file,
    cachedData,
  });
  type Wrapper = (e: object, r: NodeJS.Require, m: { exports: object }, f: string, d: string, i: (spec: string) => Promise<unknown>) => void;
  const fn = script.runInThisContext() as Wrapper;
  const module = { exports: {} as { default?: PipelineDef } };
  fn(module.exports, createRequire(file), module, file, dirname(file), (spec) => import(spec));
  if (!cachedData || script.cachedDataRejected) writeCodeCacheOnExit(script, file, cacheFile);
  loadedBundles.set(file, module.exports);
  return module.exports;
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
  try {
    const out = await bundleAs('cjs', workspace, entry, dagDir, manifestFile);
    if (out) return out;
  } catch (err) {
    // Top-level await has no CommonJS form: such a DAG is loaded as an ES module.
    if (!/top-level await/i.test((err as Error).message)) throw err;
  }
  return (await bundleAs('esm', workspace, entry, dagDir, manifestFile))!;
}

/** The bundle's path; undefined when a CommonJS bundle would hold an import() it cannot run. */
async function bundleAs(format: 'cjs' | 'esm', workspace: string, entry: string, dagDir: string, manifestFile: string): Promise<string | undefined> {
  const { build } = await import('esbuild');
  const root = packageRoot();
  const native = new Map<string, boolean>();
  const lazy = new Set<string>();
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format,
      platform: 'node',
      target: 'node20',
      metafile: true,
      logLevel: 'silent',
      // Less to parse on every start; identifiers are kept so stack traces stay readable.
      minifyWhitespace: true,
      minifySyntax: true,
      absWorkingDir: workspace,
      // An ES module bundle gets a `require` for the CommonJS code inside it; CommonJS has its own.
      ...(format === 'esm' ? { banner: { js: "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);" } } : {}),
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
              // (require() in a CommonJS bundle takes a path, import() an URL.)
              if (pkg && isNativePackage(pkg, native)) return { path: format === 'cjs' && args.kind !== 'dynamic-import' ? r.path : pathToFileURL(r.path).href, external: true };
              // A package a stage imports with import() is loaded when that code runs, from where it
              // is installed: bundled, every command would parse it (execa alone is 136 KB).
              if (bare && pkg && args.kind === 'dynamic-import') {
                const url = pathToFileURL(r.path).href;
                lazy.add(url);
                return { path: url, external: true };
              }
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
  let code: string | Uint8Array = result.outputFiles[0]!.contents;
  if (format === 'cjs') {
    let text = result.outputFiles[0]!.text;
    for (const url of lazy) text = text.replaceAll(`import(${JSON.stringify(url)})`, `__pipelineImport(${JSON.stringify(url)})`);
    if (/\bimport\s*\(/.test(text)) return undefined;
    code = text;
  }
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
  const out = join(dagDir, `pipeline-${id}.${format === 'cjs' ? 'cjs' : 'mjs'}`);
  if (!existsSync(out)) await writeFileAtomic(out, code);
  await writeFileAtomic(manifestFile, JSON.stringify({ v: MANIFEST_VERSION, cli: cliBuild(), inputs, out } satisfies Manifest));
  for (const f of await readdir(dagDir)) {
    // Earlier bundles go, with their code caches; this bundle's code cache stays.
    if (f.startsWith('pipeline-') && !join(dagDir, f).startsWith(out)) await rm(join(dagDir, f), { force: true });
  }
  return out;
}
