// How busy the machine is while a benchmark runs: other work inflates wall times.
import { readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';

export interface MachineLoad {
  /** 1-minute load average. */
  loadAvg1m: number;
  /** Linux PSI: share of the last 60 s in which some runnable task waited for a CPU (0–100). */
  cpuPressureSome60?: number;
}

export async function machineLoad(): Promise<MachineLoad> {
  const load: MachineLoad = { loadAvg1m: loadavg()[0] ?? 0 };
  const psi = await readFile('/proc/pressure/cpu', 'utf8').catch(() => '');
  const m = /^some .*?avg60=([\d.]+)/m.exec(psi);
  if (m?.[1] !== undefined) load.cpuPressureSome60 = Number(m[1]);
  return load;
}

export function describeLoad(l: MachineLoad): string {
  return `load ${l.loadAvg1m.toFixed(2)}${l.cpuPressureSome60 !== undefined ? `, CPU pressure ${l.cpuPressureSome60.toFixed(0)} %` : ''}`;
}
