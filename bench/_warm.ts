import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configSchema, fileOptions } from '../stages/extract/config.js';
import { extractFile } from '../stages/extract/extractFile.js';
const opts = fileOptions(configSchema.parse(undefined));
const dir = process.argv[2]!;
const files = readdirSync(dir).sort().map((n) => readFileSync(join(dir, n)));
for (let pass = 0; pass < 1; pass++) {
  const c0 = process.cpuUsage(); const t0 = performance.now();
  let n = 0;
  for (const b of files) n += extractFile(b, opts).samples.length;
  const c = process.cpuUsage(c0);
  console.log(`pass ${pass}: wall ${((performance.now() - t0) / 1000).toFixed(2)} s, cpu ${((c.user + c.system) / 1e6).toFixed(2)} s, samples ${n}`);
}
