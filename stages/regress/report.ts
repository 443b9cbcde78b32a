// The self-contained HTML regression report (artifacts/reports/regression.html): inline CSS, SVG
// and JS, nothing fetched. Sections: pass-rate trend across runs, per-tag table for the recent
// runs (cells coloured on a red → green scale), cases that flipped between the last two runs
// (responses side by side), every case of the latest run with the messages sent (system prompt
// folded) next to its answer; runs are named by adapter and the training params that changed; tag
// filters (also from the URL: `regression.html#tag=identity`).
import type { HistoryEntry } from './history.js';
import { paramChanges } from './runLabel.js';
import { pct } from './summary.js';

export const REPORT_FILE = 'artifacts/reports/regression.html';

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function tagsAttr(tags: readonly string[]): string {
  return esc(JSON.stringify(tags));
}

function runLabel(e: HistoryEntry): string {
  return `${e.adapter} · ${e.at.slice(0, 16).replace('T', ' ')}`;
}

/**
 * A readable name per run: the adapter's short key, then the training params that changed since
 * the previous run (`lora_rank 8→16`), or what else changed (the answerer, the suite).
 */
export function runNames(entries: readonly HistoryEntry[]): Array<{ key: string; change: string }> {
  return entries.map((e, i) => {
    const prev = entries[i - 1];
    const key = e.adapter.slice(0, 8);
    if (!prev) return { key, change: '' };
    const changes = paramChanges(prev.train_params, e.train_params);
    if (changes.length > 0) return { key, change: changes.length > 2 ? `${changes.slice(0, 2).join(', ')} +${changes.length - 2}` : changes.join(', ') };
    if (prev.adapter === e.adapter) return { key, change: prev.suite_hash === e.suite_hash ? 'rerun' : 'cases edited' };
    return { key, change: 'other adapter' };
  });
}

/** Background of a pass-rate cell on a red (0 %) → amber → green (100 %) scale. */
export function rateColour(rate: number): string {
  const r = Math.max(0, Math.min(1, rate));
  return `hsl(${Math.round(r * 120)}, 70%, ${Math.round(88 - 6 * Math.sin(r * Math.PI))}%)`;
}

export function trendSvg(entries: readonly HistoryEntry[], minPassRate = 0): string {
  const w = 720;
  const h = 250;
  const left = 44;
  const right = 16;
  const top = 16;
  const bottom = 66;
  const pw = w - left - right;
  const ph = h - top - bottom;
  const x = (i: number): number => left + (entries.length <= 1 ? pw / 2 : (i * pw) / (entries.length - 1));
  const y = (r: number): number => top + (1 - r) * ph;
  const names = runNames(entries);
  const parts: string[] = [];
  for (const r of [0, 0.25, 0.5, 0.75, 1]) {
    parts.push(`<line class="grid" x1="${left}" x2="${w - right}" y1="${y(r)}" y2="${y(r)}"/>`);
    parts.push(`<text class="axis" x="${left - 6}" y="${y(r) + 4}" text-anchor="end">${r * 100}%</text>`);
  }
  if (minPassRate > 0) {
    parts.push(
      `<line class="gate" x1="${left}" x2="${w - right}" y1="${y(minPassRate)}" y2="${y(minPassRate)}"><title>regress.min_pass_rate ${pct(minPassRate)}</title></line>`,
    );
  }
  if (entries.length > 1) {
    const pts = entries.map((e, i) => `${x(i).toFixed(1)},${y(e.pass_rate).toFixed(1)}`).join(' ');
    parts.push(`<polyline class="trend" points="${pts}"/>`);
  }
  entries.forEach((e, i) => {
    parts.push(
      `<circle class="point" data-adapter="${esc(e.adapter)}" data-pass-rate="${e.pass_rate}" cx="${x(i).toFixed(1)}" cy="${y(e.pass_rate).toFixed(1)}" r="4">` +
        `<title>${esc(runLabel(e))}: ${e.passed}/${e.total} (${pct(e.pass_rate)}) · suite ${esc(e.suite_hash.slice(0, 8))}</title></circle>`,
    );
    // The first and last labels grow inwards, so neither is clipped at the chart's edges.
    const anchor = entries.length <= 1 ? 'middle' : i === 0 ? 'start' : i === entries.length - 1 ? 'end' : 'middle';
    const n = names[i]!;
    const change = n.change.length > 30 ? `${n.change.slice(0, 29)}…` : n.change;
    parts.push(
      `<text class="xlabel" x="${x(i).toFixed(1)}" y="${h - bottom + 18}" text-anchor="${anchor}"><title>${esc(runLabel(e))}${n.change ? ` · ${esc(n.change)}` : ''}</title>` +
        `<tspan class="key" x="${x(i).toFixed(1)}">${esc(n.key)}</tspan>${change ? `<tspan class="change" x="${x(i).toFixed(1)}" dy="15">${esc(change)}</tspan>` : ''}</text>`,
    );
  });
  return `<svg id="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="pass rate per run">${parts.join('')}</svg>`;
}

export interface Flip {
  id: string;
  tags: string[];
  before: HistoryEntry['cases'][number];
  after: HistoryEntry['cases'][number];
}

/** Cases present in both runs whose outcome changed. */
export function flippedCases(prev: HistoryEntry, last: HistoryEntry): Flip[] {
  const before = new Map(prev.cases.map((c) => [c.id, c]));
  const out: Flip[] = [];
  for (const c of last.cases) {
    const b = before.get(c.id);
    if (b && b.ok !== c.ok) out.push({ id: c.id, tags: c.tags, before: b, after: c });
  }
  return out;
}

function responseBlock(c: HistoryEntry['cases'][number]): string {
  const status = c.ok ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>';
  const failures = c.failures.length ? `<ul class="failures">${c.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : '';
  return `${status}${failures}<pre class="response">${esc(c.response ?? '(no response)')}</pre>`;
}

type Sent = NonNullable<HistoryEntry['cases'][number]['messages']>;

/** The messages sent for a case: the system prompt folded (it is long and the same for most cases), then the turns. */
function promptBlock(messages: Sent | undefined): string {
  if (!messages) return '<span class="na">(not recorded)</span>';
  return messages
    .map((m) =>
      m.role === 'system'
        ? `<details class="system"><summary>system prompt</summary><pre class="msg">${esc(m.content)}</pre></details>`
        : `<div class="turn ${esc(m.role)}"><span class="role">${esc(m.role)}</span><pre class="msg">${esc(m.content)}</pre></div>`,
    )
    .join('');
}

export interface ReportOptions {
  /** A line shown above everything, e.g. that the run was a simulation. */
  banner?: string;
  /** How many recent runs the per-tag table shows. */
  tagColumns?: number;
  minPassRate?: number;
  generatedAt?: Date;
}

export function renderReport(entries: readonly HistoryEntry[], opts: ReportOptions = {}): string {
  const last = entries.at(-1);
  const prev = entries.at(-2);
  const recent = entries.slice(-(opts.tagColumns ?? 5));
  const allTags = [...new Set(recent.flatMap((e) => Object.keys(e.by_tag)))].sort();
  const caseTags = [...new Set((last?.cases ?? []).flatMap((c) => c.tags))].sort();
  const flips = last && prev ? flippedCases(prev, last) : [];

  const names = runNames(entries).slice(-recent.length);
  const tagTable = `<table id="tags"><thead><tr><th>tag</th>${recent
    .map((e, i) => `<th title="${esc(runLabel(e))}">${esc(names[i]!.key)}${names[i]!.change ? `<div class="change">${esc(names[i]!.change)}</div>` : ''}</th>`)
    .join('')}</tr></thead><tbody>${allTags
    .map(
      (t) =>
        `<tr data-tags="${tagsAttr([t])}"><td>${esc(t)}</td>${recent
          .map((e) => {
            const v = e.by_tag[t];
            return v
              ? `<td class="rate ${v.passed === v.total ? 'pass' : 'fail'}" data-pass-rate="${v.pass_rate}" style="background:${rateColour(v.pass_rate)}">${v.passed}/${v.total} (${pct(v.pass_rate)})</td>`
              : '<td class="na">–</td>';
          })
          .join('')}</tr>`,
    )
    .join('')}</tbody></table>`;

  const flipSection = !prev
    ? '<p class="note">Only one run so far: flips appear after the next run.</p>'
    : flips.length === 0
      ? `<p class="note">No case changed outcome between ${esc(runLabel(prev))} and ${esc(runLabel(last!))}.</p>`
      : `<table id="flips"><thead><tr><th>case</th><th>before: ${esc(runLabel(prev))}</th><th>after: ${esc(runLabel(last!))}</th></tr></thead><tbody>${flips
          .map(
            (f) =>
              `<tr class="case flip ${f.after.ok ? 'fixed' : 'broke'}" data-id="${esc(f.id)}" data-tags="${tagsAttr(f.tags)}"><td><b>${esc(f.id)}</b><div class="tags">${f.tags.map(esc).join(' ')}</div></td><td>${responseBlock(f.before)}</td><td>${responseBlock(f.after)}</td></tr>`,
          )
          .join('')}</tbody></table>`;

  const caseRows = (last?.cases ?? [])
    .map(
      (c) =>
        `<tr class="case ${c.ok ? 'ok' : 'notok'}" data-id="${esc(c.id)}" data-tags="${tagsAttr(c.tags)}"><td>${esc(c.id)}<div class="tags">${c.tags.map(esc).join(' ')}</div></td><td>${
          c.ok ? '<span class="pass">pass</span>' : '<span class="fail">fail</span>'
        }${c.failures.length ? `<ul class="failures">${c.failures.map((f) => `<li>${esc(f)}</li>`).join('')}</ul>` : ''}</td><td class="prompt">${promptBlock(c.messages)}</td><td class="answer"><pre class="response">${esc(
          c.response ?? '(no response)',
        )}</pre></td></tr>`,
    )
    .join('');

  const headline = last
    ? `<p id="headline">Latest: <b>${last.passed}/${last.total}</b> passed (<b>${pct(last.pass_rate)}</b>) · adapter <code>${esc(last.adapter)}</code> · suite <code>${esc(
        last.suite_hash.slice(0, 8),
      )}</code> · ${esc(last.at)} · ${entries.length} run(s) in history</p>`
    : '<p id="headline">No regression runs yet: run <code>npx pipeline run regress</code>.</p>';

  const filterButtons = [
    '<button type="button" data-filter="" class="active">all</button>',
    ...caseTags.map((t) => `<button type="button" data-filter="${esc(t)}">${esc(t)}</button>`),
  ].join('');

  return `<!doctype html>
<html lang="zh">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Eyjafjalla persona regression</title>
<style>
body{font-family:system-ui,"Noto Sans CJK SC",sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em}th,td{border:1px solid #ddd;padding:4px 6px;vertical-align:top;text-align:left}
th{background:#f4f4f4}.pass{color:#18794e;font-weight:600}.fail{color:#c62828;font-weight:600}.na{color:#999}
pre.response,pre.msg{white-space:pre-wrap;margin:4px 0;font-family:inherit;max-width:520px}
td.prompt{max-width:420px}.turn .role{color:#666;font-size:.8em;text-transform:uppercase}.turn.user pre{color:#333}
details.system summary{color:#666;font-size:.85em;cursor:pointer}th .change{font-weight:normal;color:#666;font-size:.85em}
#banner{background:#fff4d6;border:1px solid #e0b400;padding:8px 12px;font-weight:600}
ul.failures{margin:2px 0;padding-left:18px;color:#c62828}
.tags{color:#666;font-size:.85em}.note{color:#666}
#filters button{margin:0 4px 4px 0;padding:2px 10px;border:1px solid #bbb;border-radius:12px;background:#fff;cursor:pointer}
#filters button.active{background:#333;color:#fff}
svg .grid{stroke:#eee}svg .axis,svg .xlabel{font-size:11px;fill:#666}svg .xlabel .key{fill:#333}svg .trend{fill:none;stroke:#3b6fd8;stroke-width:2}
svg .point{fill:#3b6fd8}svg .gate{stroke:#c62828;stroke-dasharray:4 3}
[hidden]{display:none!important}
</style>
</head>
<body>
${opts.banner ? `<p id="banner">${esc(opts.banner)}</p>\n` : ''}<h1>艾雅法拉 persona regression</h1>
${headline}
<p class="note">Generated ${esc((opts.generatedAt ?? new Date()).toISOString())}.</p>
<h2>Pass rate across runs</h2>
${trendSvg(entries, opts.minPassRate ?? 0)}
<h2>Filter by tag</h2>
<div id="filters">${filterButtons}</div>
<p id="filter-status" class="note"></p>
<h2>Per tag (last ${recent.length} run(s))</h2>
${tagTable}
<h2>Flipped between the last two runs (${flips.length})</h2>
${flipSection}
<h2>Cases of the latest run</h2>
<table id="cases"><thead><tr><th>case</th><th>result</th><th>prompt (messages sent)</th><th>answer</th></tr></thead><tbody>${caseRows}</tbody></table>
<script>
(function () {
  var buttons = Array.prototype.slice.call(document.querySelectorAll('#filters button'));
  var rows = Array.prototype.slice.call(document.querySelectorAll('[data-tags]'));
  var status = document.getElementById('filter-status');
  function apply(tag) {
    var shown = 0, total = 0;
    rows.forEach(function (r) {
      var tags = JSON.parse(r.getAttribute('data-tags') || '[]');
      var visible = !tag || tags.indexOf(tag) >= 0;
      r.hidden = !visible;
      if (r.closest('#cases')) { total++; if (visible) shown++; }
    });
    buttons.forEach(function (b) { b.classList.toggle('active', b.getAttribute('data-filter') === tag); });
    status.textContent = 'showing ' + shown + ' of ' + total + ' cases' + (tag ? ' tagged ' + tag : '');
  }
  function fromHash() {
    var m = /^#tag=(.*)$/.exec(location.hash);
    return m ? decodeURIComponent(m[1]) : '';
  }
  buttons.forEach(function (b) {
    b.addEventListener('click', function () {
      var tag = b.getAttribute('data-filter') || '';
      history.replaceState(null, '', tag ? '#tag=' + encodeURIComponent(tag) : '#');
      apply(tag);
    });
  });
  window.addEventListener('hashchange', function () { apply(fromHash()); });
  apply(fromHash());
})();
</script>
</body>
</html>
`;
}
