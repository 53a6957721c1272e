import { randomUUID } from 'node:crypto';
import { withDatabase } from '../src/db/embedded-postgres';
import { openOrm, type Orm } from '../src/db/orm';
import { createRegistry } from '../src/kernel/registry';
import { featureModules } from '../modules';
import { adminQuery } from './support/database';

/**
 * Issue 7, point 12: the migration that widens unique indexes and foreign keys to include workspace_id runs on a
 * database with rows and keeps them. A database is migrated up to the migration before it, filled, then migrated
 * to the end.
 */
const BEFORE_WORKSPACE_KEYS = 'Migration20261130110000_EventLog';
const databases: string[] = [];
const orms: Orm[] = [];

async function databaseBeforeWorkspaceKeys(): Promise<Orm> {
  const database = `workspace_keys_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await adminQuery(`create database ${database}`);
  databases.push(database);
  const orm = await openOrm(withDatabase(process.env.TEST_POSTGRES_URL!, database), createRegistry(featureModules).entities, 2);
  orms.push(orm);
  await orm.getMigrator().up({ to: BEFORE_WORKSPACE_KEYS });
  return orm;
}

afterAll(async () => {
  for (const orm of orms) await orm.close(true);
  for (const database of databases) await adminQuery(`drop database if exists ${database}`);
});

/** Two workspaces, each with a user, a session, a key, a customer with an order, an item, a tag and a follow-up. */
async function fill(orm: Orm): Promise<Record<string, string>> {
  const sql = (text: string, params: unknown[]) => orm.em.getConnection().execute(text, params);
  const ids: Record<string, string> = {};
  for (const shop of ['a', 'b']) {
    const [workspace, user, customer, order, tag] = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    Object.assign(ids, { [`${shop}Workspace`]: workspace, [`${shop}User`]: user, [`${shop}Customer`]: customer, [`${shop}Tag`]: tag });
    await sql(`insert into workspace (id, created_at, updated_at, name) values (?, now(), now(), ?)`, [workspace, `店${shop}`]);
    await sql(
      `insert into "user" (id, created_at, updated_at, workspace_id, email, display_name, role, password_hash, active, version)
       values (?, now(), now(), ?, ?, 'Owner', 'OWNER', 'x', true, 1)`,
      [user, workspace, `owner@${shop}.example`],
    );
    await sql(`insert into session (id, created_at, updated_at, workspace_id, user_id, token_hash, expires_at) values (?, now(), now(), ?, ?, ?, now())`, [randomUUID(), workspace, user, `token-${shop}`]);
    await sql(
      `insert into api_key (id, created_at, updated_at, workspace_id, name, scopes, prefix, secret_hash, created_by_id)
       values (?, now(), now(), ?, 'key', '{}', ?, 'h', ?)`,
      [randomUUID(), workspace, `sk_0000000${shop}`, user],
    );
    await sql(
      `insert into customer (id, created_at, updated_at, workspace_id, customer_no, kind, name, search_text, version)
       values (?, now(), now(), ?, 'C000001', 'INDIVIDUAL', '张三', '张三', 1)`,
      [customer, workspace],
    );
    await sql(
      `insert into customer_order (id, created_at, updated_at, workspace_id, customer_id, order_no, platform, external_id, status, total_amount, currency, placed_at)
       values (?, now(), now(), ?, ?, 'N1', 'taobao', 'E1', 'PAID', 10, 'CNY', now())`,
      [order, workspace, customer],
    );
    await sql(
      `insert into order_item (id, created_at, updated_at, workspace_id, order_id, sku, title, quantity, unit_price) values (?, now(), now(), ?, ?, 'S', 'T', 1, 10)`,
      [randomUUID(), workspace, order],
    );
    await sql(`insert into tag (id, created_at, updated_at, workspace_id, name, color, "group", kind, version) values (?, now(), now(), ?, 'VIP', '#FF0000', 'CONSUMPTION', 'MANUAL', 1)`, [tag, workspace]);
    await sql(`insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id) values (?, now(), now(), ?, ?, ?)`, [randomUUID(), workspace, customer, tag]);
    await sql(
      `insert into follow_up (id, created_at, updated_at, workspace_id, customer_id, author_user_id, method, content, happened_at, pending)
       values (?, now(), now(), ?, ?, ?, 'PHONE', '回访', now(), false)`,
      [randomUUID(), workspace, customer, user],
    );
  }
  return ids;
}

const TABLES = ['workspace', 'user', 'session', 'api_key', 'customer', 'customer_order', 'order_item', 'tag', 'customer_tag', 'follow_up'];

async function rowCounts(orm: Orm): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const [row] = await orm.em.getConnection().execute(`select count(*)::int as n from "${table}"`);
    counts[table] = row.n;
  }
  return counts;
}

describe('the workspace keys migration', () => {
  it('keeps every row, fills the login directory and makes the keys composite', async () => {
    const orm = await databaseBeforeWorkspaceKeys();
    const ids = await fill(orm);
    const before = await rowCounts(orm);

    await orm.getMigrator().up();
    expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);

    expect(await rowCounts(orm)).toEqual(before);
    const sql = (text: string, params: unknown[] = []) => orm.em.getConnection().execute(text, params);
    expect(await sql(`select email, workspace_id, user_id from login_email order by email`)).toEqual([
      { email: 'owner@a.example', workspace_id: ids.aWorkspace, user_id: ids.aUser },
      { email: 'owner@b.example', workspace_id: ids.bWorkspace, user_id: ids.bUser },
    ]);
    const [tagLink] = await sql(
      `select pg_get_constraintdef(oid) as definition from pg_constraint where conname = 'customer_tag_workspace_id_tag_id_foreign'`,
    );
    expect(tagLink.definition).toBe('FOREIGN KEY (workspace_id, tag_id) REFERENCES tag(workspace_id, id) ON DELETE CASCADE');
    // a new link across the two workspaces is refused now
    await expect(sql(`insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id) values (?, now(), now(), ?, ?, ?)`,
      [randomUUID(), ids.bWorkspace, ids.bCustomer, ids.aTag])).rejects.toMatchObject({ code: '23503' });
  });

  it('stops on a row that already points at another workspace\'s record, naming the key, and changes nothing', async () => {
    const orm = await databaseBeforeWorkspaceKeys();
    const ids = await fill(orm);
    // only possible before this migration: a link of workspace b's customer to workspace a's tag
    await orm.em.getConnection().execute(
      `insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id) values (?, now(), now(), ?, ?, ?)`,
      [randomUUID(), ids.bWorkspace, ids.bCustomer, ids.aTag],
    );
    await expect(orm.getMigrator().up()).rejects.toThrow(/customer_tag_workspace_id_tag_id_foreign/);
    // the migration ran in one transaction: none of it is applied
    expect((await orm.getMigrator().getPendingMigrations()).map((m) => m.name)).toContain('Migration20261130113000_WorkspaceKeys');
    expect(await orm.em.getConnection().execute(`select to_regclass('login_email') as login_email`)).toEqual([{ login_email: null }]);
  });
});
