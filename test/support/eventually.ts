/**
 * Polls `probe` until it gives a value (neither undefined nor false) and returns it, or fails after `timeoutMs`:
 * for effects that happen after commit, in background work (reactions, webhook deliveries).
 */
export async function eventually<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
