import pg from 'pg';
import { adminQuery } from './support/database';
import { dataOf, gql } from './support/client';
import { signUpWorkspace } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer, createTag, ORDERS_IMPORT, ORDER_UPSERT, order } from './customers-fixtures';

/*
 * Races between a merge or an erase and the writes that attach rows to a customer. Each test opens the window by
 * holding a lock from a second connection, so the interleaving is the same every run: the writes take the
 * customer's row lock first, so they either finish before the merge or erase starts, or see its outcome.
 */

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const uuid = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const holders = new Set<() => Promise<void>>();
afterEach(async () => {
  for (const release of holders) await release(); // a failed test must not leave a lock behind
});

/** Runs `statements` in a transaction of its own connection and keeps it open until the returned function ends it. */
async function holdLock(statements: [string, unknown[]][], end: 'commit' | 'rollback' = 'commit'): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: server.databaseUrl });
  client.on('error', () => undefined);
  await client.connect();
  await client.query('begin');
  for (const [sql, params] of statements) await client.query(sql, params);
  const release = async () => {
    if (!holders.delete(release)) return;
    await client.query(end);
    await client.end();
  };
  holders.add(release);
  return release;
}

/** Records the order in which promises settle. */
function settleOrder() {
  const order: string[] = [];
  return { order, track: <T>(name: string, promise: Promise<T>) => promise.finally(() => order.push(name)) };
}

const FOLLOW_UP = `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { followUp { id } userErrors { field code message } } }`;
const MERGE = `mutation($input: CustomerMergeInput!) { customerMerge(input: $input) { customer { id } userErrors { field code message } } }`;
const ERASE = `mutation($input: CustomerEraseInput!) { customerErase(input: $input) { customer { id erasedAt } userErrors { field code message } } }`;
const TAGS_ADD = `mutation($input: CustomerTagsInput!) { customerTagsAdd(input: $input) { customers { id } userErrors { field code message } } }`;
const CONSENT = `mutation($input: ConsentRecordInput!) { customerConsentRecord(input: $input) { consent { policyVersion } userErrors { field code message } } }`;

const db = (sql: string, params: unknown[] = []) => adminQuery(sql, server.databaseName, params).then((r) => r.rows);

describe('customerMerge against concurrent writes to the merged customer', () => {
  /** A merge that has started (it holds both customers) and is stuck moving the merged customer's follow-ups. */
  async function stuckMerge(owner: { token: string }) {
    const keep = await createCustomer(server.url, owner.token, { name: '甲' });
    const dupe = await createCustomer(server.url, owner.token, { name: '乙', externalIds: [{ platform: 'taobao', value: 'nick-乙' }] });
    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: dupe.id, method: 'PHONE', content: 'x' } }, owner.token));
    const release = await holdLock([['select id from follow_up where customer_id = $1 for update', [uuid(dupe.id)]]]);
    const merge = gql(server.url, MERGE, { input: { keepId: keep.id, mergeId: dupe.id } }, owner.token);
    await sleep(500);
    return { keep, dupe, release, merge };
  }

  it('orderUpsert for the merged customer either lands before the merge (and moves) or is NOT_FOUND: no order is silently deleted', async () => {
    const owner = await signUpWorkspace(server.url);
    const { dupe, release, merge } = await stuckMerge(owner);
    const upsert = gql(server.url, ORDER_UPSERT, { input: order({ customerId: dupe.id, externalId: 'RACE-1' }) }, owner.token);
    await sleep(500);
    await release();
    const [upserted, merged] = await Promise.all([upsert, merge]);
    expect(dataOf(merged).customerMerge.userErrors).toEqual([]);
    const payload = dataOf(upserted).orderUpsert;
    const rows = await db(`select count(*)::int as n from customer_order where external_id = 'RACE-1'`);
    // The merge started first, so the order waits for it and then finds its customer gone.
    expect({ userErrors: payload.userErrors.map((e: any) => e.code), rows: rows[0].n }).toEqual({ userErrors: ['NOT_FOUND'], rows: 0 });
  });

  it('an ordersImport row naming the merged customer by external id lands on the kept customer', async () => {
    const owner = await signUpWorkspace(server.url);
    const { keep, release, merge } = await stuckMerge(owner);
    const imported = gql(server.url, ORDERS_IMPORT, { input: { orders: [order({ customerExternalId: 'nick-乙', externalId: 'RACE-2' })] } }, owner.token);
    await sleep(500);
    await release();
    const [result, merged] = await Promise.all([imported, merge]);
    expect(dataOf(merged).customerMerge.userErrors).toEqual([]);
    expect(dataOf(result).ordersImport).toEqual({ importedCount: 1, createdCustomers: 0, userErrors: [] });
    expect(await db(`select customer_id from customer_order where external_id = 'RACE-2'`)).toEqual([{ customer_id: uuid(keep.id) }]);
  });

  it('a follow-up, tags and a consent for the merged customer, sent while it is merged, are NOT_FOUND, never written and lost', async () => {
    const owner = await signUpWorkspace(server.url);
    const tag = await createTag(server.url, owner.token, { name: 'vip', color: '#FF0000', group: 'CONSUMPTION', kind: 'MANUAL' });
    const { keep, dupe, release, merge } = await stuckMerge(owner);
    const writes = Promise.all([
      gql(server.url, FOLLOW_UP, { input: { customerId: dupe.id, method: 'SMS', content: 'during merge' } }, owner.token),
      gql(server.url, TAGS_ADD, { input: { customerIds: [dupe.id], tagIds: [tag.id] } }, owner.token),
      gql(server.url, CONSENT, { input: { customerId: dupe.id, policyVersion: 'v9', marketingConsent: true, channel: 'APP' } }, owner.token),
    ]);
    await sleep(500);
    await release();
    const [[followUp, tags, consent], merged] = await Promise.all([writes, merge]);
    expect(dataOf(merged).customerMerge.userErrors).toEqual([]);
    // The merge started first: each write waits for it, then finds the merged customer gone.
    const codes = (result: any) => (Object.values(dataOf<any>(result))[0] as any).userErrors.map((e: any) => e.code);
    expect([codes(followUp), codes(tags), codes(consent)]).toEqual([['NOT_FOUND'], ['NOT_FOUND'], ['NOT_FOUND']]);
    const counts = await db(
      `select (select count(*)::int from follow_up where content = 'during merge') as follow_ups,
              (select count(*)::int from customer_tag where customer_id = $1) as tags,
              (select count(*)::int from consent_record where policy_version = 'v9') as consents`, [uuid(keep.id)],
    );
    expect(counts).toEqual([{ follow_ups: 0, tags: 0, consents: 0 }]);
  });
});

describe('the database fence behind the merge', () => {
  it('refuses to delete a customer that still has orders, follow-ups, consents or external ids (they never cascade away)', async () => {
    const owner = await signUpWorkspace(server.url);
    const children: [string, (id: string) => Promise<unknown>][] = [
      ['customer_order', (id) => gql(server.url, ORDER_UPSERT, { input: order({ customerId: id }) }, owner.token)],
      ['follow_up', (id) => gql(server.url, FOLLOW_UP, { input: { customerId: id, method: 'PHONE', content: 'x' } }, owner.token)],
      ['consent_record', (id) => gql(server.url, CONSENT, { input: { customerId: id, policyVersion: 'v1', marketingConsent: true, channel: 'APP' } }, owner.token)],
      ['customer_external_id', async () => undefined],
    ];
    for (const [table, write] of children) {
      const customer = await createCustomer(server.url, owner.token, { name: table, ...(table === 'customer_external_id' ? { externalIds: [{ platform: 'wechat', value: 'openid-1' }] } : {}) });
      await write(customer.id);
      const refused = await db(`delete from customer where id = $1`, [uuid(customer.id)]).then(() => 'deleted', (error) => error.code);
      expect({ table, refused }).toEqual({ table, refused: '23503' });
    }
  });
});

describe('customerErase against concurrent writes to the erased customer', () => {
  it('a follow-up recorded while the customer is erased is erased too', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '丙' });
    dataOf(await gql(server.url, FOLLOW_UP, { input: { customerId: customer.id, method: 'PHONE', content: 'first', nextFollowUpOn: '2099-01-01' } }, owner.token));
    // The follow-up waits on this lock when it ends the pending one, after it has checked the customer.
    const release = await holdLock([['select id from follow_up where customer_id = $1 and pending for update', [uuid(customer.id)]]]);
    const followUp = gql(server.url, FOLLOW_UP, { input: { customerId: customer.id, method: 'PHONE', content: '客户住在杭州西湖区文三路 100 号, 手机 13900001111' } }, owner.token);
    await sleep(500);
    const erase = gql(server.url, ERASE, { input: { id: customer.id } }, owner.token);
    await sleep(500);
    await release();
    const [written, erased] = await Promise.all([followUp, erase]);
    expect(dataOf(written).followUpCreate.userErrors).toEqual([]);
    expect(dataOf(erased).customerErase.userErrors).toEqual([]);
    const rows = await db(`select content from follow_up where customer_id = $1`, [uuid(customer.id)]);
    expect(rows).toEqual([{ content: '[已删除]' }, { content: '[已删除]' }]);
  });

  it('tags added while the customer is erased are taken off by the erase', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '丁' });
    const tag = await createTag(server.url, owner.token, { name: '孕妈', color: '#00FF00', group: 'DEMOGRAPHIC', kind: 'FACT' });
    // An uncommitted tagging of the same pair: customerTagsAdd's insert waits on it, after it has checked the customer.
    const release = await holdLock([[
      `insert into customer_tag (id, created_at, updated_at, workspace_id, customer_id, tag_id)
       select gen_random_uuid(), now(), now(), workspace_id, id, $2 from customer where id = $1`, [uuid(customer.id), uuid(tag.id)],
    ]], 'rollback');
    const tagging = gql(server.url, TAGS_ADD, { input: { customerIds: [customer.id], tagIds: [tag.id] } }, owner.token);
    await sleep(500);
    const erase = gql(server.url, ERASE, { input: { id: customer.id } }, owner.token);
    await sleep(500);
    await release();
    const [tagged, erased] = await Promise.all([tagging, erase]);
    expect(dataOf(tagged).customerTagsAdd.userErrors).toEqual([]);
    expect(dataOf(erased).customerErase.userErrors).toEqual([]);
    expect(await db(`select tag_id from customer_tag where customer_id = $1`, [uuid(customer.id)])).toEqual([]);
  });

  it.each([
    ['an order', 'customer_order', (id: string) => [ORDER_UPSERT, { input: order({ customerId: id }) }] as const],
    ['a consent', 'consent_record', (id: string) => [CONSENT, { input: { customerId: id, policyVersion: 'v2', marketingConsent: false, channel: 'WEB' } }] as const],
  ])('%s written while the customer is erased commits before the erase, never after it', async (_label, table, mutation) => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '戊' });
    // The write waits on this lock at its insert, after it has checked the customer; the erase does not touch the table.
    const release = await holdLock([[`lock table ${table} in share mode`, []]]);
    const { order: settled, track } = settleOrder();
    const [query, variables] = mutation(customer.id);
    const write = track('write', gql(server.url, query, variables, owner.token));
    await sleep(500);
    const erase = track('erase', gql(server.url, ERASE, { input: { id: customer.id } }, owner.token));
    await sleep(500);
    const settledWhileHeld = [...settled];
    await release();
    const [written, erased] = await Promise.all([write, erase]);
    expect(settledWhileHeld).toEqual([]); // the erase waits for the write, which holds the customer
    expect(Object.values(dataOf<any>(written))[0]).toMatchObject({ userErrors: [] });
    expect(dataOf(erased).customerErase.userErrors).toEqual([]);
    expect(settled).toEqual(['write', 'erase']);
  });
});
