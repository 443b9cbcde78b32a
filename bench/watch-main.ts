// Entry point of the watch benchmark: node bin/pipeline.js --exec bench/watch-main.ts [flags]
import { runBenchMain } from './lib/benchError.js';
import { bench } from './watch.js';

await runBenchMain(() => bench(process.argv.slice(2)));
