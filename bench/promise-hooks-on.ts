import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Preloaded by bench:hooks into a server (`node -r`): each SIGUSR2 turns promise hooks on or off for the whole
 * process. On: an AsyncLocalStorage entered once, as MikroORM's first write did before src/db/async-context.ts. Off:
 * that storage disabled, which drops the hooks while no other storage is enabled. One process measured both ways.
 */
const storage = new AsyncLocalStorage<true>();
let on = false;
process.on('SIGUSR2', () => {
  if (on) storage.disable();
  else storage.run(true, () => undefined);
  on = !on;
});
