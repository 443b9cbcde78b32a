// `pipeline report` after two regression runs on two adapters, opened in headless Chromium: the
// page must render the trend, the per-tag table, the flipped cases side by side, and filter by tag.
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { CJK_FONT_FAMILY, launchBrowser, openFile } from '../helpers/browser.js';
import { runCli } from '../helpers/workspace.js';
import { rateColour } from '../../stages/regress/report.js';
import { ADAPTER_KEY, expectExit, removeWorkspaces, SAMPLE_RULES, setup } from './fixtures.js';
import { jest } from '@jest/globals';

// Each CLI run is a few seconds on an idle machine; leave room for a busy one.
jest.setTimeout(180_000);

let browser: Browser | undefined;
/** The report the first test wrote (the layout test looks at the same page). */
let reportFile: string | undefined;
afterAll(async () => {
  await browser?.close();
  await removeWorkspaces();
});

/** The DOM after the page's scripts ran, and what the browser saw while rendering it. */
async function renderedDom(file: string, hash: string): Promise<{ dom: string; errors: string[] }> {
  browser ??= await launchBrowser();
  const { page, errors } = await openFile(browser, file, hash);
  const dom = await page.content();
  await page.close();
  return { dom, errors };
}

/** The opening tag of the element with data-id `id` inside the table `table`. */
function rowTag(dom: string, table: string, id: string): string {
  const section = dom.slice(dom.indexOf(`<table id="${table}"`));
  const m = new RegExp(`<tr [^>]*data-id="${id}"[^>]*>`).exec(section.slice(0, section.indexOf('</table>')));
  if (!m) throw new Error(`no row ${id} in #${table}`);
  return m[0];
}

test('report of two adapters renders trend, tags, flips side by side, and filters by tag in Chromium', async () => {
  const w = await setup({ yaml: ['  system_prompt: 你是艾雅法拉，罗德岛的火山学家。'] });
  await writeFile(join(w.ws, 'artifacts/adapters', ADAPTER_KEY, 'train_config.yaml'), 'lora_rank: 8\nlearning_rate: 0.0001\n');
  expect((await runCli(w.ws, ['report'], { env: w.env })).stderr).toContain('no regression runs recorded yet');

  expectExit(await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env }), 0);
  // A newer adapter: care-1 now answers at length, tone-1 forgets to say 前辈.
  const newKey = 'b7c8d9e0f1a2';
  await mkdir(join(w.ws, 'artifacts/adapters', newKey), { recursive: true });
  await writeFile(join(w.ws, 'artifacts/adapters', newKey, 'adapter_config.json'), '{"r": 16}\n');
  await writeFile(join(w.ws, 'artifacts/adapters', newKey, 'adapter_model.safetensors'), 'adapter weights stand-in v2\n');
  await writeFile(join(w.ws, 'artifacts/adapters', newKey, 'train_config.yaml'), 'lora_rank: 16\nlearning_rate: 0.0001\n');
  // The fixture's pointer is the old text form; the newer adapter is named by a link, as train publishes it.
  await rm(join(w.ws, 'artifacts/adapters/current'));
  await symlink(newKey, join(w.ws, 'artifacts/adapters/current'));
  const longCare = '前辈，已经凌晨三点了呢。论文明天再改也来得及，先去喝杯热水，然后好好睡一觉吧。身体才是做研究的本钱，我会在这里等前辈的好消息。';
  const rules = [{ contains: '实验失败', response: '没关系的，明天再试一次吧。<b>加油</b>' }, { contains: '凌晨三点', response: longCare }, ...SAMPLE_RULES];
  await writeFile(w.env.FAKE_API_SCRIPT!, JSON.stringify({ rules }));
  expectExit(await runCli(w.ws, ['run', 'regress', '--json'], { env: w.env }), 0);

  const rep = await runCli(w.ws, ['report'], { env: w.env });
  expectExit(rep, 0);
  expect(rep.stdout).toContain(`wrote artifacts/reports/regression.html: 2 run(s); latest ${newKey} 3/4 passed`);
  const file = join(w.ws, 'artifacts/reports/regression.html');
  reportFile = file;
  const html = await readFile(file, 'utf8');
  // Self-contained: nothing to fetch.
  expect(html).not.toMatch(/<link|<img|\ssrc=|url\(|@import/i);
  // Model output is escaped, never markup.
  expect(html).toContain('&lt;b&gt;加油&lt;/b&gt;');

  const { dom, errors } = await renderedDom(file, '#tag=care');
  expect(errors).toEqual([]);
  // Trend: one point per run, in order, joined by a line.
  const points = [...dom.matchAll(/<circle class="point" data-adapter="([^"]+)" data-pass-rate="([^"]+)"/g)].map((m) => [m[1], Number(m[2])]);
  expect(points).toEqual([
    [ADAPTER_KEY, 0.75],
    [newKey, 0.75],
  ]);
  expect(dom).toMatch(/<polyline class="trend" points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
  // Per-tag table has a column per run.
  // Per-tag table has a column per run, named by the adapter and what changed in its training.
  expect(dom).toMatch(/<th title="a1b2c3d4e5f6 [^"]*">a1b2c3d4<\/th><th title="b7c8d9e0f1a2 [^"]*">b7c8d9e0<div class="change">lora_rank 8→16<\/div><\/th>/);
  // Cells are coloured by pass rate on a scale: 0/1 and 1/1 differ, and neither is the colour of the other.
  const cells = [...dom.matchAll(/<td class="rate [^"]*" data-pass-rate="([^"]+)" style="background:([^"]+)"/g)].map((m) => [Number(m[1]), m[2]]);
  const colourOf = (r: number) => new Set(cells.filter(([v]) => v === r).map(([, c]) => c));
  expect(colourOf(0).size).toBe(1);
  expect(colourOf(1).size).toBe(1);
  expect([...colourOf(0)][0]).not.toBe([...colourOf(1)][0]);
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

test('the report renders in the browser: CJK glyphs, prompts with the system prompt folded, chart labels inside the view, no errors', async () => {
  if (!reportFile) throw new Error('the report test above did not write a report');
  browser ??= await launchBrowser();
  const { page, errors } = await openFile(browser, reportFile, '', { width: 1280, height: 900 });
  // The Chinese text is drawn with a loaded CJK font, not as boxes.
  expect(await page.evaluate(`document.fonts.check('16px "${CJK_FONT_FAMILY}"', '艾雅法拉')`)).toBe(true);
  expect(await page.evaluate('[...document.fonts].some((f) => f.status === "loaded")')).toBe(true);

  // Each case shows the messages sent next to the answer; the system prompt is folded until opened.
  const multi = await page.$('#cases tr[data-id="multi-1"]');
  expect(await multi!.$eval('td.prompt', (td) => (td as unknown as { innerText: string }).innerText)).toMatch(
    /我叫林远。[\s\S]*林远前辈，你好呀。[\s\S]*我叫什么来着？/,
  );
  expect(await multi!.$eval('td.answer', (td) => (td as unknown as { innerText: string }).innerText)).toContain('前辈是林远呀');
  // care-1 asked for length: the request as sent carries the appended "answer in detail" line.
  expect(await page.$eval('#cases tr[data-id="care-1"] td.prompt', (td) => (td as unknown as { innerText: string }).innerText)).toContain('不少于40字');
  const system = await multi!.$('details.system');
  const systemPre = await system!.$('pre');
  const visible = () => systemPre!.evaluate((e) => (e as unknown as { checkVisibility(): boolean }).checkVisibility());
  expect(await visible()).toBe(false);
  await (await system!.$('summary'))!.click();
  expect(await visible()).toBe(true);
  expect((await systemPre!.boundingBox())!.height).toBeGreaterThan(0);
  expect(await systemPre!.evaluate((e) => (e as unknown as { innerText: string }).innerText)).toBe('你是艾雅法拉，罗德岛的火山学家。');
  // Prompt and answer side by side: the answer column starts right of the prompt column, same row.
  const promptBox = (await (await multi!.$('td.prompt'))!.boundingBox())!;
  const answerBox = (await (await multi!.$('td.answer'))!.boundingBox())!;
  expect(answerBox.x).toBeGreaterThanOrEqual(promptBox.x + promptBox.width - 1);
  expect(Math.abs(answerBox.y - promptBox.y)).toBeLessThan(2);

  // The chart's labels (the last one included) lie inside the chart and inside the window.
  const view = { width: 1280, height: 900 };
  const chart = (await (await page.$('#trend'))!.boundingBox())!;
  const labels = await page.$$eval('#trend text.xlabel', (ts) =>
    ts.map((t) => {
      const r = (t as unknown as { getBoundingClientRect(): { left: number; right: number; top: number; bottom: number } }).getBoundingClientRect();
      const spans = (t as unknown as { querySelectorAll(s: string): Array<{ textContent: string }> }).querySelectorAll('tspan');
      return { text: [...spans].map((x) => x.textContent).join(' '), left: r.left, right: r.right, top: r.top, bottom: r.bottom };
    }),
  );
  expect(labels.map((l) => l.text)).toEqual(['a1b2c3d4', 'b7c8d9e0 lora_rank 8→16']);
  for (const l of labels) {
    expect(l.left).toBeGreaterThanOrEqual(chart.x);
    expect(l.right).toBeLessThanOrEqual(chart.x + chart.width);
    expect(l.bottom).toBeLessThanOrEqual(chart.y + chart.height);
    expect(l.right).toBeLessThanOrEqual(view.width);
  }
  const png = await page.screenshot({ fullPage: true });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  if (process.env.PIPELINE_TEST_SCREENSHOT) await writeFile(process.env.PIPELINE_TEST_SCREENSHOT, png);
  expect(errors).toEqual([]);
  await page.close();
});

test('per-tag colours follow the pass rate: 87.5 % is neither the red of 0 % nor the green of 100 %', () => {
  const hue = (r: number) => Number(/^hsl\((\d+),/.exec(rateColour(r))![1]);
  expect([0, 0.5, 0.875, 1].map(hue)).toEqual([0, 60, 105, 120]);
  expect(new Set([0, 0.875, 1].map(rateColour)).size).toBe(3);
});
