// Hashing the source deps that no stage produces (a multi-GB base model) from the start of a run,
// while upstream stages work, so that the stage needing them (train, after extract and register)
// finds them hashed instead of starting a long read only then. One file at a time, in the
// background; the stage's own evaluation shares a hash still in flight (StatCache).
import { expand } from './depFiles.js';
import type { Graph } from './graph.js';
import { globBase, isGlob, isUnder } from './pathSpec.js';
import type { StatCache } from './statCache.js';

/** Dep specs of the selected stages that wait for upstream work and that no stage writes into. */
export function sourceDepsBehindUpstream(graph: Graph, selected: readonly string[]): string[] {
  const outs = [...graph.stages.values()].flatMap((s) =>
    s.outs.map((o) => (o.includes('{key}') ? o.slice(0, o.indexOf('{key}')).replace(/\/$/, '') || '.' : o)),
  );
  const specs = new Set<string>();
  for (const name of selected) {
    const stage = graph.stages.get(name);
    if (!stage || !stage.upstream.some((u) => selected.includes(u))) continue;
    for (const dep of stage.deps) {
      const root = isGlob(dep) ? globBase(dep) : dep;
      if (!outs.some((o) => isUnder(root, o) || isUnder(o, root))) specs.add(dep);
    }
  }
  return [...specs];
}

/** Starts hashing; stop() ends it (between two reads of a file) and waits for it. */
export function startPrehash(workspace: string, graph: Graph, selected: readonly string[], statCache: StatCache): { stop(): Promise<void> } {
  const controller = new AbortController();
  const specs = sourceDepsBehindUpstream(graph, selected);
  const done = (async () => {
    if (specs.length === 0) return;
    const { files } = await expand(workspace, specs);
    // The largest first: they are the ones worth the head start.
    files.sort((a, b) => b.st.size - a.st.size);
    for (const f of files) {
      if (controller.signal.aborted) return;
      await statCache.hash(f.abs, f.st, controller.signal).catch(() => undefined);
    }
  })().catch(() => undefined);
  return {
    stop: () => {
      controller.abort();
      return done;
    },
  };
}
