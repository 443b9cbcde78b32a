#!/usr/bin/env node
// Test double for `llamafactory-cli train CONFIG.yaml [key=value …]`, faithful to what the
// pipeline can observe of LLaMA-Factory 0.9.x:
//  - rejects unknown YAML keys and the obvious config errors (missing model/config.json, dataset
//    not in dataset_info.json, interleave_probs with concat, quantization without LoRA);
//  - with FORCE_TORCHRUN=1 or more than one visible device it relaunches itself as NPROC_PER_NODE
//    worker processes, splitting its command line on spaces like the real launcher;
//  - appends trainer_log.jsonl lines every logging_steps, writes checkpoint-N/ every save_steps and
//    the final adapter files (adapter_model.safetensors is a valid safetensors file);
//  - resumes from the last checkpoint-N in output_dir unless overwrite_output_dir, and refuses a
//    non-empty output_dir without checkpoint.
// Knobs (env): FAKE_TRAIN_STEP_MS (default 30) step duration; FAKE_TRAIN_DIE_AT=k crash at step k;
// FAKE_TRAIN_MEET=file waits for a second training to start (see below);
// FAKE_TRAIN_RECORD=file appends one JSON line per event (start, process, end) for tests to read,
// each with the pid and the time (`t`, ms since the epoch; `process` also has `launched_at`, when
// `llamafactory-cli` itself started).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { LF_DEFAULTS, TRAIN_ACCEPTED, unknownKeysError } from './lf-keys.mjs';

const SELF = fileURLToPath(import.meta.url);
// extras/constants.py CHECKPOINT_NAMES (v0.9.4 … HEAD).
const CHECKPOINT_NAMES = [
  'adapter_model.safetensors',
  'adapter_model.bin',
  'model.safetensors.index.json',
  'model.safetensors',
  'pytorch_model.bin.index.json',
  'pytorch_model.bin',
];
const RECORD = process.env.FAKE_TRAIN_RECORD;

function record(obj) {
  if (RECORD) appendFileSync(RECORD, `${JSON.stringify({ pid: process.pid, t: Date.now(), ...obj })}\n`);
}

function fail(message) {
  process.stderr.write(`Traceback (most recent call last):\n  File "llamafactory/cli.py", line 1, in main\n${message}\n`);
  process.exit(1);
}

function parseValue(v) {
  if (v === 'true' || v === 'True') return true;
  if (v === 'false' || v === 'False') return false;
  if (v !== '' && !Number.isNaN(Number(v))) return Number(v);
  return v;
}

function loadConfig(argv) {
  const [yamlPath, ...overrides] = argv;
  if (!yamlPath || !/\.(ya?ml|json)$/.test(yamlPath)) fail('ValueError: expected a .yaml config path');
  let text;
  try {
    text = readFileSync(yamlPath, 'utf8');
  } catch {
    fail(`FileNotFoundError: [Errno 2] No such file or directory: '${yamlPath}'`);
  }
  const cfg = parse(text) ?? {};
  for (const o of overrides) {
    const eq = o.indexOf('=');
    if (eq < 1) fail(`ValueError: cannot parse override ${o}`);
    cfg[o.slice(0, eq)] = parseValue(o.slice(eq + 1));
  }
  return { yamlPath, cfg };
}

function validate(cfg) {
  const unknown = Object.keys(cfg).filter((k) => !TRAIN_ACCEPTED.has(k));
  if (unknown.length > 0) fail(unknownKeysError(unknown));
  // template may be left out: LLaMA-Factory then parses the tokenizer's chat template (data/template.py).
  for (const k of ['model_name_or_path', 'output_dir', 'dataset']) {
    if (cfg[k] === undefined || cfg[k] === null) fail(`ValueError: \`${k}\` is required.`);
  }
  if (!existsSync(join(String(cfg.model_name_or_path), 'config.json'))) {
    fail(`OSError: ${cfg.model_name_or_path} does not appear to have a file named config.json.`);
  }
  const ft = cfg.finetuning_type ?? 'lora';
  if (cfg.quantization_bit != null && ft !== 'lora' && ft !== 'oft') {
    fail('ValueError: Quantization is only compatible with the LoRA method.');
  }
  const mix = cfg.mix_strategy ?? 'concat';
  if (cfg.interleave_probs != null && mix === 'concat') {
    fail('ValueError: `interleave_probs` is only valid for interleaved mixing.');
  }
  if (cfg.bf16 === true && cfg.fp16 === true) fail('ValueError: bf16 and fp16 cannot both be set.');
}

/** Number of training samples, from dataset_info.json and the dataset files. */
function countSamples(cfg) {
  const dir = String(cfg.dataset_dir ?? 'data');
  const infoPath = join(dir, 'dataset_info.json');
  let info;
  try {
    info = JSON.parse(readFileSync(infoPath, 'utf8'));
  } catch {
    fail(`ValueError: Cannot open ${infoPath} due to [Errno 2] No such file or directory.`);
  }
  const names = String(cfg.dataset)
    .split(',')
    .map((s) => s.trim());
  const counts = names.map((name) => {
    const entry = info[name];
    if (!entry) fail(`ValueError: Undefined dataset ${name} in dataset_info.json.`);
    const file = join(dir, entry.file_name);
    let rows;
    try {
      rows = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      fail(`ValueError: File ${file} not found.`);
    }
    if (!Array.isArray(rows)) fail(`ValueError: ${file} is not a JSON list.`);
    return rows.length;
  });
  const mix = cfg.mix_strategy ?? 'concat';
  if (cfg.interleave_probs != null) {
    const probs = String(cfg.interleave_probs).split(',');
    if (probs.length !== names.length) fail('ValueError: The length of dataset and interleave probs should be identical.');
  }
  if (mix === 'interleave_under') return Math.min(...counts) * counts.length;
  if (mix === 'interleave_over') return Math.max(...counts) * counts.length;
  return counts.reduce((a, b) => a + b, 0);
}

function hms(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
}

/** A valid safetensors file: u64 LE header length, JSON header, raw little-endian f32 data. */
function safetensors(rank, seedText) {
  const cols = 4;
  const n = rank * cols;
  const data = Buffer.alloc(n * 4 * 2);
  const seed = createHash('sha256').update(seedText).digest();
  for (let i = 0; i < n * 2; i++) data.writeFloatLE(((seed[i % 32] ?? 0) - 128) / 1024, i * 4);
  const header = {
    __metadata__: { format: 'pt' },
    'base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight': { dtype: 'F32', shape: [rank, cols], data_offsets: [0, n * 4] },
    'base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight': { dtype: 'F32', shape: [cols, rank], data_offsets: [n * 4, n * 8] },
  };
  let h = Buffer.from(JSON.stringify(header));
  const pad = (8 - (h.length % 8)) % 8;
  h = Buffer.concat([h, Buffer.alloc(pad, 0x20)]);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

// A 1x1 PNG (the loss plot stands in for matplotlib's).
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

function writeAdapter(dir, cfg, seedText, state) {
  mkdirSync(dir, { recursive: true });
  const rank = Number(cfg.lora_rank ?? LF_DEFAULTS.lora_rank);
  writeFileSync(join(dir, 'adapter_model.safetensors'), safetensors(rank, seedText));
  writeFileSync(
    join(dir, 'adapter_config.json'),
    `${JSON.stringify(
      {
        peft_type: 'LORA',
        task_type: 'CAUSAL_LM',
        base_model_name_or_path: cfg.model_name_or_path,
        r: rank,
        lora_alpha: Number(cfg.lora_alpha ?? LF_DEFAULTS.lora_alpha ?? rank * 2),
        lora_dropout: Number(cfg.lora_dropout ?? LF_DEFAULTS.lora_dropout),
        target_modules:
          String(cfg.lora_target ?? LF_DEFAULTS.lora_target) === 'all' ? ['q_proj', 'k_proj', 'v_proj', 'o_proj'] : String(cfg.lora_target).split(','),
        inference_mode: true,
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(dir, 'trainer_state.json'), `${JSON.stringify(state, null, 2)}\n`);
  writeFileSync(join(dir, 'training_args.bin'), Buffer.from('PK fake torch pickle'));
}

function lastCheckpoint(outputDir) {
  if (!existsSync(outputDir)) return undefined;
  const steps = readdirSync(outputDir)
    .map((n) => /^checkpoint-(\d+)$/.exec(n))
    .filter((m) => m && statSync(join(outputDir, m[0])).isDirectory())
    .map((m) => Number(m[1]));
  return steps.length ? Math.max(...steps) : undefined;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** One training process (the only one, or a torchrun worker with RANK). */
async function trainProcess(argv, rank, worldSize) {
  const { yamlPath, cfg } = loadConfig(argv);
  validate(cfg);
  // launched_at: when `llamafactory-cli` started (its start-up is part of the stand-in's time).
  record({
    event: 'process',
    role: worldSize > 1 ? `worker-${rank}` : 'trainer',
    launched_at: Number(process.env.FAKE_LF_LAUNCHED_AT ?? Math.round(performance.timeOrigin)),
  });
  const outputDir = resolve(String(cfg.output_dir));
  const samples = countSamples(cfg);
  const bs = Number(cfg.per_device_train_batch_size ?? LF_DEFAULTS.per_device_train_batch_size);
  const ga = Number(cfg.gradient_accumulation_steps ?? LF_DEFAULTS.gradient_accumulation_steps);
  const epochs = Number(cfg.num_train_epochs ?? LF_DEFAULTS.num_train_epochs);
  const perEpoch = Math.max(1, Math.ceil(samples / (bs * ga * worldSize)));
  const total = Number(cfg.max_steps ?? -1) > 0 ? Number(cfg.max_steps) : Math.max(1, Math.ceil(epochs * perEpoch));
  const logEvery = Number(cfg.logging_steps ?? LF_DEFAULTS.logging_steps);
  const saveEvery = Number(cfg.save_steps ?? LF_DEFAULTS.save_steps);
  const lr0 = Number(cfg.learning_rate ?? LF_DEFAULTS.learning_rate);

  if (rank !== 0) {
    // Non-zero ranks read and write nothing in output_dir: the real ranks agree on the resume point
    // before a distributed barrier, and only the main process saves; these workers have no barrier,
    // so they only live about as long as the run does.
    for (let s = 1; s <= total; s++) await sleep(Number(process.env.FAKE_TRAIN_STEP_MS ?? 30));
    return;
  }
  // Resume logic of LLaMA-Factory's parser.
  let start = 0;
  let resumedFrom = null;
  if (cfg.overwrite_output_dir !== true && existsSync(outputDir)) {
    const last = lastCheckpoint(outputDir);
    // hparams/parser.py: refuses only when output_dir holds weights (CHECKPOINT_NAMES) but no checkpoint.
    if (last === undefined && CHECKPOINT_NAMES.some((n) => existsSync(join(outputDir, n)))) {
      fail('ValueError: Output directory already exists and is not empty. Please set `overwrite_output_dir`.');
    }
    if (last !== undefined) {
      const st = JSON.parse(readFileSync(join(outputDir, `checkpoint-${last}`, 'trainer_state.json'), 'utf8'));
      start = Number(st.global_step);
      resumedFrom = `checkpoint-${last}`;
      process.stdout.write(`[INFO|parser] Resuming training from ${join(outputDir, resumedFrom)}.\n`);
    }
  }
  mkdirSync(outputDir, { recursive: true });
  record({
    event: 'start',
    argv: [yamlPath, ...argv.slice(1)],
    cwd: process.cwd(),
    env: {
      CUDA_VISIBLE_DEVICES: process.env.CUDA_VISIBLE_DEVICES ?? null,
      FORCE_TORCHRUN: process.env.FORCE_TORCHRUN ?? null,
      NPROC_PER_NODE: process.env.NPROC_PER_NODE ?? null,
      WORLD_SIZE: String(worldSize),
    },
    config: cfg,
    resumed_from: resumedFrom,
    first_step: start + 1,
    total_steps: total,
  });
  process.stdout.write(`[INFO|trainer] ***** Running training *****\n  Num examples = ${samples}\n  Total optimization steps = ${total}\n`);
  // FAKE_TRAIN_MEET=file: each training notes itself there and waits (at most 20 s) until a second
  // one has started, so that trainings that may run at once do overlap whatever the machine's load
  // (a scheduler that runs them one after another makes the first wait it out, and they do not).
  const meet = process.env.FAKE_TRAIN_MEET;
  if (meet && rank === 0) {
    appendFileSync(meet, `${process.pid}\n`);
    const until = Date.now() + 20_000;
    while (Date.now() < until && readFileSync(meet, 'utf8').split('\n').filter(Boolean).length < 2) await sleep(20);
  }

  const seedText = JSON.stringify({ ...cfg, output_dir: null });
  const logPath = join(outputDir, 'trainer_log.jsonl');
  const t0 = Date.now();
  const history = [];
  const dieAt = Number(process.env.FAKE_TRAIN_DIE_AT ?? 0);
  const stepMs = Number(process.env.FAKE_TRAIN_STEP_MS ?? 30);
  const lossAt = (s) => Math.round((0.4 + 2.2 * Math.exp((-3 * s) / total)) * 10000) / 10000;
  const lrAt = (s) => (lr0 * (1 + Math.cos((Math.PI * s) / total))) / 2;
  for (let step = start + 1; step <= total; step++) {
    await sleep(stepMs);
    if (dieAt > 0 && step === dieAt) {
      fail('torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB (test double: FAKE_TRAIN_DIE_AT)');
    }
    if (step % logEvery === 0) {
      const elapsed = (Date.now() - t0) / 1000;
      const done = step - start;
      const line = {
        current_steps: step,
        total_steps: total,
        loss: lossAt(step),
        lr: lrAt(step),
        epoch: Math.round((step / perEpoch) * 100) / 100,
        percentage: Math.round((step / total) * 10000) / 100,
        elapsed_time: hms(elapsed),
        remaining_time: hms((elapsed / done) * (total - step)),
      };
      history.push({ step, loss: line.loss, learning_rate: line.lr, epoch: line.epoch });
      // Written in two pieces, like a buffered writer caught mid-line.
      const text = `${JSON.stringify(line)}\n`;
      const cut = Math.floor(text.length / 2);
      appendFileSync(logPath, text.slice(0, cut));
      await sleep(Math.min(5, stepMs));
      appendFileSync(logPath, text.slice(cut));
      process.stdout.write(`{'loss': ${line.loss}, 'learning_rate': ${line.lr}, 'epoch': ${line.epoch}}\n`);
    }
    if (step % saveEvery === 0 && step < total) {
      const ck = join(outputDir, `checkpoint-${step}`);
      writeAdapter(ck, cfg, `${seedText}#${step}`, { global_step: step, max_steps: total, log_history: history });
      writeFileSync(join(ck, 'optimizer.pt'), Buffer.alloc(64));
      writeFileSync(join(ck, 'scheduler.pt'), Buffer.alloc(16));
    }
  }
  const elapsed = (Date.now() - t0) / 1000;
  const state = { global_step: total, max_steps: total, num_train_epochs: epochs, log_history: history };
  writeAdapter(outputDir, cfg, seedText, state);
  appendFileSync(
    logPath,
    `${JSON.stringify({ current_steps: total, total_steps: total, epoch: Math.round((total / perEpoch) * 100) / 100, percentage: 100, elapsed_time: hms(elapsed), remaining_time: '0:00:00' })}\n`,
  );
  const results = {
    epoch: total / perEpoch,
    total_flos: 1234567,
    train_loss: lossAt(total),
    train_runtime: elapsed,
    train_samples_per_second: 1,
    train_steps_per_second: 1,
  };
  writeFileSync(join(outputDir, 'train_results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outputDir, 'all_results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(outputDir, 'README.md'), '---\nlibrary_name: peft\n---\n# test-double adapter\n');
  writeFileSync(join(outputDir, 'tokenizer_config.json'), '{}\n');
  if (cfg.plot_loss === true) {
    writeFileSync(join(outputDir, 'training_loss.png'), PNG);
    process.stdout.write(`Figure saved at: ${join(outputDir, 'training_loss.png')}\n`);
  }
  record({ event: 'end', total_steps: total });
}

async function main() {
  const argv = process.argv.slice(2);
  if (argv[0] === '--worker') {
    // torchrun worker: `--worker RANK WORLD yaml overrides…`
    await trainProcess(argv.slice(3), Number(argv[1]), Number(argv[2]));
    return;
  }
  const visible = (process.env.CUDA_VISIBLE_DEVICES ?? '').split(',').filter((d) => d.trim() !== '');
  const torchrun = ['1', 'true', 'y'].includes(String(process.env.FORCE_TORCHRUN ?? '').toLowerCase()) || visible.length > 1;
  if (!torchrun) {
    await trainProcess(argv, 0, 1);
    return;
  }
  record({ event: 'process', role: 'launcher' });
  const nproc = Number(process.env.NPROC_PER_NODE ?? Math.max(1, visible.length));
  // launcher.py: subprocess.run("torchrun … launcher.py args".split()): the torchrun found on PATH,
  // the command line joined with spaces and split again.
  const command = `torchrun --nnodes 1 --nproc_per_node ${nproc} ${SELF} ${argv.join(' ')}`;
  const [exe, ...args] = command.split(' ');
  const torchrunPath = (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .map((d) => join(d, exe))
    .find((p) => existsSync(p));
  if (torchrunPath === undefined) fail("FileNotFoundError: [Errno 2] No such file or directory: 'torchrun'");
  const child = spawn(torchrunPath, args, { stdio: 'inherit' });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

await main();
