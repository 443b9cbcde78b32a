// SIGINT during train and regress (the llamafactory-cli doubles): exit 130 within 5 s of the
// signal, the child's whole process tree gone; train's next run resumes from the last checkpoint,
// regress's is stale, not fresh.
import { rm } from 'node:fs/promises';
import { chatRequests, readRequests, serverStarts } from '../test/regress/fakeApi.js';
import { alive, regressWorkspace } from '../test/regress/fixtures.js';
import { makeTrainWorkspace, processAlive, readRecords } from '../test/train/fixtures.js';
import { cli, result, type Rng, sleep, start, type PartResult } from './harness.js';

export async function interruptTrials(r: Rng, trials: number): Promise<PartResult[]> {
  const res = result('SIGINT during train');
  for (let t = 0; t < trials; t++) {
    const { ws, record, env } = await makeTrainWorkspace('  gpus: 1');
    const slow = { ...env, FAKE_TRAIN_STEP_MS: '150' };
    const run = start(ws, ['run', 'train', '--json', '--gpus', '0'], slow);
    let problem = '';
    // Wait until the trainer started, then past its first checkpoint (step 3 at 150 ms a step).
    const deadline = Date.now() + 60_000;
    while (!(await readRecords(record)).some((e) => e.event === 'start') && Date.now() < deadline) await sleep(50);
    await sleep(r.int(700, 1000));
    const t0 = Date.now();
    run.kill('SIGINT');
    const done = await run.done;
    const ms = Date.now() - t0;
    if (done.code !== 130) problem = `exit ${done.code} (signal ${done.signal}) after SIGINT`;
    else if (ms > 5000) problem = `took ${ms} ms to exit`;
    if (!problem) {
      await sleep(100);
      for (const e of await readRecords(record)) if (e.event === 'process' && (await processAlive(e.pid))) problem = `trainer process ${e.pid} survived`;
    }
    if (!problem) {
      const again = await cli(ws, ['run', 'train', '--json', '--gpus', '0'], env);
      const starts = (await readRecords(record)).filter((e) => e.event === 'start');
      if (again.code !== 0) problem = `rerun exited ${again.code}: ${again.stderr.slice(0, 200)}`;
      else if (!starts.at(-1)?.resumed_from) problem = `rerun did not resume (${JSON.stringify(starts.map((s) => s.resumed_from))})`;
    }
    if (problem) res.fail(`trial ${t}: ${problem}`);
    else res.pass();
    await rm(ws, { recursive: true, force: true });
  }
  return [res, await regressInterrupts(r, trials)];
}

async function regressInterrupts(r: Rng, trials: number): Promise<PartResult> {
  const res = result('SIGINT during regress');
  for (let t = 0; t < trials; t++) {
    const w = await regressWorkspace({ env: { FAKE_API_LATENCY_MS: '20000' } });
    const run = start(w.ws, ['run', 'regress', '--json'], w.env);
    const deadline = Date.now() + 60_000;
    while (chatRequests(await readRequests(w.log)).length === 0 && Date.now() < deadline) await sleep(50);
    await sleep(r.int(0, 300));
    const t0 = Date.now();
    run.kill('SIGINT');
    const done = await run.done;
    const ms = Date.now() - t0;
    let problem = done.code !== 130 ? `exit ${done.code} (signal ${done.signal}) after SIGINT` : ms > 5000 ? `took ${ms} ms to exit` : '';
    if (!problem) {
      await sleep(200);
      for (const s of serverStarts(await readRequests(w.log))) {
        for (const pid of [s.pid, s.ppid]) if (pid && (await alive(pid))) problem = `server process ${pid} survived`;
      }
    }
    if (!problem) {
      const st = await cli(w.ws, ['status', 'regress', '--json'], w.env);
      const state = (JSON.parse(st.stdout || '{"stages":[{}]}') as { stages: Array<{ state?: string }> }).stages[0]?.state;
      if (state !== 'stale') problem = `after the interrupt regress is ${state}, not stale`;
    }
    if (problem) res.fail(`trial ${t}: ${problem}`);
    else res.pass();
    await rm(w.ws, { recursive: true, force: true });
  }
  return res;
}
