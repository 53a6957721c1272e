import 'reflect-metadata';
import { migrate, openOrm } from '../src/db/orm';
import { featureModules } from '../modules';
import { createRegistry } from '../src/kernel/registry';
import { withDatabase } from './with-database';

/**
 * `npm run migration:create`: applies the existing migrations to a scratch database, compares it with the
 * entities and writes the difference as a new file in migrations/. Add the new class to migrations/index.ts.
 */
void withDatabase(async (url) => {
  const orm = await openOrm(url, createRegistry(featureModules).entities, 2);
  try {
    await migrate(orm);
    const result = await orm.getMigrator().createMigration('migrations', false, false, process.argv[2]);
    if (!result.fileName) console.log('No changes: the entities match the migrations.');
    else console.log(`Wrote migrations/${result.fileName}; add it to migrations/index.ts.\n\n${result.diff.up.join('\n')}`);
  } finally {
    await orm.close(true);
  }
});
