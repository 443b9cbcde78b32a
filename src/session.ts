// Everything a command needs about the workspace: the DAG, the validated config, the graph,
// the caches. Built once per command invocation (and per rebuild in watch mode).
import { statSync, type Stats } from 'node:fs';
import { relative, resolve } from 'node:path';
import { cacheDirFor } from './cacheDir.js';
import { UsageError, UserError, type ParamsReader, type PipelineDef } from './api.js';
import { loadConfig, type ExperimentsConfig, type WatchConfig } from './config.js';
import { loadDag } from './dagLoader.js';
import { buildGraph, type Graph } from './graph.js';
import { makeParamsReader } from './params.js';
import { RunCache } from './runCache.js';
import { StatCache } from './statCache.js';
import { WorkspaceDirs } from './workspaceState.js';
import { trace } from './trace.js';

export interface Session {
  workspace: string;
  def: PipelineDef;
  configFile: string;
  configName: string;
  params: ParamsReader;
  configGpus?: string[];
  /** `watch:` of the config (the engine's own section). */
  watch: WatchConfig;
  /** `experiments:` of the config (the engine's own section): name → dotted key → value. */
  experiments: ExperimentsConfig;
  graph: Graph;
  dirs: WorkspaceDirs;
  statCache: StatCache;
  runCache: RunCache;
  logDir: string;
  /** Stat of the config file when it was read (undefined when there is none). */
  configStat?: Stats;
}

export { cacheDirFor };

export interface SessionOptions {
  /** The config file to read (default: the DAG's configFile in `workspace`). */
  configFile?: string;
  /** The run cache directory (default: cacheDirFor(workspace)). */
  cacheDir?: string;
}

/**
 * `opts` serves a workspace that is not the user's (an experiment's own state and outs): it reads
 * the user's config file and shares the user's run cache.
 */
export async function openSession(workspace: string, sets: readonly string[], def?: PipelineDef, opts: SessionOptions = {}): Promise<Session> {
  const dag = def ?? (await loadDag(workspace));
  trace('DAG loaded');
  const configName = dag.configFile ?? 'pipeline.yaml';
  const configFile = opts.configFile ?? resolve(workspace, configName);
  const configStat = statSync(configFile, { throwIfNoEntry: false });
  const cfg = await loadConfig(configFile, relative(process.cwd(), configFile) || configName, dag.schema, sets);
  const params = makeParamsReader(cfg.values);
  trace('config loaded');
  let graph: Graph;
  try {
    graph = buildGraph(workspace, dag.stages, params);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UsageError(`pipeline.ts: ${(err as Error).message}`);
  }
  const dirs = new WorkspaceDirs(workspace);
  const statCache = new StatCache(dirs.statCacheFile, workspace);
  statCache.load();
  return {
    workspace,
    def: dag,
    configFile,
    configName,
    params,
    configGpus: cfg.gpus,
    watch: cfg.watch,
    experiments: cfg.experiments,
    graph,
    dirs,
    statCache,
    runCache: new RunCache(opts.cacheDir ?? cacheDirFor(workspace)),
    logDir: resolve(workspace, dag.logDir ?? 'artifacts/logs'),
    configStat,
  };
}
