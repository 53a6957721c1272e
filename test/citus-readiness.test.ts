import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { openOrm } from '../src/db/orm';
import { createRegistry } from '../src/kernel/registry';
import { featureModules } from '../modules';
import { adminQuery, createTestDatabase } from './support/database';

/**
 * Issue 7, point 12: every table is ready to be distributed by workspace_id (README, Production notes). The rules
 * are read from the catalog of the migrated database, over every table of the `public` schema, so a new module's
 * tables are held to them without being listed anywhere.
 */

/**
 * The tables that are not workspace-scoped, and why. Anything else must carry workspace_id. Keep this short:
 * under Citus each is a reference table (copied to every node) or stays on the coordinator.
 */
const GLOBAL_TABLES: Record<string, string> = {
  // The tenants themselves: read by id at every request (authentication) and by login; few rows, rarely written.
  workspace: 'reference table',
  // Which workspace an email signs in to, looked up before any workspace is known; keeps emails unique everywhere.
  login_email: 'reference table',
  // Failed logins by hashed email and client, counted before any workspace is known (and for unknown emails).
  login_failure: 'reference table, or local to the coordinator',
  // How far each reader of the whole event log (the webhook dispatcher) has read: one row per reader.
  event_log_consumer: 'local to the coordinator',
  // MikroORM's migration history.
  mikro_orm_migrations: 'local to the coordinator',
};

const WORKSPACE = 'workspace_id';

/** The rules of the README's Production notes, as a list of violations naming table, index or constraint. */
async function citusViolations(db: pg.Client): Promise<string[]> {
  const { rows: tables } = await db.query<{ name: string; workspace_attnum: number | null; workspace_not_null: boolean | null }>(`
    select c.relname as name, a.attnum as workspace_attnum, a.attnotnull as workspace_not_null
      from pg_class c
      join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
      left join pg_attribute a on a.attrelid = c.oid and a.attname = $1 and not a.attisdropped
     where c.relkind in ('r', 'p') and not c.relispartition
     order by c.relname`, [WORKSPACE]);
  const scoped = new Map(tables.filter((t) => t.workspace_attnum !== null).map((t) => [t.name, t.workspace_attnum!]));
  const violations: string[] = [];

  for (const table of tables) {
    const global = table.name in GLOBAL_TABLES;
    if (!scoped.has(table.name) && !global) violations.push(`${table.name}: has no ${WORKSPACE} and is not a listed global table`);
    if (scoped.has(table.name) && !global && !table.workspace_not_null) violations.push(`${table.name}: ${WORKSPACE} is nullable`);
  }
  for (const name of Object.keys(GLOBAL_TABLES)) {
    if (!tables.some((t) => t.name === name)) violations.push(`${name}: listed as a global table but does not exist`);
  }
  const workspaceTables = new Map([...scoped].filter(([name]) => !(name in GLOBAL_TABLES)));

  // Unique indexes (constraints and primary keys included) must include workspace_id: under Citus a unique index
  // is enforced per shard. The one exception is a primary key on (id) alone next to a unique (workspace_id, id):
  // the ORM's identity today, swapped for that unique index when the tables are distributed.
  const { rows: indexes } = await db.query<{ table: string; index: string; primary: boolean; columns: string[] }>(`
    select t.relname as table, i.relname as index, x.indisprimary as primary,
           array(select coalesce(a.attname, '(expression)') from unnest(x.indkey::int2[]) with ordinality k(attnum, n)
                 left join pg_attribute a on a.attrelid = t.oid and a.attnum = k.attnum order by k.n)::text[] as columns
      from pg_index x
      join pg_class t on t.oid = x.indrelid
      join pg_class i on i.oid = x.indexrelid
      join pg_namespace n on n.oid = t.relnamespace and n.nspname = 'public'
     where x.indisunique`);
  for (const index of indexes) {
    if (!workspaceTables.has(index.table) || index.columns.includes(WORKSPACE)) continue;
    const widenable = index.primary && index.columns.join() === 'id'
      && indexes.some((other) => other.table === index.table && other.columns.join() === `${WORKSPACE},id`);
    if (!widenable) violations.push(`${index.table}: unique index ${index.index} (${index.columns.join(', ')}) lacks ${WORKSPACE}`);
  }

  // Foreign keys between workspace tables must pair workspace_id with workspace_id; a global table must not
  // reference a workspace table (a reference table cannot point into a distributed one).
  const { rows: keys } = await db.query<{ table: string; target: string; name: string; columns: number[]; targetColumns: number[]; onUpdate: string; onDelete: string }>(`
    select t.relname as table, r.relname as target, k.conname as name, k.conkey as columns, k.confkey as "targetColumns",
           k.confupdtype as "onUpdate", k.confdeltype as "onDelete"
      from pg_constraint k
      join pg_class t on t.oid = k.conrelid
      join pg_class r on r.oid = k.confrelid
      join pg_namespace n on n.oid = t.relnamespace and n.nspname = 'public'
     where k.contype = 'f'`);
  for (const key of keys) {
    const targetScoped = workspaceTables.has(key.target);
    if (!workspaceTables.has(key.table)) {
      if (targetScoped) violations.push(`${key.table}: foreign key ${key.name} from a global table to the workspace table ${key.target}`);
      continue;
    }
    if (!targetScoped) continue;
    const position = key.columns.indexOf(workspaceTables.get(key.table)!);
    if (position < 0 || key.targetColumns[position] !== workspaceTables.get(key.target)) {
      violations.push(`${key.table}: foreign key ${key.name} to ${key.target} does not pair ${WORKSPACE} on both sides`);
    }
    // 'c' cascade, 'n' set null, 'd' set default: these would write the distribution column, which Citus refuses.
    if (['c', 'n', 'd'].includes(key.onUpdate)) violations.push(`${key.table}: foreign key ${key.name} cascades updates to ${WORKSPACE}`);
    if (['n', 'd'].includes(key.onDelete)) violations.push(`${key.table}: foreign key ${key.name} sets ${WORKSPACE} on delete`);
  }
  return violations;
}

let database: { name: string; url: string };
let db: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase();
  db = new pg.Client({ connectionString: database.url });
  await db.connect();
});
afterAll(async () => {
  await db?.end();
  if (database) await adminQuery(`drop database if exists ${database.name}`);
});

describe('the migrated schema is ready to be distributed by workspace_id', () => {
  it('breaks none of the rules: workspace_id not null, in every unique index, paired in every foreign key', async () => {
    expect(await citusViolations(db)).toEqual([]);
  });

  it('is what the entities declare: `npm run migration:create` finds nothing to change (it would drop keys it did not know)', async () => {
    const orm = await openOrm(database.url, createRegistry(featureModules).entities, 1);
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'citus-diff-'));
    try {
      // What the script does (scripts/migration-create.ts); a file is written only when there is a difference.
      expect((await orm.getMigrator().createMigration(scratch, false, false, 'Drift')).diff.up).toEqual([]);
      expect(await orm.schema.getUpdateSchemaSQL({ wrap: false })).toBe('');
    } finally {
      await orm.close(true);
      rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('names the table, index or key that breaks a rule (the check is not vacuous)', async () => {
    await db.query('begin');
    try {
      await db.query(`create table probe_parent (id uuid primary key, workspace_id uuid, code text unique)`);
      await db.query(`create table probe_child (id uuid primary key, workspace_id uuid not null references workspace (id),
        parent_id uuid references probe_parent (id) on update cascade)`);
      await db.query(`create table probe_unscoped (id uuid primary key)`);
      await db.query(`create table probe_directory (email text primary key, customer_id uuid not null references customer (id))`);
      expect(await citusViolations(db)).toEqual(expect.arrayContaining([
        'probe_parent: workspace_id is nullable',
        'probe_parent: unique index probe_parent_pkey (id) lacks workspace_id',
        'probe_parent: unique index probe_parent_code_key (code) lacks workspace_id',
        'probe_child: unique index probe_child_pkey (id) lacks workspace_id',
        'probe_child: foreign key probe_child_parent_id_fkey to probe_parent does not pair workspace_id on both sides',
        'probe_child: foreign key probe_child_parent_id_fkey cascades updates to workspace_id',
        'probe_unscoped: has no workspace_id and is not a listed global table',
        'probe_directory: has no workspace_id and is not a listed global table',
      ]));
    } finally {
      await db.query('rollback');
    }
  });
});

describe('a row cannot point at another workspace\'s record', () => {
  it('refuses a raw insert of an order, a tag link or a session that crosses workspaces', async () => {
    const [shopA, shopB, customerOfA, tagOfA, customerOfB, userOfA] = Array.from({ length: 6 }, () => randomUUID());
    await db.query(`insert into workspace (id, created_at, updated_at, name) values ($1, now(), now(), '甲店'), ($2, now(), now(), '乙店')`, [shopA, shopB]);
    await db.query(
      `insert into customer (id, created_at, updated_at, workspace_id, customer_no, kind, name, search_text)
       values ($1, now(), now(), $2, 'C000001', 'INDIVIDUAL', '张三', '张三'), ($3, now(), now(), $4, 'C000001', 'INDIVIDUAL', '李四', '李四')`,
      [customerOfA, shopA, customerOfB, shopB],
    );
    await db.query(`insert into tag (id, created_at, updated_at, workspace_id, name, color, "group", kind) values ($1, now(), now(), $2, 'VIP', '#FF0000', 'CONSUMPTION', 'MANUAL')`, [tagOfA, shopA]);
    await db.query(
      `insert into "user" (id, created_at, updated_at, workspace_id, email, display_name, role, password_hash, active, version)
       values ($1, now(), now(), $2, 'a@example.com', 'A', 'OWNER', 'x', true, 1)`,
      [userOfA, shopA],
    );

    const crossing: [string, unknown[], string][] = [
      [`insert into customer_order (id, created_at, updated_at, workspace_id, customer_id, order_no, platform, external_id, status, total_amount, currency, placed_at)
        values ($1, now(), now(), $2, $3, 'N1', 'taobao', 'E1', 'PAID', 1, 'CNY', now())`, [randomUUID(), shopB, customerOfA], 'customer_order_workspace_id_customer_id_foreign'],
      [`insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id) values ($1, now(), now(), $2, $3, $4)`,
        [randomUUID(), shopB, customerOfB, tagOfA], 'customer_tag_workspace_id_tag_id_foreign'],
      [`insert into session (id, created_at, updated_at, workspace_id, user_id, token_hash, expires_at) values ($1, now(), now(), $2, $3, 'h', now())`,
        [randomUUID(), shopB, userOfA], 'session_workspace_id_user_id_foreign'],
    ];
    for (const [statement, params, constraint] of crossing) {
      await expect(db.query(statement, params)).rejects.toMatchObject({ code: '23503', constraint });
    }
    // the same rows within one workspace are accepted
    await db.query(crossing[0][0], [randomUUID(), shopA, customerOfA]);
    await db.query(crossing[1][0], [randomUUID(), shopA, customerOfA, tagOfA]);
  });
});
