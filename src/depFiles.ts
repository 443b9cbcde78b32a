// Expands declared deps/outs (files, directories, globs) into the files they cover.
import type { BigIntStats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { canonical, GLOB_CHARS, globBase, globToRegExp, toAbs } from './pathSpec.js';

export interface FoundFile {
  /** Canonical path (workspace-relative POSIX, or absolute outside the workspace). */
  path: string;
  abs: string;
  st: BigIntStats;
}

/** Directory names never descended into when a dep names a directory. */
const SKIP_DIRS = new Set(['.git', '.pipeline', 'node_modules']);

async function walk(dirAbs: string, dirCanon: string, out: FoundFile[]): Promise<void> {
  let entries;
  try {
    entries = await readdir(dirAbs, { withFileTypes: true });
  } catch {
    return;
  }
  const subdirs: Array<Promise<void>> = [];
  const files: Array<Promise<void>> = [];
  for (const e of entries) {
    const abs = join(dirAbs, e.name);
    const canon = dirCanon === '.' ? e.name : `${dirCanon}/${e.name}`;
    if (e.isDirectory()) {
      if (!SKIP_DIRS.has(e.name)) subdirs.push(walk(abs, canon, out));
    } else if (e.isFile() || e.isSymbolicLink()) {
      files.push(
        stat(abs, { bigint: true }).then(
          (st) => {
            if (st.isFile()) out.push({ path: canon, abs, st });
            else if (st.isDirectory()) return walk(abs, canon, out);
            return undefined;
          },
          () => undefined,
        ),
      );
    }
  }
  await Promise.all([...files, ...subdirs]);
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
    if (GLOB_CHARS.test(spec)) {
      const canonGlob = canonical(workspace, spec);
      const base = globBase(canonGlob);
      const re = globToRegExp(canonGlob);
      const all: FoundFile[] = [];
      const baseAbs = toAbs(workspace, base);
      const st = await stat(baseAbs, { bigint: true }).catch(() => undefined);
      if (st?.isDirectory()) await walk(baseAbs, base, all);
      for (const f of all) if (re.test(f.path)) found.push(f);
    } else {
      const canon = canonical(workspace, spec);
      const abs = toAbs(workspace, canon);
      const st = await stat(abs, { bigint: true }).catch(() => undefined);
      if (st?.isDirectory()) await walk(abs, canon, found);
      else if (st?.isFile()) found.push({ path: canon, abs, st });
      else missing.push(spec);
    }
  }
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const unique = found.filter((f, i) => i === 0 || found[i - 1]!.path !== f.path);
  return { files: unique, missing };
}
