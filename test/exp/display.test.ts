// What `exp show` and `exp run` print: the best value of each metric column highlighted on a
// terminal (lower loss, higher pass rate), and one live line per experiment with its stage and,
// for a training, step/total, loss and ETA as the stage reports them.
import { Writable } from 'node:stream';
import { makeBoard } from '../../src/exp/live.js';
import { renderTable, type ExperimentRow } from '../../src/exp/show.js';
import { formatProgress } from '../../stages/train/trainerLog.js';

const row = (name: string, loss: number | null, rate: number): ExperimentRow => ({
  name,
  status: 'done',
  params: { 'train.lora_rank': Number(name.slice(4)) },
  metrics: [
    { name: 'loss', value: loss, better: 'lower' },
    { name: 'pass_rate', value: rate, better: 'higher', format: 'percent' },
  ],
  ms: 61_500,
  failed_stage: null,
  error: null,
  log: null,
  log_tail: [],
});

test('the best value of each column is bold green on a terminal, plain otherwise', () => {
  const rows = [row('rank16', 0.41, 0.9), row('rank8', 0.52, 0.95), row('rank4', null, 0.5)];
  const tty = renderTable(rows, true);
  const lines = tty.split('\n');
  const ESC = String.fromCharCode(27);
  const bold = (l: string) =>
    l
      .split(`${ESC}[1;32m`)
      .slice(1)
      .map((part) => part.slice(0, part.indexOf(`${ESC}[0m`)).trim());
  expect(bold(lines[1]!)).toEqual(['0.41']);
  expect(bold(lines[2]!)).toEqual(['95.0%']);
  expect(bold(lines[3]!)).toEqual([]);
  const plain = renderTable(rows, false);
  expect(plain).not.toContain('\x1b');
  expect(plain.split('\n')[0]).toMatch(/^name\s+status\s+params\s+loss\s+pass_rate\s+time$/);
  expect(plain).toContain('train.lora_rank=16');
  expect(plain.split('\n')[3]).toMatch(/rank4 .* – +50\.0% +1m2s$/);
});

test('one live line per experiment: its stage and the training’s step, loss and ETA', async () => {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const names = ['rank8', 'rank16'];
  const board = makeBoard('tty', sink, names);
  const a = board.reporter('rank8');
  const b = board.reporter('rank16');
  a.begin(['train']);
  b.begin(['train']);
  a.working('train', 'run', 'never ran');
  a.progress('train', { current: 40, total: 100, message: formatProgress({ current_steps: 40, total_steps: 100, loss: 1.2345, remaining_time: '0:01:30' }) });
  b.note('train', 'waiting for 1 GPU(s)');
  board.close();
  // The last frame: a line per experiment, in order.
  const frame = out.slice(out.lastIndexOf(`\x1b[${names.length}F`) >= 0 ? out.lastIndexOf(`\x1b[${names.length}F`) + 4 : 0);
  const lines = frame
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.replace('\x1b[2K', ''));
  expect(lines).toEqual(['rank8   train: step 40/100 · loss 1.234 · eta 0:01:30', 'rank16  train: waiting for 1 GPU(s)']);
});

test('--json: every event names its experiment', () => {
  let out = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      out += chunk.toString();
      cb();
    },
  });
  const board = makeBoard('json', sink, ['rank8']);
  board.reporter('rank8').progress('train', { current: 1, total: 8, message: 'step 1/8' });
  board.done('rank8', { status: 'done', ms: 5 });
  expect(
    out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as unknown),
  ).toEqual([
    { experiment: 'rank8', event: 'progress', stage: 'train', current: 1, total: 8, message: 'step 1/8' },
    { experiment: 'rank8', event: 'experiment', status: 'done', ms: 5 },
  ]);
});
