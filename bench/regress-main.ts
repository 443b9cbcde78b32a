// Entry point of the regression benchmark: node bin/pipeline.js --exec bench/regress-main.ts [flags]
import { bench } from './regress.js';

try {
  await bench(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench/regress: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = process.exitCode || 1;
}
