// Human-readable formatting of durations, sizes, ratios and plain-text tables.

/** `0.153 s`, `12.4 s`: three significant-ish digits, always in seconds so columns compare. */
export function formatSeconds(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '—';
  const s = ms / 1000;
  if (s < 10) return `${s.toFixed(3)} s`;
  if (s < 100) return `${s.toFixed(2)} s`;
  return `${s.toFixed(1)} s`;
}

export function formatRatio(r: number | undefined): string {
  if (r === undefined || !Number.isFinite(r)) return '—';
  return r >= 10 ? `${r.toFixed(1)}×` : `${r.toFixed(2)}×`;
}

/** Binary units: `512 B`, `3.0 KiB`, `4.00 GiB`. */
export function formatBytes(bytes: number | undefined): string {
  if (bytes === undefined || !Number.isFinite(bytes)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i += 1;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export type Align = 'left' | 'right';

/**
 * Renders rows as an aligned plain-text table (header, a rule, then the rows). Width is measured in
 * code points, so keep cells ASCII or single-width when alignment matters.
 */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], align: readonly Align[] = []): string {
  const width = (s: string): number => [...s].length;
  const widths = header.map((h, c) => Math.max(width(h), ...rows.map((r) => width(r[c] ?? ''))));
  const pad = (s: string, c: number): string => {
    const fill = ' '.repeat(Math.max(0, (widths[c] ?? 0) - width(s)));
    return (align[c] ?? (c === 0 ? 'left' : 'right')) === 'left' ? s + fill : fill + s;
  };
  const line = (cells: readonly string[]): string =>
    header
      .map((_, c) => pad(cells[c] ?? '', c))
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}
