import type { MigrationObject } from '@mikro-orm/core';
import { Migration20261125165245_Initial } from './Migration20261125165245_Initial';

/**
 * Every migration, in order. Listed explicitly (not globbed) so that compiled and test runs load the same set.
 * `npm run migration:create -- <Name>` writes a new file; add it here.
 */
export const migrations: MigrationObject[] = [
  { name: 'Migration20261125165245_Initial', class: Migration20261125165245_Initial },
];
