// GPU devices for stages: where the pool comes from, and handing devices out to stages.
import { UsageError } from './api.js';

const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/**
 * A device id as CUDA_VISIBLE_DEVICES takes it: an index, or a UUID as `nvidia-smi -L` prints it
 * (`GPU-<uuid>`, a MIG instance `MIG-<uuid>`, or the older `MIG-GPU-<uuid>/<gi>/<ci>`).
 */
const DEVICE_ID = new RegExp(`^(\\d+|GPU-${UUID}|MIG-${UUID}|MIG-GPU-${UUID}/\\d+/\\d+)$`);

/** Why a list of device ids is not usable (empty, malformed, repeated), or undefined when it is. */
export function deviceIdProblem(ids: readonly string[]): string | undefined {
  if (ids.length === 0) return 'expected at least one device id (e.g. 0 or 0,1)';
  const bad = ids.find((id) => !DEVICE_ID.test(id));
  if (bad !== undefined) {
    return `'${bad}' is not a device id: use an index (0, 1, …) or a UUID as \`nvidia-smi -L\` prints it (GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx, MIG-…)`;
  }
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup !== undefined) return `device ${dup} is listed twice`;
  return undefined;
}

/** The ids of `--gpus`, checked (a usage error names the flag). */
export function checkGpuFlag(ids: string[]): string[] {
  const problem = deviceIdProblem(ids);
  if (problem) throw new UsageError(`--gpus: ${problem}`);
  return ids;
}

export interface PoolSource {
  devices: string[];
  /** Where the list came from, for messages. */
  from: string;
}

/** `--gpus`, else `gpus:` in the config, else CUDA_VISIBLE_DEVICES, else `nvidia-smi -L`, else none. */
export async function discoverGpus(flag: string[] | undefined, fromConfig: string[] | undefined, configName: string): Promise<PoolSource> {
  if (flag) return { devices: checkGpuFlag(flag), from: '--gpus' };
  if (fromConfig) return { devices: fromConfig, from: `gpus: in ${configName}` };
  const cvd = process.env.CUDA_VISIBLE_DEVICES;
  if (cvd !== undefined && cvd.trim() !== '') {
    return {
      devices: cvd
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      from: 'CUDA_VISIBLE_DEVICES',
    };
  }
  // Loaded here: a run that needs no GPU does not pay for child_process.
  const { execFile } = await import('node:child_process');
  const listed = await new Promise<string[]>((resolve) => {
    execFile('nvidia-smi', ['-L'], { timeout: 10_000 }, (err, stdout) => {
      if (err) return resolve([]);
      const ids = String(stdout)
        .split('\n')
        .map((l) => /^GPU (\d+):/.exec(l)?.[1])
        .filter((x): x is string => x !== undefined);
      resolve(ids);
    });
  });
  return { devices: listed, from: listed.length ? 'nvidia-smi -L' : 'none found (no gpus: in config, no CUDA_VISIBLE_DEVICES, no nvidia-smi)' };
}

/** Hands out devices; a stage waits until enough are free. */
export class GpuPool {
  private free: string[];
  private waiters: Array<{ n: number; resolve: (d: string[]) => void }> = [];

  constructor(readonly devices: readonly string[]) {
    this.free = [...devices];
  }

  get size(): number {
    return this.devices.length;
  }

  acquire(n: number): Promise<string[]> {
    if (n === 0) return Promise.resolve([]);
    if (n > this.devices.length) return Promise.reject(new Error(`needs ${n} GPU(s), pool has ${this.devices.length}`));
    return new Promise((resolve) => {
      this.waiters.push({ n, resolve });
      this.dispatch();
    });
  }

  /** `n` devices if that many are free now and nobody waits for them, else undefined (no waiting). */
  tryAcquire(n: number): string[] | undefined {
    if (n <= 0 || this.waiters.length > 0 || this.free.length < n) return undefined;
    return this.free.splice(0, n);
  }

  release(devs: readonly string[]): void {
    this.free.push(...devs);
    this.free.sort((a, b) => this.devices.indexOf(a) - this.devices.indexOf(b));
    this.dispatch();
  }

  private dispatch(): void {
    while (this.waiters.length > 0 && this.waiters[0]!.n <= this.free.length) {
      const w = this.waiters.shift()!;
      w.resolve(this.free.splice(0, w.n));
    }
  }
}
