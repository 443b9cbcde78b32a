// Entry point of the regression benchmark: node bin/pipeline.js --exec bench/regress-main.ts [flags]
import { runBenchMain } from './lib/benchError.js';
import { bench } from './regress.js';

await runBenchMain(() => bench(process.argv.slice(2)));
