// The import graph of a bundled DAG, from esbuild's metafile: source modules with the modules and
// npm packages each imports, and each package's version (from the package-lock.json above its
// node_modules, else its package.json) with the packages it depends on. A stage's implementation
// is the import closure of the module that defines it: `closureOf`.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export interface ModuleNode {
  /** Absolute path. */
  file: string;
  /** Ids of the source modules it imports. */
  imports: string[];
  /** Ids of the packages it imports (bundled or not). */
  packages: string[];
}

export interface PackageNode {
  name: string;
  version: string;
  /** Ids of the packages it depends on. */
  deps: string[];
}

export interface ModuleGraph {
  entry: string;
  /** By id: workspace-relative path, `<package name>:<path>` in another package, else absolute. */
  modules: Record<string, ModuleNode>;
  packages: Record<string, PackageNode>;
  /** Every file the bundle depends on (sources, package files, lockfiles), absolute. */
  inputs: string[];
}

/** What a stage can execute: source files (by id, with their path) and packages with versions. */
export interface StageCode {
  files: Array<{ id: string; abs: string }>;
  packages: Array<{ id: string; name: string; version: string }>;
}

interface Metafile {
  inputs: Record<string, { imports: Array<{ path: string; kind: string; external?: boolean }> }>;
}

/** The installed package a file belongs to (its directory), if it lies in a node_modules. */
export function packageDirOf(file: string): string | undefined {
  const parts = file.split(sep);
  const i = parts.lastIndexOf('node_modules');
  if (i < 0 || i + 1 >= parts.length) return undefined;
  const scoped = parts[i + 1]!.startsWith('@');
  return parts.slice(0, i + (scoped ? 3 : 2)).join(sep);
}

const lockSchema = z.object({
  packages: z
    .record(
      z.string(),
      z.object({
        version: z.string().optional(),
        dependencies: z.record(z.string(), z.string()).optional(),
        optionalDependencies: z.record(z.string(), z.string()).optional(),
        peerDependencies: z.record(z.string(), z.string()).optional(),
      }),
    )
    .default({}),
});
type Lock = z.infer<typeof lockSchema>;

/** `aliases`: external import URLs that stand for another file (the CLI build's copy of a package → the package's file). */
export function buildModuleGraph(workspace: string, entryFile: string, meta: Metafile, aliases: ReadonlyMap<string, string> = new Map()): ModuleGraph {
  const inputs = new Set<string>();
  const pkgJsonDir = new Map<string, { dir: string; name: string } | null>();
  const nearestPackage = (dir: string): { dir: string; name: string } | null => {
    const known = pkgJsonDir.get(dir);
    if (known !== undefined) return known;
    let found: { dir: string; name: string } | null = null;
    try {
      const pj = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown };
      found = { dir, name: typeof pj.name === 'string' ? pj.name : '' };
    } catch {
      const up = dirname(dir);
      found = up === dir ? null : nearestPackage(up);
    }
    pkgJsonDir.set(dir, found);
    return found;
  };
  const idOf = (abs: string): string => {
    const rel = relative(workspace, abs);
    if (!rel.startsWith('..') && !isAbsolute(rel)) return rel.split(sep).join('/');
    const pkg = nearestPackage(dirname(abs));
    return pkg ? `${pkg.name}:${relative(pkg.dir, abs).split(sep).join('/')}` : abs;
  };

  const locks = new Map<string, Lock | null>();
  const lockOf = (root: string): Lock | null => {
    let lock = locks.get(root);
    if (lock === undefined) {
      const file = join(root, 'package-lock.json');
      lock = null;
      if (existsSync(file)) {
        inputs.add(file);
        try {
          const parsed = lockSchema.safeParse(JSON.parse(readFileSync(file, 'utf8')));
          if (parsed.success) lock = parsed.data;
        } catch {
          /* an unreadable lockfile: versions come from package.json */
        }
      }
      locks.set(root, lock);
    }
    return lock;
  };
  const packages: Record<string, PackageNode> = {};
  const pkgIdOf = (pkgDir: string): string => {
    const at = pkgDir.indexOf(`${sep}node_modules${sep}`);
    const root = pkgDir.slice(0, at);
    const key = relative(root, pkgDir).split(sep).join('/');
    const id = root === workspace ? key : `${idOf(join(root, 'package.json')).replace(/package\.json$/, '')}${key}`;
    if (packages[id]) return id;
    const node: PackageNode = { name: key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length), version: 'unknown', deps: [] };
    packages[id] = node;
    const entry = lockOf(root)?.packages[key];
    if (entry?.version) node.version = entry.version;
    else {
      try {
        const file = join(pkgDir, 'package.json');
        node.version = String((JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version ?? 'unknown');
        inputs.add(file);
      } catch {
        /* version unknown */
      }
    }
    for (const dep of Object.keys({ ...entry?.dependencies, ...entry?.optionalDependencies, ...entry?.peerDependencies })) {
      // Node's resolution, in lockfile keys: the nearest node_modules/<dep> from this package up.
      for (let base = key; ;) {
        const candidate = `${base}/node_modules/${dep}`;
        if (existsSync(join(root, candidate))) {
          node.deps.push(pkgIdOf(join(root, candidate)));
          break;
        }
        const i = base.lastIndexOf('/node_modules/');
        if (i < 0) {
          if (base !== '' && existsSync(join(root, 'node_modules', dep))) node.deps.push(pkgIdOf(join(root, 'node_modules', dep)));
          break;
        }
        base = base.slice(0, i);
      }
    }
    return id;
  };

  const modules: Record<string, ModuleNode> = {};
  const absOfInput = (p: string) => resolve(workspace, p.replace(/^[a-z-]+:(?!\/\/)/, ''));
  for (const [key, input] of Object.entries(meta.inputs)) {
    const abs = absOfInput(key);
    inputs.add(abs);
    const ownPkg = packageDirOf(abs);
    const node: ModuleNode | undefined = ownPkg ? undefined : (modules[idOf(abs)] = { file: abs, imports: [], packages: [] });
    const ownPkgNode = ownPkg ? packages[pkgIdOf(ownPkg)]! : undefined;
    for (const imp of input.imports) {
      let target: string | undefined;
      if (!imp.external) target = absOfInput(imp.path);
      else if (imp.path.startsWith('file:')) target = aliases.get(imp.path) ?? fileURLToPath(imp.path);
      if (!target) continue;
      const pkg = packageDirOf(target);
      if (pkg) {
        const id = pkgIdOf(pkg);
        if (node && !node.packages.includes(id)) node.packages.push(id);
        if (ownPkgNode && pkg !== ownPkg && !ownPkgNode.deps.includes(id)) ownPkgNode.deps.push(id);
      } else if (node && !imp.external) {
        const id = idOf(target);
        if (!node.imports.includes(id)) node.imports.push(id);
      }
    }
  }
  return { entry: idOf(entryFile), modules, packages, inputs: [...inputs].sort() };
}

/** Every source module and package reachable from `origin`, sorted by id. */
export function closureOf(g: Pick<ModuleGraph, 'modules' | 'packages'>, origin: string): StageCode {
  const files = new Set<string>();
  const pkgs = new Set<string>();
  const todo = [origin];
  while (todo.length) {
    const id = todo.pop()!;
    const m = g.modules[id];
    if (!m || files.has(id)) continue;
    files.add(id);
    todo.push(...m.imports);
    for (const p of m.packages) pkgs.add(p);
  }
  const ptodo = [...pkgs];
  while (ptodo.length) {
    for (const d of g.packages[ptodo.pop()!]?.deps ?? []) {
      if (!pkgs.has(d)) {
        pkgs.add(d);
        ptodo.push(d);
      }
    }
  }
  const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  return {
    files: [...files].map((id) => ({ id, abs: g.modules[id]!.file })).sort(byId),
    packages: [...pkgs].map((id) => ({ id, name: g.packages[id]!.name, version: g.packages[id]!.version })).sort(byId),
  };
}
