// Entry point of the experiment scheduler benchmark: node bin/pipeline.js --exec bench/exp-main.ts [flags]
import { runBenchMain } from './lib/benchError.js';
import { bench } from './exp.js';

await runBenchMain(() => bench(process.argv.slice(2)));
