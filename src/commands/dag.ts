// `pipeline dag [--mermaid]`: the stages, what they read and write, and how they connect.
import { parseArgs } from '../argv.js';
import { stageCode } from '../dagLoader.js';
import { openSession } from '../session.js';

export const DAG_USAGE = `Usage: pipeline dag [--mermaid | --code] [--set key=value]…

Prints the stages in order with their deps, outs, params and GPU needs; --code also lists the
files and packages of each stage's implementation fingerprint (what makes it "code changed");
--mermaid prints a Mermaid flowchart instead (paste into a Markdown file).
`;

export async function dagCommand(workspace: string, argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(DAG_USAGE);
    return 0;
  }
  const { flags } = parseArgs(argv, { mermaid: 'bool', code: 'bool', set: 'list' }, 'dag');
  const s = await openSession(workspace, (flags.set as string[] | undefined) ?? []);
  const out: string[] = [];
  const gpuNote = (st: { gpus: number; gpusIfFree: number }) =>
    st.gpus ? ` (${st.gpus} GPU${st.gpus > 1 ? 's' : ''})` : st.gpusIfFree ? ` (${st.gpusIfFree} GPU${st.gpusIfFree > 1 ? 's' : ''} if free)` : '';
  if (flags.mermaid) {
    out.push('flowchart LR');
    for (const name of s.graph.order) {
      const st = s.graph.stages.get(name)!;
      out.push(`  ${name}["${name}${gpuNote(st)}"]`);
    }
    for (const name of s.graph.order) {
      for (const u of s.graph.stages.get(name)!.upstream) out.push(`  ${u} --> ${name}`);
    }
  } else {
    for (const name of s.graph.order) {
      const st = s.graph.stages.get(name)!;
      out.push(`${name}${gpuNote(st)}${st.upstream.length ? `  ← ${st.upstream.join(', ')}` : ''}`);
      if (st.def.description) out.push(`    ${st.def.description}`);
      out.push(`    deps:   ${st.deps.join(', ') || '—'}`);
      out.push(`    outs:   ${st.outs.join(', ') || '—'}`);
      out.push(`    params: ${st.params.join(', ') || '—'}`);
      const shared = typeof st.def.sharedFiles === 'function' ? st.def.sharedFiles(s.params) : st.def.sharedFiles;
      if (shared?.length) out.push(`    shared: ${shared.join(', ')}`);
      const code = stageCode(st.def);
      if (flags.code) {
        out.push(`    code:   ${code ? `${code.files.length} files, ${code.packages.length} packages` : "the stage's functions (not loaded from a bundle)"}`);
        for (const f of code?.files ?? []) out.push(`      ${f.id}`);
        for (const p of code?.packages ?? []) out.push(`      ${p.name}@${p.version}`);
        for (const c of st.def.code ?? []) out.push(`      ${c} (declared)`);
      }
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return 0;
}
