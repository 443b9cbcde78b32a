import { UsageError } from '../api.js';
export async function watchCommand(_ws: string, _argv: readonly string[]): Promise<number> {
  throw new UsageError('watch: not built yet');
}
