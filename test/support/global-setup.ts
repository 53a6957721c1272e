import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startEmbeddedPostgres } from '../../src/db/embedded-postgres';

/**
 * One throw-away PostgreSQL for the whole run (fsync off). The migrated template database is made by the first
 * test file that needs it (test/support/database.ts): the ORM must not be started here, in Jest's parent realm,
 * or its global metadata clashes with the test realm's.
 */
export default async function globalSetup() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-test-'));
  const pg = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  (globalThis as any).__TEST_POSTGRES__ = pg;
  process.env.TEST_POSTGRES_URL = pg.url;
}
