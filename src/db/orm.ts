import { MikroORM, Options } from '@mikro-orm/core';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/core';
import pg from 'pg';
import type { Logger } from 'pino';
import { migrations } from '../../migrations';
import { keepMikroOrmOutOfAsyncLocalStorage } from './async-context';
import { recordSqlStatement } from './sql-counter';
import { WorkspaceStamp, workspaceFilter } from './tenancy';
import { WorkspaceMigrator, WorkspaceSchemaGenerator } from './workspace-keys';

export type Orm = MikroORM<PostgreSqlDriver>;

/** The ORM configuration for one database; also used by the migration scripts. */
export function ormOptions(databaseUrl: string, entities: Function[], poolSize = 10, logger?: Logger): Options<PostgreSqlDriver> {
  const knexLog = (level: 'warn' | 'error' | 'debug') => (message: unknown) => logger?.[level]({ knex: String(message) }, 'database driver');
  return {
    driver: PostgreSqlDriver,
    clientUrl: databaseUrl,
    entities,
    metadataProvider: ReflectMetadataProvider,
    discovery: { warnWhenNoEntities: false },
    filters: { workspace: workspaceFilter(entities) },
    // The workspace filter applies to each entity queried by its own workspace_id; MikroORM would also join every
    // filtered relation (the workspace table included) to filter it: an inner join per query that the profile found
    // to cost half of a simple find. A row pointing at another workspace's row is refused by the database itself
    // (composite foreign keys, src/db/workspace-keys.ts), so the joins protect nothing.
    autoJoinRefsForFilters: false,
    subscribers: [new WorkspaceStamp()],
    pool: { min: 0, max: poolSize, idleTimeoutMillis: 30_000 },
    driverOptions: {
      connection: { application_name: 'service-desk' },
      // knex prints pool warnings (a connection dropped by the server) to the console; send them to our log.
      log: { warn: knexLog('warn'), error: knexLog('error'), debug: knexLog('debug'), deprecate: knexLog('warn') },
    },
    // Entities must be loaded explicitly; a lazy load in a loop is how N+1s start.
    forceUndefined: true,
    // Both compare the database with the entities, foreign keys between workspace tables widened (workspace-keys.ts).
    extensions: [WorkspaceMigrator, WorkspaceSchemaGenerator],
    migrations: {
      migrationsList: migrations,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
      path: 'migrations',
      pathTs: 'migrations',
      emit: 'ts',
      silent: true,
    },
    // Tables written with SQL only, without an entity: the schema diff must not drop them.
    schemaGenerator: { skipTables: ['domain_event', 'event_log_consumer'] },
    allowGlobalContext: false,
    ensureDatabase: false,
    debug: false,
  };
}

export async function openOrm(databaseUrl: string, entities: Function[], poolSize: number, logger?: Logger): Promise<Orm> {
  keepMikroOrmOutOfAsyncLocalStorage();
  const orm = await MikroORM.init<PostgreSqlDriver>(ormOptions(databaseUrl, entities, poolSize, logger));
  const knex = orm.em.getConnection().getKnex();
  knex.on('query', recordSqlStatement);
  // A broken idle connection (database restarted) must not crash the process; the pool replaces it.
  knex.client.pool?.on?.('createFail', (_id: unknown, error: Error) => logger?.warn({ err: error.message }, 'database connection failed'));
  return orm;
}

/** Applies pending migrations; returns their names. Several instances starting at once: see withStartupLock. */
export async function migrate(orm: Orm): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}

/** Advisory lock id under which one instance at a time does its start-up changes to the database. */
const STARTUP_LOCK = 7_352_100;

/**
 * Runs `work` while holding a session-level advisory lock on a connection of its own, so instances starting
 * together against one database take turns at migrating, creating the job queue's schema and queues, and seeding
 * demo data (done concurrently, these fail or deadlock): the first does the work, the others find it done.
 */
export async function withStartupLock<T>(databaseUrl: string, work: () => Promise<T>): Promise<T> {
  const lock = new pg.Client({ connectionString: databaseUrl });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [STARTUP_LOCK]);
    return await work();
  } finally {
    await lock.end(); // ending the session releases the lock
  }
}

/** True when every known migration has been applied (for /readyz). */
export async function migrationsApplied(orm: Orm): Promise<boolean> {
  const pending = await orm.getMigrator().getPendingMigrations();
  return pending.length === 0;
}
