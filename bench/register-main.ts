// Runs the register benchmark alone: `node bin/pipeline.js --exec bench/register-main.ts [size-MB]`.
import { bench } from './register.js';

await bench(process.argv.slice(2));
