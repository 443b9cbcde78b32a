// Expands declared deps/outs (files, directories, globs) into the files they cover.
// Synchronous on purpose: on a no-op run this is thousands of stat calls, and plain statSync in a
// loop is several times cheaper than as many promises.
import { readdirSync, statSync } from 'node:fs';
import { FileStat, type StatLike } from './fileStat.js';
import { canonical, globBase, globToRegExp, isGlob, toAbs } from './pathSpec.js';

export interface FoundFile {
  /** Canonical path (workspace-relative POSIX, or absolute outside the workspace). */
  path: string;
  abs: string;
  st: StatLike;
}

/** Directory names never descended into when a dep names a directory. */
const SKIP_DIRS = new Set(['.git', '.pipeline', 'node_modules']);

function walk(dirAbs: string, dirCanon: string, out: FoundFile[]): void {
  let entries;
  try {
    entries = readdirSync(dirAbs, { withFileTypes: true });
  } catch {
    return;
  }
  const prefix = dirAbs.endsWith('/') ? dirAbs : `${dirAbs}/`;
  for (const e of entries) {
    const abs = prefix + e.name;
    const canon = dirCanon === '.' ? e.name : `${dirCanon}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) walk(abs, canon, out);
    } else if (e.isFile() || e.isSymbolicLink()) {
      const st = statSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isFile()) out.push({ path: canon, abs, st: FileStat.of(st) });
      else if (st.isDirectory()) walk(abs, canon, out);
    }
  }
}

export interface Expansion {
  files: FoundFile[];
  /** Declared non-glob entries that do not exist (a glob matching nothing is simply empty). */
  missing: string[];
}

/** Files covered by the declared specs, sorted by path, without duplicates. */
export async function expand(workspace: string, specs: readonly string[]): Promise<Expansion> {
  const found: FoundFile[] = [];
  const missing: string[] = [];
  for (const spec of specs) {
    if (isGlob(spec)) {
      const canonGlob = canonical(workspace, spec);
      const base = globBase(canonGlob);
      const re = globToRegExp(canonGlob);
      const all: FoundFile[] = [];
      const baseAbs = toAbs(workspace, base);
      if (statSync(baseAbs, { throwIfNoEntry: false })?.isDirectory()) walk(baseAbs, base, all);
      for (const f of all) if (re.test(f.path)) found.push(f);
    } else {
      const canon = canonical(workspace, spec);
      const abs = toAbs(workspace, canon);
      const st = statSync(abs, { throwIfNoEntry: false });
      if (st?.isDirectory()) walk(abs, canon, found);
      else if (st?.isFile()) found.push({ path: canon, abs, st: FileStat.of(st) });
      else missing.push(spec);
    }
  }
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const unique = found.filter((f, i) => i === 0 || found[i - 1]!.path !== f.path);
  return { files: unique, missing };
}
