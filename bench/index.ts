// `npm run bench [-- name [flags…]]`: runs the benchmarks in turn (all by default), or one with its flags.
// Each one prints its own table and a one-line JSON of its figures. Never part of `npm test`.
import { runBenchMain } from './lib/benchError.js';

const ALL = {
  engine: () => import('./engine.js'),
  extract: () => import('./extract.js'),
  register: () => import('./register.js'),
  regress: () => import('./regress.js'),
  watch: () => import('./watch.js'),
  exp: () => import('./exp.js'),
} as const;

type Name = keyof typeof ALL;

const args = process.argv.slice(2);
const names = args.filter((a): a is Name => a in ALL);
const flags = args.filter((a) => !(a in ALL));
const selected: Name[] = names.length ? names : (Object.keys(ALL) as Name[]);
if (flags.length && selected.length !== 1) {
  process.stderr.write(`bench: flags go to one benchmark at a time: name it first, e.g. \`npm run bench -- engine --big-gib 1\`\n`);
  process.exit(2);
}

await runBenchMain(async () => {
  for (const name of selected) {
    process.stdout.write(`\n=== bench: ${name} ===\n`);
    const mod = await ALL[name]();
    await mod.bench(flags);
  }
});
