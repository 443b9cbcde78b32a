// Environment for `llamafactory-cli train` on the devices the engine assigned.

/**
 * ctx.env already carries CUDA_VISIBLE_DEVICES. With more than one device LLaMA-Factory must
 * relaunch itself under torchrun with one process per device; with one, nothing may force it.
 */
export function trainerEnv(gpus: readonly string[]): Record<string, string | undefined> {
  if (gpus.length > 1) return { FORCE_TORCHRUN: '1', NPROC_PER_NODE: String(gpus.length) };
  return { FORCE_TORCHRUN: undefined, NPROC_PER_NODE: undefined };
}
