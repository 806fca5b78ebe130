/** Shared by the billing tests. */
import { sleep } from '../harness/env.js';

/**
 * Polls `probe` (every 150 ms) until it returns something other than undefined, or throws after `withinMs`
 * (with the last error the probe threw, if any).
 */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, withinMs = 15_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(150);
  }
}
