import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { RequestContext } from '../src/context';
import { Customer } from '../modules/customers/entities/customer';
import { lockEntity, WORKSPACE, workspaceSql } from '../src/db/workspace-sql';
import { parseGlobalId } from '../src/graphql/global-id';
import { createCustomer, order, ORDER_UPSERT } from './customers-fixtures';
import { dataOf, gql } from './support/client';
import { adminQuery } from './support/database';
import { closeConversation, conversationOf, setStatus, setUpDesk, startConversation } from './support/desk';
import { signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';

/**
 * Raw SQL in modules goes through workspaceSql (src/db/workspace-sql.ts), which binds the caller's workspace and
 * refuses a statement without it; and no module runs raw SQL any other way.
 */

const MODULES = join(__dirname, '..', 'modules');

function sourcesUnder(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    return entry.isDirectory() ? sourcesUnder(path) : entry.name.endsWith('.ts') ? [path] : [];
  });
}

/**
 * Ways to run SQL past workspaceSql: the connection (`em.getConnection().execute`, `em.execute`), knex
 * (`em.getKnex()`, `knex.raw`, the ORM's `raw`), a query builder without the ORM's filters (it has them only
 * after `applyFilters()`), and the platform's own runner of statements that span workspaces (`runPrepared`).
 */
const BYPASSES: Array<[string, RegExp]> = [
  ['getConnection()', /\bgetConnection\s*\(/],
  ['execute()', /\.execute\s*(<[^>]*>)?\s*\(/],
  ['getKnex()', /\bgetKnex\s*\(/],
  ['raw()', /\braw\s*\(/],
  ['a query builder without applyFilters()', /createQueryBuilder\s*\((?![\s\S]{0,600}\.applyFilters\s*\()/],
  ['runPrepared()', /\brunPrepared\b|db\/prepared-sql/],
];

describe('modules run raw SQL only through workspaceSql', () => {
  it('finds no other way of running SQL in modules/', () => {
    const sources = sourcesUnder(MODULES);
    expect(sources.length).toBeGreaterThan(10);
    const found = sources.flatMap((path) => {
      const text = readFileSync(path, 'utf8');
      return BYPASSES.filter(([, pattern]) => pattern.test(text)).map(([what]) => `${relative(MODULES, path)}: ${what}`);
    });
    expect(found).toEqual([]);
  });

  it('would catch each way (the patterns match what they are meant to)', () => {
    const samples = [
      'await ctx.em.getConnection().execute(`select 1`)',
      'await tx.em.execute<{ id: string }[]>(`select 1`)',
      "ctx.em.getKnex()('customer_tag').select('customer_id')",
      "knex.raw('select 1')",
      "ctx.em.createQueryBuilder(Order, 'o').where({ status: 'PAID' }).getResult()",
      "import { runPrepared } from '../../../src/db/prepared-sql';",
    ];
    for (const [i, sample] of samples.entries()) expect({ sample, caught: BYPASSES[i][1].test(sample) }).toEqual({ sample, caught: true });
    expect(BYPASSES[4][1].test("const qb = em.createQueryBuilder(Tag, 't').select('t.id');\nawait qb.applyFilters();")).toBe(false);
    expect(BYPASSES.some(([, p]) => p.test('await workspaceSql(tx)`select id from customer where workspace_id = ${WORKSPACE}`'))).toBe(false);
  });
});

describe('workspaceSql', () => {
  let server: TestServer;
  let shopA: SignedUp;
  let shopB: SignedUp;
  let customerOfA: string;
  let customerOfB: string;
  const uuid = (globalId: string) => parseGlobalId(globalId)!.id;
  const nameOf = async (customerId: string) => (await adminQuery('select name from customer where id = $1', server.databaseName, [customerId])).rows[0].name;

  beforeAll(async () => {
    server = await startTestServer();
    [shopA, shopB] = await Promise.all([signUpWorkspace(server.url, '甲店'), signUpWorkspace(server.url, '乙店')]);
    customerOfA = uuid((await createCustomer(server.url, shopA.token, { kind: 'INDIVIDUAL', name: '甲的客户' })).id);
    customerOfB = uuid((await createCustomer(server.url, shopB.token, { kind: 'INDIVIDUAL', name: '乙的客户' })).id);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const contextOf = (shop: SignedUp) => RequestContext.forSystem(server.services, uuid(shop.workspaceId));

  it('binds the caller\'s workspace: from A, B\'s rows can be neither read nor updated, even by id', async () => {
    const sql = workspaceSql(contextOf(shopA));
    const read = await sql<{ id: string }>`
      select id from customer where workspace_id = ${WORKSPACE} and id in (${customerOfA}, ${customerOfB}) order by name`;
    expect(read.map((r) => r.id)).toEqual([customerOfA]);

    const updated = await contextOf(shopA).transaction((tx) => workspaceSql(tx)<{ id: string }>`
      update customer set name = '改名' where workspace_id = ${WORKSPACE} and id in (${customerOfA}, ${customerOfB}) returning id`);
    expect(updated.map((r) => r.id)).toEqual([customerOfA]);
    expect([await nameOf(customerOfA), await nameOf(customerOfB)]).toEqual(['改名', '乙的客户']);

    // The same statement from B's context sees B's row only.
    const fromB = await workspaceSql(contextOf(shopB))<{ id: string }>`
      select id from customer where workspace_id = ${WORKSPACE} and id in (${customerOfA}, ${customerOfB})`;
    expect(fromB.map((r) => r.id)).toEqual([customerOfB]);
  });

  it('refuses a statement that does not use ${WORKSPACE}, before it runs, even one naming a workspace itself', async () => {
    const sql = workspaceSql(contextOf(shopA));
    await expect(sql`update customer set name = '越权' where id = ${customerOfB}`).rejects.toThrow(/bound to the caller's workspace/);
    await expect(sql`update customer set name = '越权' where workspace_id = ${uuid(shopB.workspaceId)} and id = ${customerOfB}`)
      .rejects.toThrow(/bound to the caller's workspace/);
    expect(await nameOf(customerOfB)).toBe('乙的客户');
  });

  it('refuses to run without a workspace (UNAUTHENTICATED), as the ORM\'s filter does', async () => {
    const sql = workspaceSql(RequestContext.forSystem(server.services));
    await expect(sql`select id from customer where workspace_id = ${WORKSPACE}`).rejects.toMatchObject({ extensions: { code: 'UNAUTHENTICATED' } });
  });

  it('runs inside the write transaction it is given: rolled back with it', async () => {
    await expect(contextOf(shopA).transaction(async (tx) => {
      await workspaceSql(tx)`update customer set name = '回滚' where workspace_id = ${WORKSPACE} and id = ${customerOfA}`;
      throw new Error('roll back');
    })).rejects.toThrow('roll back');
    expect(await nameOf(customerOfA)).toBe('改名');
  });

  it('binds values as parameters, never as SQL text; a literal ? stays an operator', async () => {
    const sql = workspaceSql(contextOf(shopA));
    const hostile = `x'); delete from customer; --`;
    const [row] = await sql<{ echoed: string; has: boolean; pair: string }>`
      select ${hostile}::text as echoed, ${'{"a": 1}'}::jsonb ? 'a' as has, concat(${'a'}::text,${'b'}::text) as pair
      where ${WORKSPACE}::uuid is not null`;
    expect(row).toEqual({ echoed: hostile, has: true, pair: 'ab' });
    expect(await nameOf(customerOfB)).toBe('乙的客户');
  });

  it('runs its statements prepared, named after their text: PostgreSQL plans each once per connection', async () => {
    const prepared = await contextOf(shopA).transaction(async (tx) => {
      const sql = workspaceSql(tx); // one connection: the transaction's
      for (let i = 0; i < 2; i++) await sql`select id from customer where workspace_id = ${WORKSPACE} and id = ${customerOfA}`;
      return sql<{ statement: string; calls: string }>`
        select statement, generic_plans + custom_plans as calls from pg_prepared_statements
        where statement like '%from customer where workspace_id = $1 and id = $2' and ${WORKSPACE}::uuid is not null`;
    });
    expect(prepared).toEqual([{ statement: 'select id from customer where workspace_id = $1 and id = $2', calls: '2' }]);
  });

  it('lockEntity: the caller\'s entity, its row locked FOR UPDATE and refreshed in the identity map; another workspace\'s is null', async () => {
    const ctx = contextOf(shopA);
    const held = await ctx.em.findOneOrFail(Customer, customerOfA);
    await adminQuery(`update customer set name = '库里改了' where id = $1`, server.databaseName, [customerOfA]);
    await ctx.transaction(async (tx) => {
      const locked = await lockEntity(tx, Customer, customerOfA);
      // As findOne with refresh: the identity map's entity (the request's one, after the transaction) with the row's values.
      expect(locked).toBeInstanceOf(Customer);
      expect(locked!.name).toBe('库里改了');
      expect(await tx.em.findOne(Customer, customerOfA)).toBe(locked);
      // Another connection cannot lock the row while this transaction holds it.
      await expect(adminQuery('select id from customer where id = $1 for update nowait', server.databaseName, [customerOfA]))
        .rejects.toMatchObject({ code: '55P03' });
      expect(await lockEntity(tx, Customer, customerOfB)).toBeNull();
      // Managed: a change to it is flushed with the transaction.
      locked!.name = '锁后改名';
    });
    expect(held.name).toBe('锁后改名');
    expect(await nameOf(customerOfA)).toBe('锁后改名');
    await adminQuery('select id from customer where id = $1 for update nowait', server.databaseName, [customerOfA]);
    await adminQuery(`update customer set name = '改名' where id = $1`, server.databaseName, [customerOfA]);
  });

  it('binds an array as one parameter (pg writes the array literal)', async () => {
    const rows = await workspaceSql(contextOf(shopA))<{ id: string }>`
      select id from customer where workspace_id = ${WORKSPACE} and id = any(${[customerOfA, customerOfB]}::uuid[])`;
    expect(rows.map((r) => r.id)).toEqual([customerOfA]);
    expect(await workspaceSql(contextOf(shopA))`select id from customer where workspace_id = ${WORKSPACE} and id = any(${[]}::uuid[])`).toEqual([]);
  });
});

describe('prepared statements and a migration that adds columns', () => {
  it('keeps answering the workbench read after columns are added to the tables it reads (statements name their columns)', async () => {
    const server = await startTestServer();
    try {
      const shop = await signUpWorkspace(server.url, '迁移店');
      const customer = await createCustomer(server.url, shop.token, { kind: 'INDIVIDUAL', name: '迁移客户' });
      expect(dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id }) }, shop.token)).orderUpsert.userErrors).toEqual([]);
      const read = `query($id: ID!) { customer(id: $id) { name tags { name } orders(first: 5) { nodes { orderNo } } followUps(first: 5) { nodes { content } } } }`;
      // Reads side by side, before and after: every connection of the pool that served one has the statements
      // prepared, and the connections are still there (they idle 30 s) when the reads after the migration run.
      const readAll = () => Promise.all(Array.from({ length: 8 }, () => gql(server.url, read, { id: customer.id }, shop.token)));
      const before = dataOf((await readAll())[0]);
      for (const table of ['customer', 'tag', 'customer_order', 'follow_up']) await adminQuery(`alter table ${table} add column added_later text`, server.databaseName);
      for (const after of await readAll()) expect({ data: after.data, errors: after.errors }).toEqual({ data: before, errors: undefined });
    } finally {
      await server.stop();
    }
  });

  it('keeps starting and closing conversations after columns are added to the tables the engine reads as rows (to_jsonb)', async () => {
    const server = await startTestServer();
    try {
      const desk = await setUpDesk(server.url, { agents: 2, rule: 'LEAST_LOAD', capacity: 1 });
      for (const agent of desk.agents) await setStatus(server.url, agent, 'ONLINE');
      const round = async (visitor: string) => {
        const started = await Promise.all([1, 2, 3].map((i) => startConversation(desk, { externalId: `${visitor}-${i}` })));
        expect(started.map((s) => s.conversation.status).sort()).toEqual(['ACTIVE', 'ACTIVE', 'QUEUED']);
        // Closing an ACTIVE one gives its slot to the waiting one; then all are closed.
        for (const s of started.filter((s) => s.conversation.status === 'ACTIVE')) await closeConversation(server.url, desk.owner.token, s.conversation.id);
        const waiting = started.find((s) => s.conversation.status === 'QUEUED')!;
        expect((await conversationOf(desk, waiting.conversation.id)).status).toBe('ACTIVE');
        await closeConversation(server.url, desk.owner.token, waiting.conversation.id);
      };
      await round('before');
      // Side by side, so that every connection of the pool has the list's statements prepared (as above).
      const lastMessages = async () => Promise.all(Array.from({ length: 8 }, async () =>
        dataOf(await gql(server.url, `{ conversations(first: 10) { nodes { lastMessage { content } } } }`, {}, desk.owner.token)).conversations.nodes));
      const listed = await lastMessages();
      expect(listed[0].length).toBeGreaterThan(0);
      for (const table of ['channel', 'visitor', 'conversation', 'message', 'routing_rule', 'service_group', 'assignment', 'agent_state']) {
        await adminQuery(`alter table ${table} add column added_later text`, server.databaseName);
      }
      expect(await lastMessages()).toEqual(listed);
      await round('before');
      await round('after');
    } finally {
      await server.stop();
    }
  });
});
