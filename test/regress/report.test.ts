// `pipeline report` after two regression runs on two adapters, opened in headless Chromium: the
// page must render the trend, the per-tag table, the flipped cases side by side, and filter by tag.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { runCli } from '../helpers/workspace.js';
import { ADAPTER_KEY, regressWorkspace, SAMPLE_RULES, expectExit } from './fixtures.js';
import { jest } from '@jest/globals';

// Each CLI run is a few seconds on an idle machine; leave room for a busy one.
jest.setTimeout(180_000);

const cleanup: string[] = [];
afterAll(async () => {
  for (const d of cleanup) await rm(d, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
});

function findChromium(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('sh', ['-c', 'command -v chromium || command -v chromium-browser || command -v google-chrome'], (err, stdout) => {
      if (err || !stdout.trim()) reject(new Error('headless Chromium is required for this test: install the Debian package `chromium` (apt-get install -y chromium)'));
      else resolve(stdout.trim().split('\n')[0]!);
    });
  });
}

/** The DOM after the page's scripts ran, as Chromium serializes it. */
async function renderedDom(file: string, hash: string): Promise<string> {
  const chromium = await findChromium();
  const profile = await mkdtemp(join(tmpdir(), 'regress-chromium-'));
  cleanup.push(profile);
  return new Promise((resolve, reject) => {
    execFile(
      chromium,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-extensions',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        '--dump-dom', `${pathToFileURL(file).href}${hash}`,
      ],
      { timeout: 60_000, maxBuffer: 32 * 1024 * 1024 },
      (err, stdout, stderr) => (err ? reject(new Error(`chromium failed: ${err.message}\n${stderr}`)) : resolve(stdout)),
    );
  });
}

/** The opening tag of the element with data-id `id` inside the table `table`. */
function rowTag(dom: string, table: string, id: string): string {
  const section = dom.slice(dom.indexOf(`<table id="${table}"`));
  const m = new RegExp(`<tr [^>]*data-id="${id}"[^>]*>`).exec(section.slice(0, section.indexOf('</table>')));
  if (!m) throw new Error(`no row ${id} in #${table}`);
  return m[0];
}

test('report of two adapters renders trend, tags, flips side by side, and filters by tag in Chromium', async () => {
  const w = await regressWorkspace();
  cleanup.push(w.ws);
  expect((await runCli(w.ws, ['report'], { env: w.env })).stderr).toContain('no regression runs recorded yet');

  expectExit(await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env }), 0);
  // A newer adapter: care-1 now answers at length, tone-1 forgets to say 前辈.
  const newKey = 'b7c8d9e0f1a2';
  await mkdir(join(w.ws, 'artifacts/adapters', newKey), { recursive: true });
  await writeFile(join(w.ws, 'artifacts/adapters', newKey, 'adapter_config.json'), '{"r": 16}\n');
  await writeFile(join(w.ws, 'artifacts/adapters', newKey, 'adapter_model.safetensors'), 'adapter weights stand-in v2\n');
  await writeFile(join(w.ws, 'artifacts/adapters/current'), `${newKey}\n`);
  const longCare = '前辈，已经凌晨三点了呢。论文明天再改也来得及，先去喝杯热水，然后好好睡一觉吧。身体才是做研究的本钱，我会在这里等前辈的好消息。';
  const rules = [
    { contains: '实验失败', response: '没关系的，明天再试一次吧。<b>加油</b>' },
    { contains: '凌晨三点', response: longCare },
    ...SAMPLE_RULES,
  ];
  await writeFile(w.env.FAKE_API_SCRIPT!, JSON.stringify({ rules }));
  expectExit(await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env }), 0);

  const rep = await runCli(w.ws, ['report'], { env: w.env });
  expectExit(rep, 0);
  expect(rep.stdout).toContain(`wrote artifacts/reports/regression.html: 2 run(s); latest ${newKey} 3/4 passed`);
  const file = join(w.ws, 'artifacts/reports/regression.html');
  const html = await readFile(file, 'utf8');
  // Self-contained: nothing to fetch.
  expect(html).not.toMatch(/<link|<img|\ssrc=|url\(|@import/i);
  // Model output is escaped, never markup.
  expect(html).toContain('&lt;b&gt;加油&lt;/b&gt;');

  const dom = await renderedDom(file, '#tag=care');
  // Trend: one point per run, in order, joined by a line.
  const points = [...dom.matchAll(/<circle class="point" data-adapter="([^"]+)" data-pass-rate="([^"]+)"/g)].map((m) => [m[1], Number(m[2])]);
  expect(points).toEqual([
    [ADAPTER_KEY, 0.75],
    [newKey, 0.75],
  ]);
  expect(dom).toMatch(/<polyline class="trend" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
  // Per-tag table has a column per run.
  expect(dom).toMatch(/<th title="a1b2c3d4e5f6 [^"]*">a1b2c3d4<\/th><th title="b7c8d9e0f1a2 [^"]*">b7c8d9e0<\/th>/);
  // The script ran: the filter from the URL is applied.
  expect(dom).toContain('<p id="filter-status" class="note">showing 1 of 4 cases tagged care</p>');
  expect(dom).toMatch(/<button type="button" data-filter="care" class="active">care<\/button>/);
  expect(rowTag(dom, 'cases', 'care-1')).not.toContain('hidden');
  for (const id of ['identity-1', 'tone-1', 'multi-1']) expect(rowTag(dom, 'cases', id)).toContain('hidden');
  // Flips: care-1 fixed (visible under the care filter), tone-1 broke (hidden by it), both sides shown.
  expect(rowTag(dom, 'flips', 'care-1')).toMatch(/class="case flip fixed"/);
  expect(rowTag(dom, 'flips', 'tone-1')).toMatch(/class="case flip broke"[^>]*hidden/);
  const flips = dom.slice(dom.indexOf('<table id="flips"'), dom.indexOf('</table>', dom.indexOf('<table id="flips"')));
  // Before (first adapter) on the left, after (second adapter) on the right.
  expect(flips.indexOf('前辈，该休息了。')).toBeGreaterThan(-1);
  expect(flips.indexOf(longCare)).toBeGreaterThan(flips.indexOf('前辈，该休息了。'));
  expect(flips).toContain('too_short:8&lt;40');
  expect(flips).toContain('前辈已经很努力了，我们明天再一起试试吧。');
  expect(flips).toContain('missing_required:前辈');
});
