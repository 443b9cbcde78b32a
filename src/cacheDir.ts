// Where the run cache lives: PIPELINE_CACHE_DIR (relative to the current directory), else ./cache.
import { isAbsolute, join, resolve } from 'node:path';

export function cacheDirFor(workspace: string): string {
  const env = process.env.PIPELINE_CACHE_DIR;
  if (env && env.trim()) return isAbsolute(env) ? env : resolve(process.cwd(), env);
  return join(workspace, 'cache');
}
