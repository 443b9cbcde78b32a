// Runs the register stage's run() outside the engine with a real StageContext-shaped object over a
// temp workspace: outs are written to a staging dir and then moved in place, like the engine does.
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { ParamsReader, ProgressUpdate, PublishContext, StageContext } from '../../src/api.js';
import { configSchema, stage } from '../../stages/register/index.js';
import { writeHashing } from '../../src/writeHashing.js';
import { makeTempDir } from '../helpers/tempDirs.js';

export function paramsFrom(register: unknown, train: Record<string, unknown> = {}): ParamsReader {
  const all: Record<string, unknown> = { register: configSchema.parse(register ?? {}), train };
  return {
    all,
    get<T>(key: string): T {
      let cur: unknown = all;
      for (const part of key.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[part] : undefined;
      return cur as T;
    },
  };
}

export interface HarnessResult {
  logs: string[];
  progress: ProgressUpdate[];
}

export async function runRegister(workspace: string, params: ParamsReader): Promise<HarnessResult> {
  const staging = await makeTempDir('pl-reg-staging-');
  const logs: string[] = [];
  const progress: ProgressUpdate[] = [];
  const outs = ['artifacts/register', 'artifacts/reports/datasets.json'];
  const ctx: StageContext = {
    name: 'register',
    workspace,
    key: 'k'.repeat(64),
    shortKey: 'kkkkkkkkkkkk',
    param: <T>(k: string) => params.get<T>(k),
    params,
    out(rel: string) {
      const p = join(staging, rel);
      return p;
    },
    writeOut: async (rel, data) => writeHashing(join(staging, rel), data).hash,
    outs,
    stagingDir: staging,
    stageCacheDir: staging,
    deps: [],
    gpus: [],
    env: {},
    signal: new AbortController().signal,
    log: (l) => logs.push(l),
    warn: (l) => logs.push(`warning: ${l}`),
    progress: (u) => progress.push(u),
    exec: () => Promise.reject(new Error('not used')),
    spawn: () => {
      throw new Error('not used');
    },
    hashFile: () => Promise.reject(new Error('not used')),
    provisional: (reason: string) => void logs.push(`provisional: ${reason}`),
  };
  for (const o of outs) await mkdir(dirname(join(staging, o)), { recursive: true });
  try {
    await stage.run(ctx);
    for (const o of outs) {
      await rm(join(workspace, o), { recursive: true, force: true });
      await mkdir(dirname(join(workspace, o)), { recursive: true });
      await rename(join(staging, o), join(workspace, o));
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return { logs, progress };
}

export function publishContext(workspace: string, params: ParamsReader, logs: string[] = []): PublishContext {
  return {
    name: 'register',
    workspace,
    shortKey: 'kkkkkkkkkkkk',
    params,
    outs: ['artifacts/register', 'artifacts/reports/datasets.json'],
    log: (l) => logs.push(l),
  };
}
