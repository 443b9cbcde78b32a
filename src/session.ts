// Everything a command needs about the workspace: the DAG, the validated config, the graph,
// the caches. Built once per command invocation (and per rebuild in watch mode).
import { isAbsolute, join, relative, resolve } from 'node:path';
import { isUserError, UsageError, type ParamsReader, type PipelineDef } from './api.js';
import { loadConfig } from './config.js';
import { loadDag } from './dagLoader.js';
import { buildGraph, type Graph } from './graph.js';
import { makeParamsReader } from './params.js';
import { RunCache } from './runCache.js';
import { StatCache } from './statCache.js';
import { WorkspaceDirs } from './workspaceState.js';

export interface Session {
  workspace: string;
  def: PipelineDef;
  configFile: string;
  configName: string;
  params: ParamsReader;
  configGpus?: string[];
  graph: Graph;
  dirs: WorkspaceDirs;
  statCache: StatCache;
  runCache: RunCache;
  logDir: string;
}

export function cacheDirFor(workspace: string): string {
  const env = process.env.PIPELINE_CACHE_DIR;
  if (env && env.trim()) return isAbsolute(env) ? env : resolve(process.cwd(), env);
  return join(workspace, 'cache');
}

export async function openSession(workspace: string, sets: readonly string[], def?: PipelineDef): Promise<Session> {
  const dag = def ?? (await loadDag(workspace));
  const configName = dag.configFile ?? 'pipeline.yaml';
  const configFile = resolve(workspace, configName);
  const cfg = await loadConfig(configFile, relative(process.cwd(), configFile) || configName, dag.schema, sets);
  const params = makeParamsReader(cfg.values);
  let graph: Graph;
  try {
    graph = buildGraph(workspace, dag.stages, params);
  } catch (err) {
    if (isUserError(err)) throw err;
    throw new UsageError(`pipeline.ts: ${(err as Error).message}`);
  }
  const dirs = new WorkspaceDirs(workspace);
  const statCache = new StatCache(dirs.statCacheFile);
  statCache.load();
  return {
    workspace,
    def: dag,
    configFile,
    configName,
    params,
    configGpus: cfg.gpus,
    graph,
    dirs,
    statCache,
    runCache: new RunCache(cacheDirFor(workspace)),
    logDir: resolve(workspace, dag.logDir ?? 'artifacts/logs'),
  };
}
