// The watch state machine on its own: every (state, input) pair, and the sequences the watcher's
// promises rest on (one queued build per burst during a build, stop wins from anywhere).
import { nextState, type WatchInput, type WatchState } from '../../src/commands/watchState.js';

const STATES: WatchState[] = ['idle', 'debouncing', 'building', 'building-with-pending', 'stopping'];
const INPUTS: WatchInput[] = ['change', 'quiet', 'built', 'stop'];

function run(from: WatchState, inputs: WatchInput[]): { state: WatchState; effects: string[] } {
  let state = from;
  const effects: string[] = [];
  for (const i of inputs) {
    const t = nextState(state, i);
    state = t.state;
    effects.push(...t.effects);
  }
  return { state, effects };
}

test('the transition table', () => {
  const table = Object.fromEntries(
    STATES.map((s) => [s, Object.fromEntries(INPUTS.map((i) => [i, `${nextState(s, i).state} [${nextState(s, i).effects.join(',')}]`]))]),
  );
  expect(table).toEqual({
    idle: { change: 'debouncing [start-timer]', quiet: 'idle []', built: 'idle []', stop: 'stopping [shut-down]' },
    debouncing: { change: 'debouncing [start-timer]', quiet: 'building [build]', built: 'debouncing []', stop: 'stopping [clear-timer,shut-down]' },
    building: { change: 'building-with-pending []', quiet: 'building []', built: 'idle []', stop: 'stopping [shut-down]' },
    'building-with-pending': { change: 'building-with-pending []', quiet: 'building-with-pending []', built: 'building [build]', stop: 'stopping [shut-down]' },
    stopping: { change: 'stopping []', quiet: 'stopping []', built: 'stopping []', stop: 'stopping []' },
  });
});

test('any number of changes during a build queue exactly one more build, then the watcher is idle', () => {
  expect(run('building', ['change', 'change', 'change', 'built', 'built'])).toEqual({ state: 'idle', effects: ['build'] });
});

test('a burst of changes is one build after the quiet period', () => {
  expect(run('idle', ['change', 'change', 'change', 'quiet'])).toEqual({ state: 'building', effects: ['start-timer', 'start-timer', 'start-timer', 'build'] });
});

test('a stop during a build starts nothing more, whatever arrives after it', () => {
  expect(run('building', ['change', 'stop', 'built', 'change', 'quiet'])).toEqual({ state: 'stopping', effects: ['shut-down'] });
});
