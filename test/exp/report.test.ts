// The comparison report of four experiments, opened in headless Chromium: pass rate per experiment
// and tag, every experiment's loss curve on one chart, and the per-case grid whose rows open the
// answers side by side.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { launchBrowser, openFile } from '../helpers/browser.js';
import { makeTempDir } from '../helpers/tempDirs.js';
import { renderExperimentsReport, type ReportExperiment } from '../../stages/experiments/report.js';
import { lossCurve } from '../../stages/experiments/metrics.js';
import { summarize, type CaseResult } from '../../stages/regress/summary.js';
import { jest } from '@jest/globals';

jest.setTimeout(120_000);

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

const CASES = [
  { id: 'identity-1', tags: ['identity'] },
  { id: 'tone-1', tags: ['tone'] },
  { id: 'care-1', tags: ['care'] },
];

function experiment(name: string, passing: string[], lossScale: number, steps = 8): ReportExperiment {
  const results: CaseResult[] = CASES.map((c) => ({
    id: c.id,
    tags: c.tags,
    ok: passing.includes(c.id),
    failures: passing.includes(c.id) ? [] : ['missing_required:前辈'],
    response: `${name} 的回答：${c.id}，前辈。`,
    cached: false,
    latency_ms: 10,
    error: null,
  }));
  const log = Array.from({ length: steps }, (_, i) => JSON.stringify({ current_steps: i + 1, total_steps: steps, loss: lossScale * (2 - i / steps) })).join(
    '\n',
  );
  return {
    name,
    status: 'done',
    data: { adapter: name, loss: lossCurve(log), summary: summarize(results, { adapter: name, suiteHash: 'x', model: null, minPassRate: 0 }), results },
  };
}

test('four experiments: rates per tag, four loss curves inside the chart, answers side by side on click', async () => {
  const exps = [
    experiment('rank4', ['identity-1'], 1),
    experiment('rank8', ['identity-1', 'tone-1'], 0.9),
    experiment('rank16', ['identity-1', 'tone-1', 'care-1'], 0.8, 6),
    experiment('lr2', [], 1.1),
  ];
  const dir = await makeTempDir('pl-exp-report-');
  const file = join(dir, 'experiments.html');
  await writeFile(file, renderExperimentsReport(exps));
  browser ??= await launchBrowser();
  const { page, errors } = await openFile(browser, file);

  // One row per experiment with its overall rate; a column per tag.
  const rates = await page.$$eval('#rates tbody tr', (rows) =>
    rows.map((r) => [...(r as unknown as { querySelectorAll(s: string): Array<{ textContent: string }> }).querySelectorAll('td')].map((td) => td.textContent)),
  );
  expect(rates.map((r) => r[0])).toEqual(['rank4', 'rank8', 'rank16', 'lr2']);
  expect(rates.map((r) => r[3])).toEqual(['1/3 (33.3%)', '2/3 (66.7%)', '3/3 (100.0%)', '0/3 (0.0%)']);
  expect(await page.$$eval('#rates thead th', (ths) => ths.map((t) => t.textContent))).toEqual([
    'experiment',
    'status',
    'final loss',
    'all cases',
    'care',
    'identity',
    'tone',
  ]);

  // Four curves, each drawn inside the chart's box.
  const chart = (await (await page.$('#loss-chart'))!.boundingBox())!;
  const curves = await page.$$('#loss-chart polyline.curve');
  expect(curves).toHaveLength(4);
  for (const c of curves) {
    const b = (await c.boundingBox())!;
    expect(b.width).toBeGreaterThan(10);
    expect(b.x).toBeGreaterThanOrEqual(chart.x);
    expect(b.x + b.width).toBeLessThanOrEqual(chart.x + chart.width);
    expect(b.y + b.height).toBeLessThanOrEqual(chart.y + chart.height);
  }

  // The grid: a mark per experiment; the answers are hidden until the case is clicked, then side by side.
  expect(await page.$$eval('#cases tr.case[data-id="tone-1"] td', (tds) => tds.slice(1).map((t) => t.textContent))).toEqual(['×', '✓', '✓', '×']);
  const answersRow = (await page.$('#cases tr.answers[data-for="tone-1"]'))!;
  const visible = () => answersRow.evaluate((e) => (e as unknown as { checkVisibility(): boolean }).checkVisibility());
  expect(await visible()).toBe(false);
  await (await page.$('#cases tr.case[data-id="tone-1"]'))!.click();
  expect(await visible()).toBe(true);
  const boxes = await Promise.all((await answersRow.$$('.answer')).map(async (a) => (await a.boundingBox())!));
  expect(boxes).toHaveLength(4);
  for (let i = 1; i < boxes.length; i++) {
    expect(boxes[i]!.x).toBeGreaterThan(boxes[i - 1]!.x);
    expect(Math.abs(boxes[i]!.y - boxes[0]!.y)).toBeLessThan(2);
  }
  expect(await answersRow.evaluate((e) => (e as unknown as { innerText: string }).innerText)).toContain('rank8 的回答：tone-1，前辈。');

  const png = await page.screenshot({ fullPage: true });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  if (process.env.PIPELINE_TEST_SCREENSHOT) await writeFile(process.env.PIPELINE_TEST_SCREENSHOT, png);
  expect(errors).toEqual([]);
  await page.close();
});
