#!/usr/bin/env node
// Test double for `llamafactory-cli chat|webchat CONFIG.yaml`: checks the inference YAML keys,
// the base model and adapter directories, records what it saw (FAKE_TRAIN_RECORD), then
//  - chat: reads lines from stdin like the real CLI (`exit` quits, `clear` resets, EOF crashes);
//  - webchat: prints the Gradio URL and serves until SIGINT/SIGTERM.
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parse } from 'yaml';
import { INFER_ACCEPTED, unknownKeysError } from './lf-keys.mjs';

const [mode, yamlPath] = process.argv.slice(2);

function fail(message) {
  process.stderr.write(`Traceback (most recent call last):\n  File "llamafactory/cli.py", line 1, in main\n${message}\n`);
  process.exit(1);
}

let cfg;
try {
  cfg = parse(readFileSync(String(yamlPath), 'utf8')) ?? {};
} catch {
  fail(`FileNotFoundError: [Errno 2] No such file or directory: '${yamlPath}'`);
}
const unknown = Object.keys(cfg).filter((k) => !INFER_ACCEPTED.has(k));
if (unknown.length > 0) fail(unknownKeysError(unknown));
if (!cfg.model_name_or_path || !existsSync(join(String(cfg.model_name_or_path), 'config.json'))) {
  fail(`OSError: ${cfg.model_name_or_path} does not appear to have a file named config.json.`);
}
for (const a of String(cfg.adapter_name_or_path ?? '')
  .split(',')
  .filter(Boolean)) {
  if (!existsSync(join(a, 'adapter_config.json'))) fail(`ValueError: Can't find 'adapter_config.json' at '${a}'`);
}
if (cfg.adapter_name_or_path && (cfg.finetuning_type ?? 'lora') !== 'lora') fail('ValueError: Adapter is only valid for the LoRA method.');

if (process.env.FAKE_TRAIN_RECORD) {
  appendFileSync(
    process.env.FAKE_TRAIN_RECORD,
    `${JSON.stringify({ event: mode, pid: process.pid, env: { CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES ?? null }, config: cfg })}\n`,
  );
}

if (mode === 'webchat') {
  process.stdout.write('Running on local URL:  http://0.0.0.0:7860\n');
  const stop = () => {
    process.stdout.write('Keyboard interruption in main thread... closing server.\n');
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  setInterval(() => {}, 1 << 30);
} else {
  process.stdout.write('Welcome to the CLI application, use `clear` to remove the history, use `exit` to exit the application.\n');
  let turns = 0;
  const rl = createInterface({ input: process.stdin });
  process.stdout.write('\nUser: ');
  rl.on('line', (line) => {
    const q = line.trim();
    if (q === 'exit') process.exit(0);
    if (q === 'clear') {
      turns = 0;
      process.stdout.write('History has been removed.\n');
    } else {
      turns++;
      // An original, in-character stand-in reply (no model behind it).
      process.stdout.write(`Assistant: 唔……让我想一想。关于「${q}」，我会像整理岩层样本一样，一层一层地说给你听。（第${turns}轮）\n`);
    }
    process.stdout.write('\nUser: ');
  });
  rl.on('close', () => fail('EOFError: EOF when reading a line'));
}
