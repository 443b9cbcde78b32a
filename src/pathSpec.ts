// Workspace paths: normalizing declared paths, telling inside from outside, and glob matching.
import { isAbsolute, relative, resolve, sep } from 'node:path';

export const GLOB_CHARS = /[*?[]/;

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

/** Glob (`*`, `**`, `?`, `[…]`) → RegExp over POSIX paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slash = glob[i + 2] === '/';
        re += slash ? '(?:.*/)?' : '.*';
        i += slash ? 2 : 1;
      } else re += '[^/]*';
    } else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i);
      if (end < 0) re += '\\[';
      else {
        re += `[${glob.slice(i + 1, end).replace(/^!/, '^')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The directory part of a glob before its first wildcard segment. */
export function globBase(glob: string): string {
  const parts = glob.split('/');
  const base: string[] = [];
  for (const p of parts) {
    if (GLOB_CHARS.test(p)) break;
    base.push(p);
  }
  return base.join('/') || '.';
}

/** True when path `p` is `prefix` itself or lies below it (POSIX, canonical forms). */
export function isUnder(p: string, prefix: string): boolean {
  return prefix === '.' || p === prefix || p.startsWith(`${prefix}/`);
}

/** What to watch for a declared dep: the base directory of a glob, else the path itself. */
export function watchRoot(spec: string): string {
  return GLOB_CHARS.test(spec) ? globBase(spec) : spec;
}
