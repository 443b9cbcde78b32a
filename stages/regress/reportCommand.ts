// `pipeline report`: renders artifacts/reports/regression.html from the regression history.
import { isAbsolute, join, relative } from 'node:path';
import { UsageError, UserError, type CommandDef } from '../../src/api.js';
import { writeFileAtomic } from '../../src/atomicWrite.js';
import { HISTORY_FILE, readHistory } from './history.js';
import { renderReport, REPORT_FILE } from './report.js';

const USAGE = `Usage: pipeline report [--out FILE]

Writes a self-contained HTML report of the regression history (${HISTORY_FILE}):
pass-rate trend across adapter versions, per-tag table, the cases that flipped between the last
two runs (responses side by side) and every case of the latest run, with filters by tag
(open FILE#tag=TAG to start filtered). Needs no network to view.

Options:
  --out FILE   where to write it (default ${REPORT_FILE})`;

function parseArgs(argv: readonly string[]): { out: string } {
  let out = REPORT_FILE;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--out') {
      const v = argv[++i];
      if (!v) throw new UsageError('report: --out needs a file path');
      out = v;
    } else if (a.startsWith('--out=')) out = a.slice('--out='.length);
    else throw new UsageError(`report: unknown argument ${JSON.stringify(a)}\n${USAGE}`);
  }
  return { out };
}

export const reportCommand: CommandDef = {
  summary: 'write the regression HTML report (artifacts/reports/regression.html)',
  usage: USAGE,
  async run(ctx) {
    const { out } = parseArgs(ctx.argv);
    const { entries, warnings } = await readHistory(join(ctx.workspace, HISTORY_FILE), HISTORY_FILE);
    for (const w of warnings) ctx.stderr.write(`warning: ${w}\n`);
    if (entries.length === 0) {
      throw new UserError(`no regression runs recorded yet (${HISTORY_FILE} is missing or empty): run \`npx pipeline run regress\` first`);
    }
    let minPassRate = 0;
    try {
      const v = (await ctx.params()).get('regress.min_pass_rate');
      if (typeof v === 'number') minPassRate = v;
    } catch {
      // The report does not need a valid config; the gate line is just left out.
    }
    const abs = isAbsolute(out) ? out : join(ctx.workspace, out);
    await writeFileAtomic(abs, renderReport(entries, { minPassRate }));
    const last = entries.at(-1)!;
    ctx.stdout.write(`wrote ${relative(ctx.workspace, abs) || abs}: ${entries.length} run(s); latest ${last.adapter} ${last.passed}/${last.total} passed\n`);
    return 0;
  },
};
