// Loads the workspace's pipeline.ts. esbuild bundles it, with everything it imports, into one ES
// module under .pipeline/dag/ (rebuilt only when one of its input files, a package-lock.json it
// draws packages from, or the engine build changes), which is then import()ed.
// - src/api.ts stays out of the bundle: the bundle imports the CLI build's copy
//   (PIPELINE_API_MODULE, set by bin/pipeline.js), so one UserError class and one stage registry
//   exist in the process. So does zod, when the DAG's `zod` is the engine's own package: the
//   bundle imports the CLI build's copy (PIPELINE_ZOD_MODULE) rather than compiling a second one
//   on every start; the import graph still counts that package (and its version) as imported.
// - Bare imports resolve from the workspace or, failing that, from this package's node_modules; a
//   package a stage loads with import() stays out of the bundle and loads when that code runs;
//   packages with native addons stay out too.
// - The bundle's metafile is its import graph, and its source map says which module called
//   defineStage: a stage's implementation is exactly the import closure of that module
//   (`stageCode`; see dagGraph.ts).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { SourceMap } from 'node:module';
import { extname, isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { stageDefinedAt, UsageError, UserError, type PipelineDef, type StageDef } from './api.js';
import { writeFileAtomic } from './atomicWrite.js';
import { buildModuleGraph, closureOf, packageDirOf, type StageCode } from './dagGraph.js';

export type { StageCode };

const DAG_FILES = ['pipeline.ts', 'pipeline.mts', 'pipeline.js', 'pipeline.mjs'];

const manifestSchema = z.object({
  v: z.literal(5),
  /** The engine API module the bundle imports (its path names the CLI build). */
  api: z.string(),
  out: z.string(),
  /** [absolute path, mtimeMs, size] of every input and every package-lock.json consulted. */
  inputs: z.array(z.tuple([z.string(), z.number(), z.number()])),
  entry: z.string(),
  modules: z.record(z.string(), z.object({ file: z.string(), imports: z.array(z.string()), packages: z.array(z.string()) })),
  packages: z.record(z.string(), z.object({ name: z.string(), version: z.string(), deps: z.array(z.string()) })),
  /** `line:column` of a defineStage call in the bundle → the module that made it (filled as met). */
  origins: z.record(z.string(), z.string()),
});
type Manifest = z.infer<typeof manifestSchema>;

const apiModule = () => process.env.PIPELINE_API_MODULE ?? '';
const zodModule = () => process.env.PIPELINE_ZOD_MODULE ?? '';

export function findDagFile(workspace: string): string | undefined {
  return DAG_FILES.map((f) => join(workspace, f)).find((p) => existsSync(p));
}

function packageRoot(): string {
  return process.env.PIPELINE_PACKAGE_ROOT ?? resolve(process.cwd());
}

function readManifest(file: string): Manifest | undefined {
  try {
    const m = manifestSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
    if (!m.success || m.data.api !== apiModule() || !existsSync(m.data.out)) return undefined;
    for (const [p, mtime, size] of m.data.inputs) {
      const st = statSync(p, { throwIfNoEntry: false });
      if (!st || st.mtimeMs !== mtime || st.size !== size) return undefined;
    }
    return m.data;
  } catch {
    return undefined; // no manifest yet, or not ours
  }
}

const codeOf = new WeakMap<StageDef, StageCode>();

/** The implementation of a stage of a DAG loaded by loadDag: the files and packages it can execute. */
export function stageCode(def: StageDef): StageCode | undefined {
  return codeOf.get(def);
}

export async function loadDag(workspace: string): Promise<PipelineDef> {
  const entry = findDagFile(workspace);
  if (!entry) {
    throw new UsageError(`no pipeline.ts in ${workspace}: run pipeline from a workspace that declares its DAG in pipeline.ts`);
  }
  const dagDir = join(workspace, '.pipeline', 'dag');
  const manifestFile = join(dagDir, 'manifest.json');
  const manifest = readManifest(manifestFile) ?? (await bundle(workspace, entry, dagDir, manifestFile));
  let mod: { default?: PipelineDef };
  try {
    mod = (await import(pathToFileURL(manifest.out).href)) as { default?: PipelineDef };
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UsageError(`${relative(workspace, entry)}: failed to load: ${(err as Error).message}`);
  }
  const def = mod.default;
  if (!def || !Array.isArray(def.stages)) {
    throw new UsageError(`${relative(workspace, entry)}: must \`export default definePipeline({ schema, stages })\``);
  }
  await attachStageCode(def, manifest, manifestFile);
  return def;
}

/** Maps each stage to the module that called defineStage (via the source map, once per call site). */
async function attachStageCode(def: PipelineDef, m: Manifest, manifestFile: string): Promise<void> {
  const bundleUrl = pathToFileURL(m.out).href;
  let map: SourceMap | undefined;
  let learned = false;
  for (const stage of def.stages) {
    if (!stage || typeof stage !== 'object' || codeOf.has(stage)) continue;
    const at = stageDefinedAt(stage);
    let origin: string | undefined;
    if (at && at.file === bundleUrl) {
      const site = `${at.line}:${at.column}`;
      origin = m.origins[site];
      if (origin === undefined) {
        map ??= new SourceMap(JSON.parse(readFileSync(`${m.out}.map`, 'utf8')) as ConstructorParameters<typeof SourceMap>[0]);
        const found = map.findEntry(at.line - 1, at.column - 1) as { originalSource?: string };
        const abs = found.originalSource ? resolveSource(m.out, found.originalSource) : undefined;
        origin = Object.entries(m.modules).find(([, mod]) => mod.file === abs)?.[0] ?? m.entry;
        m.origins[site] = origin;
        learned = true;
      }
    }
    // A stage made without defineStage (or in a way the map cannot place) gets the whole DAG:
    // too wide at worst, never too narrow.
    codeOf.set(stage, closureOf(m, origin ?? m.entry));
  }
  if (learned) await writeFileAtomic(manifestFile, JSON.stringify(m));
}

function resolveSource(bundleFile: string, source: string): string {
  if (source.startsWith('file:')) return fileURLToPath(source);
  return isAbsolute(source) ? source : resolve(bundleFile, '..', source);
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

const LOADERS: Record<string, 'ts' | 'js'> = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js' };

/** An ES module bundle keeps a `require` for the CommonJS code inside it. */
const BANNER = "import { createRequire as __pipelineCreateRequire } from 'node:module'; const require = __pipelineCreateRequire(import.meta.url);";

async function bundle(workspace: string, entry: string, dagDir: string, manifestFile: string): Promise<Manifest> {
  const { build } = await import('esbuild');
  const root = packageRoot();
  const apiSource = join(root, 'src', 'api.ts');
  const api = apiModule();
  const sharedZod = zodModule();
  /** The file the engine's own `import 'zod'` loads (resolved once, as the DAG's imports are). */
  let engineZod: Promise<string | undefined> | undefined;
  /** External URL → the file it stands for, for the import graph. */
  const aliases = new Map<string, string>();
  const native = new Map<string, boolean>();
  const outfile = join(dagDir, 'pipeline.mjs');
  let result;
  try {
    result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      outfile,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      metafile: true,
      sourcemap: 'external',
      sourcesContent: false,
      logLevel: 'silent',
      // Less to parse on every start; identifiers are kept so stack traces stay readable.
      minifyWhitespace: true,
      minifySyntax: true,
      absWorkingDir: workspace,
      banner: { js: BANNER },
      plugins: [
        {
          name: 'pipeline-resolve',
          setup(b) {
            b.onResolve({ filter: /.*/ }, async (args) => {
              if (args.kind === 'entry-point' || (args.pluginData as { inner?: boolean } | undefined)?.inner) return undefined;
              const opts = { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: { inner: true } };
              let r = await b.resolve(args.path, opts);
              const bare = !args.path.startsWith('.') && !isAbsolute(args.path);
              if (r.errors.length > 0 && bare) r = await b.resolve(args.path, { ...opts, resolveDir: root });
              if (r.errors.length > 0) return undefined; // esbuild reports the error
              if (r.external || args.path.startsWith('node:')) return { path: args.path, external: true };
              // The engine's API: the CLI's own copy (when running from a build).
              if (api && r.path === apiSource) return { path: pathToFileURL(api).href, external: true };
              if (sharedZod && args.path === 'zod') {
                engineZod ??= b
                  .resolve('zod', { kind: 'import-statement', resolveDir: root, pluginData: { inner: true } })
                  .then((e) => (e.errors.length ? undefined : e.path));
                if (r.path === (await engineZod)) {
                  const url = pathToFileURL(sharedZod).href;
                  aliases.set(url, r.path);
                  return { path: url, external: true };
                }
              }
              const pkg = packageDirOf(r.path);
              const keepOut = pkg && (isNativePackage(pkg, native) || (bare && args.kind === 'dynamic-import'));
              if (!pkg || !keepOut) return { path: r.path };
              // A package a stage imports with import() is loaded when that code runs, from where it
              // is installed: bundled, every command would parse it (execa alone is 136 KB). The
              // metafile still lists it among the importer's imports (by URL).
              return { path: pathToFileURL(r.path).href, external: true };
            });
            // Each module keeps its own import.meta.url (e.g. a stage naming the scripts beside it).
            b.onLoad({ filter: /\.[cm]?[jt]s$/ }, async (args) => {
              const text = await readFile(args.path, 'utf8');
              const loader = LOADERS[extname(args.path)] ?? 'js';
              if (!text.includes('import.meta.url')) return { contents: text, loader };
              return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader };
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
  const js = result.outputFiles.find((f) => f.path.endsWith('.mjs'))!;
  const map = result.outputFiles.find((f) => f.path.endsWith('.map'))!;
  const graph = buildModuleGraph(workspace, entry, result.metafile, aliases);
  const id = createHash('sha256').update(js.contents).digest('hex').slice(0, 16);
  await mkdir(dagDir, { recursive: true });
  const out = join(dagDir, `pipeline-${id}.mjs`);
  if (!existsSync(out)) {
    await writeFileAtomic(`${out}.map`, map.contents);
    await writeFileAtomic(out, js.contents);
  }
  const inputs: Manifest['inputs'] = graph.inputs.map((abs) => {
    const st = statSync(abs);
    return [abs, st.mtimeMs, st.size];
  });
  const manifest: Manifest = { v: 5, api, out, inputs, entry: graph.entry, modules: graph.modules, packages: graph.packages, origins: {} };
  await writeFileAtomic(manifestFile, JSON.stringify(manifest));
  for (const f of await readdir(dagDir)) {
    // Earlier bundles (and their maps) go.
    if (f.startsWith('pipeline-') && !join(dagDir, f).startsWith(out)) await rm(join(dagDir, f), { force: true });
  }
  return manifest;
}
