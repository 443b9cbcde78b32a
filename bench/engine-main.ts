// Entry point of the engine benchmark: node bin/pipeline.js --exec bench/engine-main.ts [flags]
import { bench } from './engine.js';
import { runBenchMain } from './lib/benchError.js';

await runBenchMain(() => bench(process.argv.slice(2)));
