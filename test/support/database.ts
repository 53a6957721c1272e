import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import { withDatabase } from '../../src/db/embedded-postgres';
import { migrate, openOrm } from '../../src/db/orm';
import { EVENTS_CHANNEL, EVENTS_LISTENER_NAME } from '../../src/kernel/event-log';
import { ModuleRegistry } from '../../src/kernel/module';
import { JobQueue } from '../../src/kernel/jobs';
import { featureModules } from '../../modules';
import { createRegistry } from '../../src/kernel/registry';

const TEMPLATE_DATABASE = 'app_template';
/** Advisory lock id that serializes template creation across Jest workers. */
const TEMPLATE_LOCK = 7_352_001;

function serverUrl(): string {
  const url = process.env.TEST_POSTGRES_URL;
  if (!url) throw new Error('TEST_POSTGRES_URL is not set: run the tests with jest (globalSetup starts PostgreSQL)');
  return url;
}

/** Runs SQL as the superuser on a database of the test cluster. */
export async function adminQuery(sql: string, database = 'postgres', params: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: withDatabase(serverUrl(), database) });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

/** Waits until `count` server instances listen for domain events on `database` again (after an outage). */
export async function waitForEventListeners(database: string, count: number, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listening = await adminQuery(
      `select count(*)::int as n from pg_stat_activity where datname = $1 and application_name = $2 and query = $3 and state = 'idle'`,
      'postgres',
      [database, EVENTS_LISTENER_NAME, `LISTEN ${EVENTS_CHANNEL}`],
    );
    if (listening.rows[0].n >= count) return;
    if (Date.now() > deadline) throw new Error(`${listening.rows[0].n} of ${count} event listeners on ${database} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Migrations and the job queue's schema, applied once per run to the template that every test database copies. */
async function buildTemplate(): Promise<void> {
  const url = withDatabase(serverUrl(), TEMPLATE_DATABASE);
  const orm = await openOrm(url, createRegistry(featureModules).entities, 2);
  await migrate(orm);
  await orm.close(true);
  const jobs = new JobQueue(url, new ModuleRegistry([]), pino({ level: 'silent' }), { workers: false });
  await jobs.start({} as any);
  await jobs.stop();
}

/** A fresh database cloned from the migrated template: one per test file, so files never share rows. */
export async function createTestDatabase(): Promise<{ name: string; url: string }> {
  const name = `test_${process.env.JEST_WORKER_ID ?? '0'}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl() });
  await admin.connect();
  try {
    await admin.query('select pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    const exists = await admin.query('select 1 from pg_database where datname = $1', [TEMPLATE_DATABASE]);
    if (!exists.rowCount) {
      await admin.query(`create database ${TEMPLATE_DATABASE}`);
      try {
        await buildTemplate();
      } catch (error) {
        await admin.query(`drop database ${TEMPLATE_DATABASE}`);
        throw error;
      }
    }
    await admin.query(`create database ${name} template ${TEMPLATE_DATABASE}`);
  } finally {
    await admin.query('select pg_advisory_unlock($1)', [TEMPLATE_LOCK]).catch(() => undefined);
    await admin.end();
  }
  return { name, url: withDatabase(serverUrl(), name) };
}
