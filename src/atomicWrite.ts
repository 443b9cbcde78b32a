// Every file the pipeline writes or deletes goes through here: one containment rule and one way of
// replacing a file.
// - Containment: a path is resolved against its root (the workspace, or the cache dir for cache
//   files) and refused when it leaves it, lexically (`..`, an absolute path elsewhere) or through a
//   symlink (the real path of its deepest existing parent must lie inside the real root).
// - Replacement: the data goes to a new sibling temp file (created exclusively, so never through a
//   link), which is renamed over the target; a link at the target is replaced, never followed.
//   Readers see the old content or the new, never a mix. No fsync by default: every file written
//   this way is either rebuildable (caches) or checked when read (a record that is empty after a
//   power cut is treated as absent, and its stage reruns).
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fsyncSync, lstatSync, mkdirSync, openSync, realpathSync, renameSync, rmSync, symlinkSync, writeSync, chmodSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { UserError } from './api.js';

/** A write or delete that would leave its root: an expected failure (exit 1), never a stack trace. */
export class PathEscapeError extends UserError {
  constructor(message: string) {
    super(message, 1);
  }
}

function lexicallyInside(root: string, abs: string): boolean {
  const rel = relative(root, abs);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** The real path of `p`'s deepest existing ancestor (or `p` itself), plus the part that does not exist yet. */
function realDeepest(p: string): string {
  let cur = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return resolve(realpathSync(cur), ...rest.reverse());
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      const up = dirname(cur);
      if (up === cur) return p;
      rest.push(cur.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
      cur = up;
    }
  }
}

/**
 * `p` (relative to `root`, or absolute) as an absolute path inside `root`; throws PathEscapeError
 * when it leaves `root` lexically or when its parent directory resolves (through symlinks) to a
 * place outside the real `root`. The last component itself may be a link: writers replace it,
 * deleters remove the link, neither follows it. `what` names the path in the message.
 */
export function containedPath(root: string, p: string, what = p): string {
  const abs = resolve(root, p);
  if (!lexicallyInside(root, abs)) throw new PathEscapeError(`refusing to write ${what}: ${abs} is outside ${root}`);
  const realRoot = realDeepest(root);
  const realParent = realDeepest(dirname(abs));
  if (realParent !== realRoot && !lexicallyInside(realRoot, realParent)) {
    throw new PathEscapeError(`refusing to write ${what}: its directory leads through a symbolic link to ${realParent}, outside ${root}`);
  }
  return abs;
}

export interface WriteOptions {
  /** When given, the path must lie inside it (see containedPath). */
  root?: string;
  /** fsync the data before the rename (default false). */
  fsync?: boolean;
  /** Keep the permission bits of the file being replaced (default: a new file's default mode). */
  keepMode?: boolean;
  /** Permission bits of the new file. */
  mode?: number;
}

/** A file being written under a temp name beside its target: `commit` renames it over the target, `discard` removes it. */
export interface AtomicFile {
  /** Appends `data` (written through, no buffering). */
  write(data: string | Uint8Array): void;
  /** Closes the temp file and renames it over the target (see the header). */
  commit(): void;
  /** Closes and removes the temp file; the target is left as it was. Safe after commit (does nothing). */
  discard(): void;
}

/** Starts replacing `path` piece by piece (see the header); for data too big to hold at once. */
export function openAtomicFileSync(path: string, o: WriteOptions = {}): AtomicFile {
  const abs = o.root ? containedPath(o.root, path) : resolve(path);
  mkdirSync(dirname(abs), { recursive: true });
  // mkdir may have gone through a link created meanwhile: check the parent again.
  if (o.root) containedPath(o.root, abs, path);
  const tmp = `${abs}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  let fd: number | undefined = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, o.mode ?? 0o666);
  let done = false;
  const close = () => {
    if (fd === undefined) return;
    const f = fd;
    fd = undefined;
    closeSync(f);
  };
  const discard = () => {
    if (done) return;
    done = true;
    try {
      close();
    } finally {
      rmSync(tmp, { force: true });
    }
  };
  return {
    write(data) {
      if (fd === undefined) throw new Error(`${path}: written after commit or discard`);
      const c = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < c.byteLength;) off += writeSync(fd, c, off);
    },
    commit() {
      if (fd === undefined) throw new Error(`${path}: committed after commit or discard`);
      try {
        if (o.keepMode) {
          const st = lstatSync(abs, { throwIfNoEntry: false });
          if (st?.isFile()) chmodSync(tmp, st.mode & 0o7777);
        }
        if (o.fsync) fsyncSync(fd);
        close();
        renameSync(tmp, abs);
        done = true;
      } catch (err) {
        discard();
        throw err;
      }
    },
    discard,
  };
}

/** Replaces `path` with `data` (see the header). Synchronous: small files, one thread-pool trip saved per step. */
export function writeFileAtomicSync(path: string, data: string | Uint8Array | readonly Uint8Array[], o: WriteOptions = {}): void {
  const f = openAtomicFileSync(path, o);
  try {
    const chunks = typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
    for (const c of chunks) f.write(c);
    f.commit();
  } catch (err) {
    f.discard();
    throw err;
  }
}

export async function writeFileAtomic(path: string, data: string | Uint8Array | readonly Uint8Array[], o: WriteOptions = {}): Promise<void> {
  writeFileAtomicSync(path, data, o);
}

/**
 * Replaces `path` with a symbolic link to `target` (relative to the link's directory, as symlink(2)
 * reads it): a new link under a temp name, renamed over `path`, so a reader sees the old entry or
 * the new link, never none. A link or file at `path` is replaced, never followed; a directory there
 * is refused. With `root`, both the link and what `target` names must lie inside it (lexically:
 * the target may not exist yet).
 */
export function replaceSymlinkAtomicSync(path: string, target: string, o: Pick<WriteOptions, 'root'> = {}): void {
  const abs = o.root ? containedPath(o.root, path) : resolve(path);
  if (o.root) {
    const pointsAt = resolve(dirname(abs), target);
    if (!lexicallyInside(o.root, pointsAt)) throw new PathEscapeError(`refusing to link ${path} to ${target}: ${pointsAt} is outside ${o.root}`);
  }
  mkdirSync(dirname(abs), { recursive: true });
  if (o.root) containedPath(o.root, abs, path);
  if (lstatSync(abs, { throwIfNoEntry: false })?.isDirectory()) {
    throw new UserError(`cannot replace ${path} with a link: it is a directory (move it away and rerun)`);
  }
  const tmp = `${abs}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  // symlink(2) never follows or overwrites an existing entry at `tmp`: creation is exclusive.
  symlinkSync(target, tmp);
  try {
    renameSync(tmp, abs);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Appends one chunk to `path` inside `root` with O_APPEND (one write: concurrent or interrupted
 * writers do not interleave). Refuses a symbolic link at `path` instead of appending to its target.
 */
export function appendFileContained(root: string, path: string, data: string, what = path): void {
  const abs = containedPath(root, path, what);
  mkdirSync(dirname(abs), { recursive: true });
  containedPath(root, abs, what);
  let fd: number;
  try {
    fd = openSync(abs, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o666);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new PathEscapeError(
        `refusing to append to ${what}: it is a symbolic link (the pipeline does not write through links; replace it with a regular file)`,
      );
    }
    throw err;
  }
  try {
    const buf = Buffer.from(data);
    for (let off = 0; off < buf.byteLength;) off += writeSync(fd, buf, off);
  } finally {
    closeSync(fd);
  }
}

/** Removes `path` (recursively) when it lies inside `root`; a link is removed, not followed. */
export async function removeContained(root: string, path: string, what = path): Promise<void> {
  await rm(containedPath(root, path, what), { recursive: true, force: true });
}
