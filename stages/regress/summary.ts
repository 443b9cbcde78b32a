// Results of one regression run and their summary: pass rate overall and per tag, failures by
// check kind, latency percentiles, and a short text for the terminal.
import { z } from 'zod';
import { failureKind } from './checks.js';

export const caseResultSchema = z
  .object({
    id: z.string(),
    ok: z.boolean(),
    failures: z.array(z.string()),
    response: z.string().nullable(),
    tags: z.array(z.string()).default([]),
    cached: z.boolean().default(false),
    latency_ms: z.number().nullable().default(null),
    error: z.string().nullable().default(null),
  })
  .loose();

export type CaseResult = z.infer<typeof caseResultSchema>;

export const summarySchema = z.object({
  adapter: z.string(),
  suite_hash: z.string(),
  model: z.string().nullable(),
  created_at: z.string(),
  total: z.number(),
  passed: z.number(),
  failed: z.number(),
  errors: z.number(),
  pass_rate: z.number(),
  by_tag: z.record(z.string(), z.object({ total: z.number(), passed: z.number(), pass_rate: z.number() })),
  failures_by_kind: z.record(z.string(), z.number()),
  latency_ms: z.object({ count: z.number(), p50: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable(), max: z.number().nullable() }),
  generated: z.number(),
  cached: z.number(),
  min_pass_rate: z.number(),
  gate_passed: z.boolean(),
});

export type Summary = z.infer<typeof summarySchema>;

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1]!;
}

export const UNTAGGED = '(untagged)';

export function summarize(
  results: readonly CaseResult[],
  meta: { adapter: string; suiteHash: string; model: string | null; minPassRate: number; failOnCaseFailure?: boolean; now?: Date },
): Summary {
  const total = results.length;
  const passed = results.filter((r) => r.ok).length;
  const errors = results.filter((r) => r.error !== null).length;
  const byTag: Summary['by_tag'] = {};
  for (const r of results) {
    for (const tag of r.tags.length > 0 ? r.tags : [UNTAGGED]) {
      const t = (byTag[tag] ??= { total: 0, passed: 0, pass_rate: 0 });
      t.total++;
      if (r.ok) t.passed++;
    }
  }
  for (const t of Object.values(byTag)) t.pass_rate = t.total ? t.passed / t.total : 0;
  const failuresByKind: Record<string, number> = {};
  for (const r of results) for (const f of r.failures) failuresByKind[failureKind(f)] = (failuresByKind[failureKind(f)] ?? 0) + 1;
  const lat = results.flatMap((r) => (r.latency_ms === null ? [] : [r.latency_ms])).sort((a, b) => a - b);
  const passRate = total ? passed / total : 0;
  return {
    adapter: meta.adapter,
    suite_hash: meta.suiteHash,
    model: meta.model,
    created_at: (meta.now ?? new Date()).toISOString(),
    total,
    passed,
    failed: total - passed,
    errors,
    pass_rate: passRate,
    by_tag: Object.fromEntries(Object.entries(byTag).sort(([a], [b]) => a.localeCompare(b))),
    failures_by_kind: Object.fromEntries(Object.entries(failuresByKind).sort(([, a], [, b]) => b - a)),
    latency_ms: { count: lat.length, p50: percentile(lat, 50), p90: percentile(lat, 90), p99: percentile(lat, 99), max: lat.at(-1) ?? null },
    generated: results.filter((r) => !r.cached && r.error === null).length,
    cached: results.filter((r) => r.cached).length,
    min_pass_rate: meta.minPassRate,
    gate_passed: passRate >= meta.minPassRate && !(meta.failOnCaseFailure && passed < total),
  };
}

export function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

/** The lines printed at the end of a run that included `regress`. */
export function terminalSummary(s: Summary, failedCases: readonly CaseResult[], reportPath: string): string[] {
  const lines = [
    `${s.passed}/${s.total} passed (${pct(s.pass_rate)}) · adapter ${s.adapter} · ${s.generated} generated, ${s.cached} cached` +
      (s.errors ? ` · ${s.errors} errors` : ''),
  ];
  const tags = Object.entries(s.by_tag).map(([t, v]) => `${t} ${v.passed}/${v.total}`);
  if (tags.length) lines.push(`by tag: ${tags.join(' · ')}`);
  if (s.latency_ms.p50 !== null) lines.push(`latency p50 ${s.latency_ms.p50} ms · p90 ${s.latency_ms.p90} ms · max ${s.latency_ms.max} ms`);
  for (const r of failedCases.slice(0, 10)) lines.push(`✗ ${r.id}: ${r.failures.join(', ')}`);
  if (failedCases.length > 10) lines.push(`… and ${failedCases.length - 10} more failed cases`);
  if (s.min_pass_rate > 0) {
    const ok = s.pass_rate >= s.min_pass_rate;
    lines.push(`gate: pass rate ${pct(s.pass_rate)} ${ok ? '≥' : '<'} regress.min_pass_rate ${pct(s.min_pass_rate)}`);
  }
  lines.push(`report: ${reportPath}`);
  return lines;
}
