// Workspace paths: normalizing declared paths, telling inside from outside, and glob matching
// (picomatch: `*`, `**`, `?`, `[…]`, `{a,b}`).
import { isAbsolute, relative, resolve, sep } from 'node:path';
import picomatch from 'picomatch';

/** Declared path → canonical form: workspace-relative POSIX, or absolute when outside. */
export function canonical(workspace: string, p: string): string {
  const abs = resolve(workspace, p);
  const rel = relative(workspace, abs);
  if (rel === '') return '.';
  if (rel.startsWith('..') || isAbsolute(rel)) return abs;
  return rel.split(sep).join('/');
}

export function isInside(workspace: string, p: string): boolean {
  const rel = relative(workspace, resolve(workspace, p));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

export function toAbs(workspace: string, canon: string): string {
  return isAbsolute(canon) ? canon : resolve(workspace, canon);
}

/** Is this declared path a glob (`*`, `**`, `?`, `[…]`, `{a,b}`)? `out/{key}` is not. */
export function isGlob(spec: string): boolean {
  return picomatch.scan(spec).isGlob;
}

/** Glob → RegExp over POSIX paths (picomatch; `*` matches dotfiles too, `[!a]` negates a class). */
export function globToRegExp(glob: string): RegExp {
  return picomatch.makeRe(glob, { dot: true, posix: true });
}

/** The directory part of a glob before its first wildcard segment. */
export function globBase(glob: string): string {
  return picomatch.scan(glob).base || '.';
}

/** True when path `p` is `prefix` itself or lies below it (POSIX, canonical forms). */
export function isUnder(p: string, prefix: string): boolean {
  return prefix === '.' || p === prefix || p.startsWith(`${prefix}/`);
}

/** What to watch for a declared dep: the base directory of a glob, else the path itself. */
export function watchRoot(spec: string): string {
  return isGlob(spec) ? globBase(spec) : spec;
}
