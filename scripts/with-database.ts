import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres';

/** Runs `work` against DATABASE_URL, or against a throw-away embedded PostgreSQL when it is not set. */
export async function withDatabase<T>(work: (url: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return work(process.env.DATABASE_URL);
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'service-desk-script-'));
  const pg = await startEmbeddedPostgres({ dataDir, ephemeral: true });
  try {
    return await work(pg.url);
  } finally {
    await pg.stop();
  }
}
