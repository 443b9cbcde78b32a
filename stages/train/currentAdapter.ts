// `artifacts/adapters/current`: a symbolic link to the current adapter's directory (relative
// target `<key>`), so LLaMA-Factory commands and YAMLs of the user's own can name
// `adapter_name_or_path: artifacts/adapters/current`. The train stage publishes it after its
// adapter was trained or restored. Older versions wrote a text file holding the key: it is still
// read, and the next publish replaces it with the link.
import { lstat, readFile, readlink, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { UserError } from '../../src/api.js';
import { replaceSymlinkAtomicSync } from '../../src/atomicWrite.js';

/** Workspace-relative link (or, in the old form, text file) naming the current adapter. */
export const CURRENT_POINTER = 'artifacts/adapters/current';
export const ADAPTERS_DIR = 'artifacts/adapters';

const KEY_RE = /^[0-9a-f]{6,64}$/;

const pointerSchema = z.string().trim().regex(KEY_RE, 'expected the short key of an adapter (hex)');

/**
 * Points `artifacts/adapters/current` at `artifacts/adapters/<shortKey>`: a new link renamed over
 * the old entry (link or old text file), never followed, never outside the workspace.
 */
export async function publishCurrentAdapter(workspace: string, shortKey: string): Promise<void> {
  if (!KEY_RE.test(shortKey)) throw new UserError(`cannot publish adapter '${shortKey}': expected a short key (hex)`);
  replaceSymlinkAtomicSync(CURRENT_POINTER, shortKey, { root: workspace });
}

/** The key a link target names when it stays in artifacts/adapters/ (`<key>`, `./<key>`, or an absolute path there). */
function keyOfTarget(workspace: string, target: string): string | undefined {
  const adapters = resolve(workspace, ADAPTERS_DIR);
  const pointsAt = resolve(adapters, target);
  const name = basename(pointsAt);
  return dirname(pointsAt) === adapters && KEY_RE.test(name) ? name : undefined;
}

/**
 * Short key named by `artifacts/adapters/current` (link or old text file), or undefined when there
 * is none. A link leading anywhere but a `<key>` directory of artifacts/adapters/ is refused
 * unfollowed.
 */
export async function readCurrentPointer(workspace: string): Promise<string | undefined> {
  const abs = join(workspace, CURRENT_POINTER);
  const st = await lstat(abs).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (st === undefined) return undefined;
  if (st.isSymbolicLink()) {
    const target = await readlink(abs);
    const key = keyOfTarget(workspace, target);
    if (key === undefined) {
      throw new UserError(
        `${CURRENT_POINTER} is a link to ${target}, not to an adapter directory in ${ADAPTERS_DIR}/: refusing to use it; ` +
          'remove it and run `npx pipeline run train` to point it at the current adapter, or pass --adapter KEY|PATH',
      );
    }
    return key;
  }
  if (!st.isFile()) throw new UserError(`${CURRENT_POINTER} is neither a link nor a file: remove it and run \`npx pipeline run train\``);
  const text = await readFile(abs, 'utf8');
  const parsed = pointerSchema.safeParse(text);
  if (!parsed.success) {
    throw new UserError(
      `${CURRENT_POINTER}: ${parsed.error.issues[0]?.message ?? 'invalid'} (found ${JSON.stringify(text.slice(0, 40))}); ` +
        'run `npx pipeline run train` to rewrite it',
    );
  }
  return parsed.data;
}

/** Absolute directory of the current adapter (the real `<key>` dir, not the link); a UserError when there is none. */
export async function currentAdapterDir(workspace: string): Promise<string> {
  const key = await readCurrentPointer(workspace);
  if (key === undefined) {
    throw new UserError(
      `no adapter has been trained yet (${CURRENT_POINTER} is missing): run \`npx pipeline run train\` first, ` + 'or pass --adapter KEY|PATH',
    );
  }
  const dir = join(workspace, ADAPTERS_DIR, key);
  const ok = await stat(join(dir, 'adapter_config.json')).then(
    (s) => s.isFile(),
    () => false,
  );
  if (!ok) {
    throw new UserError(
      `${CURRENT_POINTER} names adapter ${key}, but ${ADAPTERS_DIR}/${key}/adapter_config.json is missing: ` +
        'run `npx pipeline run train` to restore or retrain it',
    );
  }
  return dir;
}

/** Why `current` does not (yet) link to `shortKey`'s adapter; [] when it does. */
export async function currentPointerProblems(workspace: string, shortKey: string): Promise<string[]> {
  const abs = join(workspace, CURRENT_POINTER);
  const st = await lstat(abs).catch(() => undefined);
  if (st === undefined) return [`${CURRENT_POINTER} is missing`];
  if (!st.isSymbolicLink()) return [`${CURRENT_POINTER} is ${st.isFile() ? 'a file (older form), to become a link' : 'not a link'}`];
  const target = await readlink(abs);
  return target === shortKey ? [] : [`${CURRENT_POINTER} links to ${target}, not to this adapter (${shortKey})`];
}
