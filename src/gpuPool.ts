// GPU devices for stages: where the pool comes from, and handing devices out to stages.
import { execFile } from 'node:child_process';

export interface PoolSource {
  devices: string[];
  /** Where the list came from, for messages. */
  from: string;
}

/** `--gpus`, else `gpus:` in the config, else CUDA_VISIBLE_DEVICES, else `nvidia-smi -L`, else none. */
export async function discoverGpus(flag: string[] | undefined, fromConfig: string[] | undefined, configName: string): Promise<PoolSource> {
  if (flag) return { devices: flag, from: '--gpus' };
  if (fromConfig) return { devices: fromConfig, from: `gpus: in ${configName}` };
  const cvd = process.env.CUDA_VISIBLE_DEVICES;
  if (cvd !== undefined && cvd.trim() !== '') {
    return { devices: cvd.split(',').map((s) => s.trim()).filter(Boolean), from: 'CUDA_VISIBLE_DEVICES' };
  }
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
