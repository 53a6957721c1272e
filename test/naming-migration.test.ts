import { randomUUID } from 'node:crypto';
import { withDatabase } from '../src/db/embedded-postgres';
import { openOrm, type Orm } from '../src/db/orm';
import { featureModules } from '../modules';
import { createRegistry } from '../src/kernel/registry';
import { adminQuery } from './support/database';

/**
 * Issue 6, point 13: the renames are a migration that keeps the rows. A database is migrated up to the last
 * migration before the renames, filled with rows in the old names, then migrated to the end.
 */
const BEFORE_RENAMES = 'Migration20261125182000_CustomerChildrenNoCascade';
const database = `naming_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
let orm: Orm;

beforeAll(async () => {
  await adminQuery(`create database ${database}`);
  orm = await openOrm(withDatabase(process.env.TEST_POSTGRES_URL!, database), createRegistry(featureModules).entities, 2);
});
afterAll(async () => {
  await orm?.close(true);
  await adminQuery(`drop database if exists ${database}`);
});

const sql = (text: string, params: unknown[] = []) => orm.em.getConnection().execute(text, params);

describe('the naming migration', () => {
  it('renames columns, enum types and values and normalizes consent channels, keeping every row', async () => {
    await orm.getMigrator().up({ to: BEFORE_RENAMES });
    const [workspace, customer, tag, order] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const now = new Date().toISOString();
    await sql(`insert into workspace (id, created_at, updated_at, name) values (?, ?, ?, '旧店')`, [workspace, now, now]);
    await sql(
      `insert into customer (id, created_at, updated_at, workspace_id, customer_no, kind, name, search_text, behaviour_type)
       values (?, ?, ?, ?, 'C000001', 'INDIVIDUAL', '张三', '张三 c000001', 'AGITATED')`,
      [customer, now, now, workspace],
    );
    await sql(`insert into tag (id, created_at, updated_at, workspace_id, name, colour, "group", kind) values (?, ?, ?, ?, 'VIP', '#FF0000', 'CONSUMPTION', 'MANUAL')`, [tag, now, now, workspace]);
    await sql(
      `insert into customer_order (id, created_at, updated_at, workspace_id, customer_id, order_no, platform, external_id, status, total_amount, currency, placed_at)
       values (?, ?, ?, ?, ?, 'N1', 'taobao', 'E1', 'CANCELLED', 199.5, 'CNY', ?)`,
      [order, now, now, workspace, customer, now],
    );
    for (const channel of ['APP', ' WeChat ', 'web']) {
      await sql(
        `insert into consent_record (id, created_at, updated_at, workspace_id, customer_id, policy_version, marketing_consent, consented_at, channel)
         values (?, ?, ?, ?, ?, 'v1', true, ?, ?)`,
        [randomUUID(), now, now, workspace, customer, now, channel],
      );
    }

    await orm.getMigrator().up();
    expect(await orm.getMigrator().getPendingMigrations()).toEqual([]);

    expect(await sql(`select behavior_type::text as value, pg_typeof(behavior_type)::text as type from customer`)).toEqual([{ value: 'AGITATED', type: 'behavior_type' }]);
    expect(await sql(`select color from tag`)).toEqual([{ color: '#FF0000' }]);
    expect(await sql(`select status::text as status, total_amount from customer_order`)).toEqual([{ status: 'CANCELED', total_amount: '199.50' }]);
    expect((await sql(`select channel from consent_record order by channel`)).map((r: any) => r.channel)).toEqual(['app', 'web', 'wechat']);
    expect(await sql(`select 1 from pg_type where typname = 'behaviour_type'`)).toEqual([]);
  });
});
