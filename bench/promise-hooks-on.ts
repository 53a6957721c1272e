import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * Preloaded by bench:hooks into one server (`node -r`): enters an AsyncLocalStorage once, as MikroORM's first write
 * did before src/db/async-context.ts, so the process runs with promise hooks on.
 */
new AsyncLocalStorage().run(true, () => undefined);
