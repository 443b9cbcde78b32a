// The self-contained comparison report of the experiments, artifacts/reports/experiments.html
// (inline CSS, SVG and JS; nothing fetched): pass rate per experiment and tag, the training-loss
// curves of all experiments on one chart, and a per-case grid — which experiments pass each case —
// whose rows open the experiments' answers side by side.
import { join } from 'node:path';
import type { ExperimentInfo } from '../../src/api.js';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { rateColour } from '../regress/report.js';
import { pct } from '../regress/summary.js';
import { readExperimentData, type ExperimentData } from './metrics.js';

export const EXPERIMENTS_REPORT = 'artifacts/reports/experiments.html';

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22'];

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export interface ReportExperiment {
  name: string;
  status: string;
  data: ExperimentData;
}

/** All loss curves on one chart (x: step, y: loss), one colour per experiment, with a legend. */
export function lossChart(exps: readonly ReportExperiment[]): string {
  const w = 720;
  const h = 280;
  const [left, right, top, bottom] = [52, 150, 14, 36];
  const pts = exps.flatMap((e) => e.data.loss);
  if (pts.length === 0) return '<p class="note" id="loss-chart">No training-loss logs yet.</p>';
  const maxStep = Math.max(1, ...pts.map((p) => p.step));
  const lo = Math.min(...pts.map((p) => p.loss));
  const hi = Math.max(...pts.map((p) => p.loss));
  const span = hi - lo || 1;
  const x = (s: number) => left + (s / maxStep) * (w - left - right);
  const y = (l: number) => top + (1 - (l - lo) / span) * (h - top - bottom);
  const parts: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = lo + (span * i) / 4;
    parts.push(`<line x1="${left}" x2="${w - right}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(2)}</text>`);
  }
  parts.push(`<text x="${(left + w - right) / 2}" y="${h - 6}" text-anchor="middle">step (of ${maxStep})</text>`);
  exps.forEach((e, i) => {
    const c = COLOURS[i % COLOURS.length]!;
    if (e.data.loss.length > 0) {
      const d = e.data.loss.map((p) => `${x(p.step).toFixed(1)},${y(p.loss).toFixed(1)}`).join(' ');
      parts.push(`<polyline class="curve" data-experiment="${esc(e.name)}" fill="none" stroke="${c}" stroke-width="2" points="${d}"/>`);
    }
    parts.push(`<rect x="${w - right + 12}" y="${top + i * 18}" width="12" height="4" fill="${c}"/>`);
    parts.push(`<text x="${w - right + 30}" y="${top + i * 18 + 6}">${esc(e.name)}</text>`);
  });
  return `<svg id="loss-chart" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="training loss of every experiment">${parts.join('')}</svg>`;
}

export function renderExperimentsReport(exps: readonly ReportExperiment[], generatedAt = new Date()): string {
  const tags = [...new Set(exps.flatMap((e) => Object.keys(e.data.summary?.by_tag ?? {})))].sort();
  const rateCell = (v: { passed: number; total: number; pass_rate: number } | undefined) =>
    v
      ? `<td class="rate" data-pass-rate="${v.pass_rate}" style="background:${rateColour(v.pass_rate)}">${v.passed}/${v.total} (${pct(v.pass_rate)})</td>`
      : '<td class="na">–</td>';
  const rates = `<table id="rates"><thead><tr><th>experiment</th><th>status</th><th>final loss</th><th>all cases</th>${tags.map((t) => `<th>${esc(t)}</th>`).join('')}</tr></thead><tbody>${exps
    .map((e) => {
      const s = e.data.summary;
      return `<tr data-experiment="${esc(e.name)}"><td><b>${esc(e.name)}</b></td><td>${esc(e.status)}</td><td>${e.data.loss.at(-1)?.loss.toFixed(3) ?? '–'}</td>${rateCell(s)}${tags.map((t) => rateCell(s?.by_tag[t])).join('')}</tr>`;
    })
    .join('')}</tbody></table>`;

  const ids = [...new Set(exps.flatMap((e) => e.data.results.map((r) => r.id)))];
  const byExp = exps.map((e) => new Map(e.data.results.map((r) => [r.id, r])));
  const grid = ids.length
    ? `<table id="cases"><thead><tr><th>case</th>${exps.map((e) => `<th>${esc(e.name)}</th>`).join('')}</tr></thead><tbody>${ids
        .map((id) => {
          const cells = byExp.map((m) => m.get(id));
          const tagsOf = cells.find((c) => c)?.tags ?? [];
          const marks = cells.map((c) => (c ? `<td class="${c.ok ? 'pass' : 'fail'}">${c.ok ? '✓' : '×'}</td>` : '<td class="na">–</td>')).join('');
          const answers = cells
            .map(
              (c, i) =>
                `<div class="answer"><h4>${esc(exps[i]!.name)} ${c ? (c.ok ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>') : ''}</h4>${c?.failures.length ? `<ul>${c.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}<pre>${esc(c?.response ?? '(no answer)')}</pre></div>`,
            )
            .join('');
          return `<tr class="case" data-id="${esc(id)}"><td><b>${esc(id)}</b><div class="tags">${tagsOf.map(esc).join(' ')}</div></td>${marks}</tr><tr class="answers" data-for="${esc(id)}" hidden><td colspan="${exps.length + 1}"><div class="side" style="grid-template-columns:repeat(${exps.length},minmax(180px,1fr))">${answers}</div></td></tr>`;
        })
        .join('')}</tbody></table>`
    : '<p class="note">No regression results yet.</p>';

  return `<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Experiments</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:4px 8px;vertical-align:top;text-align:left}
th{background:#f5f5f5}.na{color:#aaa}.pass{color:#17803d}.fail{color:#c62828}
td.pass,td.fail{text-align:center;font-weight:bold}tr.case{cursor:pointer}tr.case:hover{background:#fafafa}
.tags{color:#777;font-size:12px}.note{color:#666}
svg text{font-size:11px;fill:#444}svg .grid{stroke:#eee}
.side{display:grid;gap:12px}.answer h4{margin:4px 0}
pre{white-space:pre-wrap;background:#f8f8f8;padding:6px;margin:0}
</style>
</head>
<body>
<h1>Experiments</h1>
<p class="note">${exps.length} experiment(s) · generated ${esc(generatedAt.toISOString())}</p>
<h2>Pass rate per experiment and tag</h2>
${rates}
<h2>Training loss</h2>
${lossChart(exps)}
<h2>Cases</h2>
<p class="note">Click a case to see the answers side by side.</p>
${grid}
<script>
for (const row of document.querySelectorAll('tr.case')) {
  row.addEventListener('click', () => {
    const detail = row.nextElementSibling;
    if (detail && detail.classList.contains('answers')) detail.hidden = !detail.hidden;
  });
}
</script>
</body>
</html>
`;
}

/** Writes the report into the user's workspace; returns its path. */
export async function writeExperimentsReport(ctx: { workspace: string; experiments: ExperimentInfo[] }): Promise<string> {
  const exps: ReportExperiment[] = [];
  for (const e of ctx.experiments) exps.push({ name: e.name, status: e.status, data: await readExperimentData(e.workspace) });
  await writeFileAtomic(join(ctx.workspace, EXPERIMENTS_REPORT), renderExperimentsReport(exps), { root: ctx.workspace });
  return EXPERIMENTS_REPORT;
}
