// One stage's work once the runner decided it must be done: restored from the run cache, or run
// in its staging area (its context, log, children and contract checks), then promoted, published
// and recorded. The runner (runner.ts) decides what to do and when; this file does it.
import { randomBytes } from 'node:crypto';
import { appendFileSync, createWriteStream, mkdirSync, statSync, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { UserError, type ParamsReader, type PublishContext, type StageContext } from './api.js';
import type { Failure } from './events.js';
import type { ResolvedStage } from './graph.js';
import { getPath } from './params.js';
import { loadProcessSupport, runChild, startChild } from './processTree.js';
import { collectStagedOuts, promote, rememberOuts, restoreOuts } from './promote.js';
import type { RunRecord } from './runCache.js';
import type { RunOptions } from './runner.js';
import type { EvalEnv, Evaluation } from './staleness.js';
import { ContractError, stageParams } from './stageParams.js';
import { trace } from './trace.js';
import { writeHashing } from './writeHashing.js';

export function publishContext(
  workspace: string,
  params: ParamsReader,
  logDir: string,
  stage: ResolvedStage,
  shortKey: string,
  outs: string[],
): PublishContext {
  return {
    name: stage.name,
    workspace,
    shortKey,
    params: stageParams(stage, params.all, (message) => {
      throw new ContractError(message);
    }),
    outs,
    // Publishing happens after the stage ran (or was restored): its lines go to the end of its log.
    log: (line) => {
      try {
        mkdirSync(logDir, { recursive: true });
        appendFileSync(join(logDir, `${stage.name}.log`), `${line}\n`);
      } catch {
        /* a log line is not worth failing the stage for */
      }
    },
  };
}

export async function tail(file: string, n = 20): Promise<string[]> {
  try {
    const lines = (await readFile(file, 'utf8')).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines.slice(-n);
  } catch {
    return [];
  }
}

export async function restoreFromCache(stage: ResolvedStage, ev: Evaluation, rec: RunRecord, o: RunOptions, env: EvalEnv): Promise<boolean> {
  const outsRoot = join(o.dirs.stagingRoot, `${stage.name}-restore-${randomBytes(4).toString('hex')}`);
  try {
    const ok = await restoreOuts(o.workspace, rec, outsRoot, o.runCache, o.statCache, o.dirs);
    if (!ok) return false;
    await rememberOuts(o.workspace, rec.outs, o.statCache);
    await o.runCache.touch(rec);
    await o.dirs.writeState(rec, { deps: ev.deps, code: ev.codeEntries });
    if (stage.def.publish) await stage.def.publish(env.publishContext(stage, ev.shortKey, ev.outs));
    return true;
  } finally {
    await rm(outsRoot, { recursive: true, force: true });
  }
}

type ExecResult = { ok: true } | { ok: false; failure: Failure };

export async function execute(stage: ResolvedStage, ev: Evaluation, devices: string[], o: RunOptions): Promise<ExecResult> {
  const name = stage.name;
  const resumable = stage.def.resumable === true;
  const stagingDir = join(o.dirs.stagingRoot, resumable ? `${name}-${ev.shortKey}` : `${name}-${ev.shortKey}-${process.pid}-${randomBytes(3).toString('hex')}`);
  // Leftovers of crashed attempts of this stage (not the resumable dir of this key) go first.
  for (const d of await readdir(o.dirs.stagingRoot).catch(() => [] as string[])) {
    if (d.startsWith(`${name}-`) && d !== `${name}-${ev.shortKey}` && !/^[0-9a-f]{12}$/.test(d.slice(name.length + 1))) {
      await rm(join(o.dirs.stagingRoot, d), { recursive: true, force: true });
    }
  }
  const outsRoot = join(stagingDir, 'outs');
  await rm(outsRoot, { recursive: true, force: true });
  await mkdir(outsRoot, { recursive: true });
  const stageCacheDir = join(o.runCache.dir, 'stage', name);
  await mkdir(stageCacheDir, { recursive: true });
  const logFile = join(o.logDir, `${name}.log`);
  await mkdir(o.logDir, { recursive: true });
  const logStream: WriteStream = createWriteStream(logFile, { flags: 'w' });
  let logClosed = false;
  const log = (line: string) => {
    if (logClosed) appendFileSync(logFile, `${line}\n`);
    else logStream.write(`${line}\n`);
  };
  log(`# ${name} ${new Date().toISOString()} key ${ev.shortKey}${devices.length ? ` gpus ${devices.join(',')}` : ''}`);

  const baseEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) baseEnv[k] = v;
  baseEnv.CUDA_VISIBLE_DEVICES = devices.join(',');
  baseEnv.PIPELINE_RUN_ID = o.runId;
  baseEnv.PIPELINE_STAGE = name;

  const children: Array<{ stop(): Promise<void> }> = [];
  /** The first way the stage broke its contract: it fails with it even if its code caught the error. */
  let violation: string | undefined;
  const violated = (message: string): never => {
    violation ??= message;
    throw new ContractError(message);
  };
  const params = stageParams(stage, o.params.all, violated);
  /** Why the outs are not final, when the stage said so (the first reason it gave). */
  let provisional: string | undefined;
  const outPath = (relIn: string): string => {
    const rel = relIn.replaceAll('{key}', ev.shortKey).replace(/\/+$/, '');
    if (!ev.outs.includes(rel) && !ev.outs.some((x) => rel.startsWith(`${x}/`))) {
      violated(`stage '${name}' writes '${rel}', which is not one of its outs (${ev.outs.join(', ')})`);
    }
    return join(outsRoot, rel);
  };
  /** Outs written through ctx.writeOut: their hash is known, no need to read them back. */
  const written = new Map<string, { hash: string; size: number; mtimeMs: number }>();
  const ctx: StageContext = {
    name,
    workspace: o.workspace,
    key: ev.key,
    shortKey: ev.shortKey,
    params,
    param<T>(key: string): T {
      if (!stage.params.some((d) => key === d || key.startsWith(`${d}.`))) {
        violated(`stage '${name}' reads param '${key}', which it does not declare in params`);
      }
      return getPath(o.params.all, key) as T;
    },
    out: outPath,
    async writeOut(rel, data) {
      const path = outPath(rel);
      const { hash, size } = writeHashing(path, data);
      written.set(path, { hash, size, mtimeMs: statSync(path).mtimeMs });
      return hash;
    },
    outs: ev.outs,
    stagingDir,
    stageCacheDir,
    // Read-only to the stage (DepFile); no copy of thousands of entries.
    deps: ev.depFiles,
    gpus: devices,
    env: baseEnv,
    signal: o.signal,
    log,
    warn: (message) => {
      log(`warning: ${message}`);
      o.reporter.warn?.(name, message);
    },
    progress: (u) => o.reporter.progress(name, u),
    exec: (file, args, opts = {}) => runChild(file, args, { ...opts, baseEnv, registry: o.registry, log, signal: o.signal }),
    spawn: (file, args, opts = {}) => {
      const h = startChild(file, args, { ...opts, baseEnv, registry: o.registry, log, signal: o.signal });
      children.push(h);
      return h;
    },
    hashFile: (abs) => o.statCache.hash(abs),
    provisional: (reason) => {
      const r = reason.trim().slice(0, 4000) || 'the stage said its outs are not final';
      provisional ??= r;
      log(`provisional: ${r}`);
    },
  };
  // ctx.out must be able to create parents for nested outs.
  for (const out of ev.outs) await mkdir(join(outsRoot, out, '..'), { recursive: true });

  let logDone: Promise<void> | undefined;
  const finishLog = () =>
    (logDone ??= new Promise<void>((r) => {
      logClosed = true;
      logStream.end(r);
    }));
  trace(`${name}: running`);
  try {
    await loadProcessSupport();
    await stage.def.run(ctx);
    if (violation !== undefined) throw new ContractError(violation);
    if (o.signal.aborted) throw new UserError('interrupted', 130);
    trace(`${name}: ran`);
    const outFiles = await collectStagedOuts(outsRoot, ev.outs, o.runCache, written);
    trace(`${name}: outs hashed and stored`);
    await promote(o.workspace, outsRoot, ev.outs, o.dirs);
    const rec: RunRecord = {
      v: 1,
      stage: name,
      key: ev.key,
      code: ev.code,
      params: ev.params,
      declaredOuts: ev.outs,
      outs: outFiles,
      ms: 0,
      finishedAt: new Date().toISOString(),
      ...(provisional !== undefined ? { provisional } : {}),
    };
    await rememberOuts(o.workspace, outFiles, o.statCache);
    // The stage's own log is closed first: publish appends its lines to the same file.
    await finishLog();
    if (stage.def.publish) await stage.def.publish(publishContext(o.workspace, o.params, o.logDir, stage, ev.shortKey, ev.outs));
    // The run record is written last: a crash before this point leaves the stage stale. A
    // provisional run is no result to share: it is recorded here (so the stage reruns with the
    // reason), not put in the run cache (nothing restores it).
    if (provisional === undefined) await o.runCache.put(rec);
    await o.dirs.writeState(rec, { deps: ev.deps, code: ev.codeEntries });
    trace(`${name}: recorded`);
    log(`# ok`);
    // The stage is done and recorded; removing its scratch space is not part of its time.
    o.background?.push(rm(stagingDir, { recursive: true, force: true }));
    return { ok: true };
  } catch (err) {
    const contract = violation ?? (err instanceof ContractError ? err.message : undefined);
    const expected = err instanceof UserError;
    const message = contract ?? (expected ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`);
    log(`# failed: ${message}`);
    if (!expected && contract === undefined && err instanceof Error && err.stack) log(err.stack);
    await finishLog();
    if (!resumable) await rm(stagingDir, { recursive: true, force: true });
    else await rm(outsRoot, { recursive: true, force: true });
    const logTail = await tail(logFile);
    if (o.signal.aborted) return { ok: false, failure: { kind: 'interrupted', log: logFile, logTail } };
    if (contract !== undefined) return { ok: false, failure: { kind: 'contract', message: contract } };
    return { ok: false, failure: { kind: 'run', message, log: logFile, logTail } };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}
