// `node bin/pipeline.js --exec bench/extract-main.ts [--files=N]`: the extract bench on its own.
import { bench } from './extract.js';

await bench(process.argv.slice(2));
