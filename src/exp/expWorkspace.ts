// An experiment's own workspace under `.pipeline/exp/runs/<name>/`: the stages run there with
// `workspace` = that folder, so their state records, staging, outs, logs and published files are
// the experiment's and never the user's. The user's inputs are linked in: every dep of the DAG that
// no stage produces (fan-fiction, datasets, the base model) is a symbolic link to the user's file
// or folder, made at the finest level that keeps outs and shared files out of linked folders (an
// out is always written into a real folder of the experiment; containment refuses anything else).
import { copyFile, lstat, mkdir, readdir, readlink, rm, stat, symlink } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { ParamsReader, PipelineDef } from '../api.js';
import { containedPath } from '../atomicWrite.js';
import type { Graph } from '../graph.js';
import { globBase, isGlob, isUnder } from '../pathSpec.js';

/** The static part of a declared out (`artifacts/adapters/{key}` → `artifacts/adapters`). */
function outRegion(out: string): string {
  const i = out.indexOf('{key}');
  return i < 0 ? out : out.slice(0, i).replace(/\/+$/, '') || '.';
}

/** Workspace-relative paths the experiment must link in, and the regions it writes itself. */
export function experimentInputs(graph: Graph, params: ParamsReader, def: PipelineDef): { sources: string[]; written: string[] } {
  const written = new Set<string>();
  const specs = new Set<string>();
  for (const s of graph.stages.values()) {
    for (const o of s.outs) written.add(outRegion(o));
    const shared = typeof s.def.sharedFiles === 'function' ? s.def.sharedFiles(params) : (s.def.sharedFiles ?? []);
    for (const f of shared) if (!isAbsolute(f)) written.add(f.replace(/^\.\//, ''));
    for (const d of s.deps) specs.add(isGlob(d) ? globBase(d) : d);
    for (const c of s.def.code ?? []) if (!isAbsolute(c)) specs.add(c.replace(/^\.\//, ''));
  }
  const configFile = def.configFile ?? 'pipeline.yaml';
  specs.delete(configFile);
  const sources = [...specs].filter((p) => !isAbsolute(p) && p !== '.' && ![...written].some((w) => isUnder(p, w))).sort();
  // A path below another source is covered by that one's link.
  return { sources: sources.filter((p, i) => !sources.slice(0, i).some((q) => isUnder(p, q))), written: [...written] };
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

/** Links `rel` of the user's workspace into the experiment's; descends where an out or shared file lies below. */
async function mirror(workspace: string, dir: string, rel: string, written: readonly string[]): Promise<void> {
  const src = join(workspace, rel);
  const st = await stat(src).catch(() => undefined);
  if (!st) return; // a missing input: the stage reports it as a missing dep
  const dest = containedPath(dir, rel, `experiment input ${rel}`);
  if (st.isDirectory() && written.some((w) => isUnder(w, rel) && w !== rel)) {
    const l = await lstat(dest).catch(() => undefined);
    if (l?.isSymbolicLink()) await rm(dest);
    await mkdir(dest, { recursive: true });
    for (const name of await readdir(src)) {
      const child = rel === '.' ? name : `${rel}/${name}`;
      if (name === '.pipeline' || written.some((w) => isUnder(child, w))) continue;
      await mirror(workspace, dir, child, written);
    }
    return;
  }
  const l = await lstat(dest).catch(() => undefined);
  if (l?.isSymbolicLink()) {
    if ((await readlink(dest)) === src) return;
    await rm(dest);
  } else if (l) return; // something the experiment wrote itself: left alone
  await mkdir(dirname(dest), { recursive: true });
  await symlink(src, dest);
}

/**
 * The user's stat cache, copied into a new experiment workspace: the same relative paths, and links
 * stat as their targets, so the hashes of big inputs (a base model) hold there too.
 */
export async function seedStatCache(workspace: string, dir: string): Promise<void> {
  const statCache = join(dir, '.pipeline', 'statcache.json');
  await mkdir(dirname(statCache), { recursive: true });
  if (!(await exists(statCache)) && (await exists(join(workspace, '.pipeline', 'statcache.json')))) {
    await copyFile(join(workspace, '.pipeline', 'statcache.json'), statCache);
  }
}

/**
 * Creates or refreshes the experiment's workspace: links to the user's inputs, and the user's
 * shared files (e.g. a registry file the stages add entries to) copied in when it has none.
 */
export async function prepareExperimentWorkspace(workspace: string, dir: string, graph: Graph, params: ParamsReader, def: PipelineDef): Promise<void> {
  await mkdir(join(dir, '.pipeline'), { recursive: true });
  const { sources, written } = experimentInputs(graph, params, def);
  for (const rel of sources) await mirror(workspace, dir, rel, written);
  for (const s of graph.stages.values()) {
    const shared = typeof s.def.sharedFiles === 'function' ? s.def.sharedFiles(params) : (s.def.sharedFiles ?? []);
    for (const f of shared) {
      if (isAbsolute(f)) continue;
      const dest = containedPath(dir, f, `experiment copy of ${f}`);
      // Only a regular file is copied: a published link (artifacts/adapters/current) names the
      // user's own outs, which the experiment makes for itself.
      const from = await lstat(join(workspace, f)).catch(() => undefined);
      if (!(await exists(dest)) && from?.isFile()) {
        await mkdir(dirname(dest), { recursive: true });
        await copyFile(join(workspace, f), dest);
      }
    }
  }
}
