// A stand-in StageContext for running a stage in-process in a bench: outs staged under WS/staging,
// the stage cache under WS/stage-cache (or the dir given), log and warning lines collected in `log`.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { StageContext } from '../../src/api.js';
import { writeHashing } from '../../src/writeHashing.js';

export function benchStageCtx(ws: string, deps: Array<{ path: string; hash: string }>, config: unknown, log: string[], stageCacheDir?: string): StageContext {
  const noop = () => undefined;
  const outPath = (rel: string) => {
    // The engine guarantees the parent directories of an out exist.
    const p = join(ws, 'staging', rel);
    mkdirSync(dirname(p), { recursive: true });
    return p;
  };
  return {
    name: 'extract',
    workspace: ws,
    key: 'bench',
    shortKey: 'bench',
    param: <T>() => config as T,
    params: { get: () => undefined as never, all: {} },
    out: outPath,
    writeOut: async (rel, data) => writeHashing(outPath(rel), data).hash,
    outs: [],
    stagingDir: join(ws, 'staging'),
    stageCacheDir: stageCacheDir ?? join(ws, 'stage-cache'),
    deps,
    gpus: [],
    env: {},
    signal: new AbortController().signal,
    log: (line: string) => void log.push(line),
    warn: (line: string) => void log.push(`warning: ${line}`),
    progress: noop,
    exec: () => Promise.reject(new Error('not in bench')),
    spawn: () => {
      throw new Error('not in bench');
    },
    hashFile: () => Promise.reject(new Error('not in bench')),
    provisional: (reason: string) => void log.push(`provisional: ${reason}`),
  };
}
