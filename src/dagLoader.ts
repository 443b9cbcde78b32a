// Loads the workspace's pipeline.ts. It is bundled by esbuild into .pipeline/dag/ (rebuilt only
// when one of its input files changes). Imports that resolve into this package's own sources are
// rewritten to the launcher's compiled build, so the DAG and the engine share one module instance;
// bare package imports resolve from the workspace or, failing that, from this package.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError, type PipelineDef } from './api.js';
import { writeFileAtomic } from './atomicWrite.js';

const DAG_FILES = ['pipeline.ts', 'pipeline.mts', 'pipeline.js', 'pipeline.mjs'];

interface Manifest {
  buildDir: string;
  inputs: Array<[string, number, number]>;
  out: string;
}

export function findDagFile(workspace: string): string | undefined {
  return DAG_FILES.map((f) => join(workspace, f)).find((p) => existsSync(p));
}

function packageRoot(): string {
  return process.env.PIPELINE_PACKAGE_ROOT ?? resolve(process.cwd());
}

function inputsUnchanged(m: Manifest, buildDir: string): boolean {
  if (m.buildDir !== buildDir || !existsSync(m.out)) return false;
  for (const [p, mtime, size] of m.inputs) {
    try {
      const st = statSync(p);
      if (st.mtimeMs !== mtime || st.size !== size) return false;
    } catch {
      return false;
    }
  }
  return true;
}

export async function loadDag(workspace: string): Promise<PipelineDef> {
  const entry = findDagFile(workspace);
  if (!entry) {
    throw new UsageError(`no pipeline.ts in ${workspace}: run pipeline from a workspace that declares its DAG in pipeline.ts`);
  }
  const buildDir = process.env.PIPELINE_BUILD_DIR ?? '';
  const dagDir = join(workspace, '.pipeline', 'dag');
  const manifestFile = join(dagDir, 'manifest.json');
  let outFile: string | undefined;
  try {
    const m = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest;
    if (inputsUnchanged(m, buildDir)) outFile = m.out;
  } catch {
    /* no manifest yet */
  }
  if (!outFile) outFile = await bundle(workspace, entry, buildDir, dagDir, manifestFile);
  let mod: { default?: PipelineDef };
  try {
    mod = (await import(pathToFileURL(outFile).href)) as { default?: PipelineDef };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${relative(workspace, entry)}: failed to load: ${(err as Error).message}`);
  }
  const def = mod.default;
  if (!def || !Array.isArray(def.stages)) {
    throw new UsageError(`${relative(workspace, entry)}: must \`export default definePipeline({ schema, stages })\``);
  }
  return def;
}

async function bundle(workspace: string, entry: string, buildDir: string, dagDir: string, manifestFile: string): Promise<string> {
  const { build } = await import('esbuild');
  const root = packageRoot();
  const ownSource = (abs: string): string | undefined => {
    if (!buildDir) return undefined;
    const rel = relative(root, abs);
    if (rel.startsWith('..') || isAbsolute(rel)) return undefined;
    const top = rel.split(sep)[0];
    if (rel === 'pipeline.ts' || top === 'src' || top === 'stages') return join(buildDir, rel.replace(/\.ts$/, '.js'));
    return undefined;
  };
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
      absWorkingDir: workspace,
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
              const own = ownSource(r.path);
              if (own) return { path: pathToFileURL(own).href, external: true };
              if (r.path.split(sep).includes('node_modules')) return { path: pathToFileURL(r.path).href, external: true };
              return { path: r.path };
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
  const inputs: Array<[string, number, number]> = Object.keys(result.metafile.inputs).map((p) => {
    const abs = resolve(workspace, p);
    const st = statSync(abs);
    return [abs, st.mtimeMs, st.size];
  });
  const id = createHash('sha256').update(code).digest('hex').slice(0, 16);
  await mkdir(dagDir, { recursive: true });
  const out = join(dagDir, `pipeline-${id}.mjs`);
  if (!existsSync(out)) await writeFileAtomic(out, code);
  await writeFileAtomic(manifestFile, JSON.stringify({ buildDir, inputs, out } satisfies Manifest));
  for (const f of await readdir(dagDir)) {
    if (f.startsWith('pipeline-') && join(dagDir, f) !== out) await rm(join(dagDir, f), { force: true });
  }
  return out;
}
