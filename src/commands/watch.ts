// `pipeline watch [targets…]`: rebuilds when the deps of the selected stages change. Events are
// debounced; a change during a build queues exactly one more build; config errors are shown and
// watching goes on; GPU stages run only with --gpu.
import { randomBytes } from 'node:crypto';
import { relative, resolve } from 'node:path';
import { UsageError, UserError } from '../api.js';
import { intFlag, normalizeGpus, parseArgs } from '../argv.js';
import type { Reporter, StageOutcome } from '../events.js';
import { selectStages } from '../graph.js';
import { describeHolder, WorkspaceLock } from '../lock.js';
import { toAbs, watchRoot } from '../pathSpec.js';
import { ChildRegistry } from '../processTree.js';
import { cacheDirFor, openSession, type Session } from '../session.js';
import { runOnce, type RunFlags } from './run.js';
import { nextState, type WatchInput, type WatchState } from './watchState.js';

export const WATCH_USAGE = `Usage: pipeline watch [targets…] [options]

Watches the inputs of the targets (default: every stage that needs no GPU) and brings them up to
date after each change. One line per rebuild: what changed, what ran, how long.

Options:
  --gpu               allow GPU stages (only those named as targets and their upstream)
  --debounce MS       quiet time before a rebuild (default: watch.debounce_ms in pipeline.yaml, else 300)
  --set key=value     override a value of pipeline.yaml (repeatable)
  --gpus 0,1          the GPU pool, as for run
  --json              one JSON object per rebuild on stdout
`;

/** Collects outcomes without printing (watch prints one line per rebuild). */
class CollectingReporter implements Reporter {
  notes: string[] = [];
  begin() {}
  working() {}
  progress() {}
  note(name: string, message: string) {
    this.notes.push(`${name}: ${message}`);
  }
  end() {}
  async finish() {}
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function describeChanges(changes: Map<string, string>): string {
  if (changes.size === 0) return 'start';
  const byKind = new Map<string, string[]>();
  for (const [p, k] of changes) byKind.set(k, [...(byKind.get(k) ?? []), p]);
  return [...byKind.entries()].map(([k, ps]) => `${k} ${ps.slice(0, 3).join(', ')}${ps.length > 3 ? ` (+${ps.length - 3} more)` : ''}`).join('; ');
}

function describeOutcomes(outcomes: StageOutcome[]): string {
  const worked = outcomes.filter((o) => o.status !== 'fresh');
  if (worked.length === 0) return 'nothing to do';
  return worked.map((o) => `${o.name} ${o.status}${o.status === 'failed' ? ` (${o.error ?? o.reason})` : ''}`).join(', ');
}

export async function watchCommand(workspace: string, argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(WATCH_USAGE);
    return 0;
  }
  // Signals are handled from the first moment: a SIGINT that lands while the session opens or a
  // build's last step runs must end in a clean 130, not the default kill.
  const controller = new AbortController();
  let onStop: () => void = () => controller.abort();
  const signalled = () => onStop();
  process.on('SIGINT', signalled);
  process.on('SIGTERM', signalled);

  const { positionals, flags } = parseArgs(argv, { gpu: 'bool', debounce: 'string', set: 'list', gpus: 'string', json: 'bool' }, 'watch');
  const sets = (flags.set as string[] | undefined) ?? [];
  const json = flags.json === true;
  const allowGpu = flags.gpu === true;
  const debounceFlag = intFlag(flags.debounce, 'debounce', 0);
  const out = (line: string, obj: Record<string, unknown>) => process.stdout.write(json ? `${JSON.stringify(obj)}\n` : `${line}\n`);

  // First session: config errors at start-up are fatal (nothing to watch yet).
  let session: Session = await openSession(workspace, sets);
  const targetsFor = (s: Session): string[] => {
    if (positionals.length) {
      for (const t of positionals) if (!s.graph.stages.has(t)) throw new UsageError(`unknown stage '${t}'; stages: ${s.graph.order.join(', ')}`);
      return positionals;
    }
    return s.graph.order.filter((n) => s.graph.stages.get(n)!.gpus === 0);
  };
  targetsFor(session);
  if (controller.signal.aborted) return 130;

  const { watch } = await import('chokidar');
  const lock = new WorkspaceLock(`${workspace}/.pipeline/lock`);
  const runId = randomBytes(8).toString('hex');
  const registry = new ChildRegistry({ onStart: (pid) => lock.addChild(pid), onExit: (pid) => lock.removeChild(pid) });

  const cacheDir = resolve(cacheDirFor(workspace));
  const outsOf = (s: Session) => [...s.graph.stages.values()].flatMap((st) => st.outs.map((o) => toAbs(workspace, o.replace(/\/?\{key\}.*$/, ''))));
  let ignoredOuts = outsOf(session);
  const ignored = (p: string): boolean => {
    const abs = resolve(p);
    if (abs.startsWith(cacheDir) || abs.includes('/.pipeline') || abs.includes('/.git/') || abs.includes('/node_modules/')) return true;
    return ignoredOuts.some((o) => abs === o || abs.startsWith(`${o}/`));
  };
  const watchedFor = (s: Session): string[] => {
    const selected = selectStages(s.graph, targetsFor(s));
    const paths = new Set<string>([s.configFile, resolve(workspace, 'pipeline.ts')]);
    for (const n of selected) for (const d of s.graph.stages.get(n)!.deps) paths.add(toAbs(workspace, watchRoot(d)));
    return [...paths];
  };
  let watched = watchedFor(session);
  const watcher = watch(watched, { ignoreInitial: true, ignored, persistent: true });

  const changes = new Map<string, string>();
  let builds = 0;
  const debounceMs = () => debounceFlag ?? session.watch.debounceMs;

  const build = async (): Promise<void> => {
    const changed = new Map(changes);
    changes.clear();
    const t0 = performance.now();
    try {
      try {
        session = await openSession(workspace, sets);
      } catch (err) {
        if (!(err instanceof UserError)) throw err;
        out(`${clock()} config error (watching on; fix it and save):\n${err.message}`, { event: 'config-error', error: err.message });
        return;
      }
      ignoredOuts = outsOf(session);
      const next = watchedFor(session);
      const added = next.filter((p) => !watched.includes(p));
      const removed = watched.filter((p) => !next.includes(p));
      if (added.length) watcher.add(added);
      if (removed.length) watcher.unwatch(removed);
      watched = next;
      await lock.acquire('pipeline watch', runId, {
        wait: true,
        signal: controller.signal,
        onWait: (h) => out(`${clock()} waiting for the workspace lock held by ${describeHolder(h)}`, { event: 'waiting', holder: h }),
      });
      try {
        const flagsForRun: RunFlags = {
          targets: targetsFor(session),
          cpuOnly: !allowGpu,
          force: [],
          dryRun: false,
          gpus: typeof flags.gpus === 'string' ? normalizeGpus(flags.gpus) : undefined,
          sets,
          json: false,
          wait: true,
        };
        const reporter = new CollectingReporter();
        const res = await runOnce(workspace, flagsForRun, controller.signal, registry, runId, reporter, session);
        builds++;
        const ms = Math.round(performance.now() - t0);
        const line = `${clock()} #${builds} ${describeChanges(changed)} → ${describeOutcomes(res.outcomes)} (${ms < 1000 ? `${ms}ms` : `${(ms / 1000).toFixed(1)}s`})`;
        out(line, {
          event: 'build',
          n: builds,
          changed: [...changed.entries()].map(([path, kind]) => ({ path, kind })),
          ok: res.code === 0,
          ms,
          stages: res.outcomes.map((o) => ({ name: o.name, status: o.status, reason: o.reason, ms: o.ms })),
        });
        for (const o of res.outcomes.filter((x) => x.status === 'failed')) {
          if (!json && o.logTail?.length) process.stdout.write(`  ${o.log}:\n${o.logTail.map((l) => `    ${l}`).join('\n')}\n`);
        }
      } finally {
        await lock.release();
      }
    } catch (err) {
      const msg = err instanceof UserError ? err.message : `internal error: ${(err as Error).stack ?? String(err)}`;
      out(`${clock()} build failed: ${msg}`, { event: 'error', error: msg });
    }
  };

  // The state machine (watchState.ts) decides; this runs its effects.
  let state: WatchState = 'building';
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let exit: (code: number) => void = () => {};
  const exited = new Promise<number>((r) => (exit = r));
  const send = (input: WatchInput): void => {
    const t = nextState(state, input);
    state = t.state;
    for (const effect of t.effects) {
      switch (effect) {
        case 'start-timer':
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => {
            timer = undefined;
            send('quiet');
          }, debounceMs());
          break;
        case 'clear-timer':
          if (timer) clearTimeout(timer);
          timer = undefined;
          break;
        case 'build':
          inFlight = build().finally(() => send('built'));
          break;
        case 'shut-down':
          void shutDown();
          break;
        default: {
          const never: never = effect;
          throw new Error(`unknown watch effect ${String(never)}`);
        }
      }
    }
  };
  const shutDown = async (): Promise<void> => {
    controller.abort();
    await registry.stopAll();
    await watcher.close();
    // Let a build in flight notice the abort (it records nothing for unfinished stages), bounded.
    await Promise.race([inFlight, new Promise((r) => setTimeout(r, 10_000).unref())]);
    await lock.release();
    exit(130);
  };

  const kinds: Record<string, string> = { add: 'added', change: 'changed', unlink: 'removed', addDir: 'added', unlinkDir: 'removed' };
  watcher.on('all', (event, p) => {
    const kind = kinds[event];
    if (!kind) return;
    const rel = relative(workspace, p) || p;
    // Merge events on one path within a rebuild: added+changed is added, added+removed is nothing,
    // removed+added is changed.
    const before = changes.get(rel);
    if (before === 'added' && kind === 'changed') {
      /* still added */
    } else if (before === 'added' && kind === 'removed') changes.delete(rel);
    else if (before === 'removed' && kind === 'added') changes.set(rel, 'changed');
    else changes.set(rel, kind);
    send('change');
  });
  watcher.on('error', (err) => out(`${clock()} watcher error: ${(err as Error).message}`, { event: 'watch-error', error: (err as Error).message }));

  onStop = () => send('stop');
  if (controller.signal.aborted) send('stop');
  await Promise.race([new Promise<void>((r) => watcher.once('ready', () => r())), exited]);
  if ((state as WatchState) !== 'stopping') {
    out(
      `${clock()} watching ${watched.length} path(s) for ${targetsFor(session).join(', ')}${allowGpu ? '' : ' (GPU stages off; --gpu to allow)'} — Ctrl-C to stop`,
      {
        event: 'watching',
        targets: targetsFor(session),
        paths: watched.map((p) => relative(workspace, p) || p),
      },
    );
    // The start state is 'building': the first build brings the targets up to date.
    inFlight = build().finally(() => send('built'));
  }
  return exited;
}
