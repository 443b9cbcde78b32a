// The states of `pipeline watch` and what moves it between them, as one table: a change starts
// (or restarts) the quiet period; a change during a build queues exactly one more build, which
// starts as soon as the running one ends; a stop request wins from any state.

export type WatchState = 'idle' | 'debouncing' | 'building' | 'building-with-pending' | 'stopping';

/** change: a watched path changed; quiet: the debounce period passed; built: a build ended; stop: SIGINT/SIGTERM. */
export type WatchInput = 'change' | 'quiet' | 'built' | 'stop';

/** What the watcher does on a transition. */
export type WatchEffect = 'start-timer' | 'clear-timer' | 'build' | 'shut-down';

export interface Transition {
  state: WatchState;
  effects: readonly WatchEffect[];
}

const stay = (state: WatchState): Transition => ({ state, effects: [] });

export function nextState(state: WatchState, input: WatchInput): Transition {
  if (input === 'stop') {
    if (state === 'stopping') return stay(state);
    return { state: 'stopping', effects: state === 'debouncing' ? ['clear-timer', 'shut-down'] : ['shut-down'] };
  }
  switch (state) {
    case 'idle':
      return input === 'change' ? { state: 'debouncing', effects: ['start-timer'] } : stay(state);
    case 'debouncing':
      if (input === 'change') return { state, effects: ['start-timer'] };
      return input === 'quiet' ? { state: 'building', effects: ['build'] } : stay(state);
    case 'building':
      if (input === 'change') return stay('building-with-pending');
      return input === 'built' ? stay('idle') : stay(state);
    case 'building-with-pending':
      return input === 'built' ? { state: 'building', effects: ['build'] } : stay(state);
    case 'stopping':
      return stay(state);
    default: {
      const never: never = state;
      throw new Error(`unknown watch state ${String(never)}`);
    }
  }
}
