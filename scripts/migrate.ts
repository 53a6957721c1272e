import 'reflect-metadata';
import { loadConfig } from '../src/config';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';
import { migrate, openOrm, withStartupLock } from '../src/db/orm';
import { featureModules } from '../modules';
import { createRegistry } from '../src/kernel/registry';

/** `npm run migrate`: applies pending migrations to DATABASE_URL, or to the embedded database in DATA_DIR. */
async function main() {
  const config = loadConfig();
  const embedded = config.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: config.dataDir });
  const url = config.databaseUrl ?? embedded!.url;
  const orm = await openOrm(url, createRegistry(featureModules).entities, 2);
  try {
    const applied = await withStartupLock(url, () => migrate(orm));
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Nothing to apply.');
  } finally {
    await orm.close(true);
    await embedded?.stop();
  }
}

void main();
