import { adminQuery } from './support/database';
import { dataOf, errorCode, gql } from './support/client';
import { createApiKey, createUserWithRole, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer, createTag, ORDERS_IMPORT, ORDER_UPSERT, order } from './customers-fixtures';

/* The lookups a workbench needs: single objects by id, many nodes at once, orders by number, external id or platform. */

let server: TestServer;
let owner: SignedUp;
const globalId = (type: string, uuid: string) => Buffer.from(`${type}:${uuid}`).toString('base64url');
const uuidOf = (id: string) => Buffer.from(id, 'base64url').toString().split(':')[1];
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

/** The data and errors of a response, for one exact comparison (undefined errors when there were none). */
const answer = (response: { data?: unknown; errors?: unknown }) => ({ data: response.data, errors: response.errors });

beforeAll(async () => {
  server = await startTestServer();
  owner = await signUpWorkspace(server.url);
});

afterAll(async () => {
  await server?.stop();
});

describe('single lookups', () => {
  it('answer null without an error for an unknown, foreign, wrong-type or malformed id, leaving the rest of the response whole', async () => {
    const customer = await createCustomer(server.url, owner.token, { name: '查得到' });
    const other = await signUpWorkspace(server.url, '别家店');
    const foreign = await createCustomer(server.url, other.token, { name: '别家客户' });
    const tag = await createTag(server.url, owner.token, { name: '查询标签', group: 'PREFERENCE' });
    const response = await gql(server.url, `query($ok: ID!, $unknown: ID!, $foreign: ID!, $wrongType: ID!, $malformed: ID!) {
      ok: customer(id: $ok) { name }
      unknown: customer(id: $unknown) { name }
      foreign: customer(id: $foreign) { name }
      wrongType: customer(id: $wrongType) { name }
      malformed: customer(id: $malformed) { name }
      unknownExport: customerDataExport(id: $unknown)
      unknownOrder: order(id: $unknown) { orderNo }
    }`, {
      ok: customer.id, unknown: globalId('Customer', UNKNOWN_UUID), foreign: foreign.id, wrongType: tag.id, malformed: 'not-an-id',
    }, owner.token);
    expect(answer(response)).toEqual({
      data: { ok: { name: '查得到' }, unknown: null, foreign: null, wrongType: null, malformed: null, unknownExport: null, unknownOrder: null },
      errors: undefined,
    });
  });

  it('still need the permission: a lookup without it is FORBIDDEN, not null', async () => {
    const customer = await createCustomer(server.url, owner.token, { name: '要权限' });
    const key = await createApiKey(server.url, owner.token, ['audit:read']);
    for (const query of [`query($id: ID!) { customer(id: $id) { name } }`, `query($id: ID!) { order(id: $id) { orderNo } }`]) {
      expect(errorCode(await gql(server.url, query, { id: customer.id }, key.secret))).toBe('FORBIDDEN');
    }
  });
});

describe('nodes(ids)', () => {
  const NODES = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id ... on Customer { name } ... on Tag { name } ... on Order { orderNo } } }`;

  it('answers every id in its position, null for unknown, foreign, malformed and unreadable ids', async () => {
    const customer = await createCustomer(server.url, owner.token, { name: '节点客户' });
    const tag = await createTag(server.url, owner.token, { name: '节点标签', group: 'PREFERENCE' });
    const placed = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, orderNo: 'NODE-1' }) }, owner.token)).orderUpsert.order;
    const other = await signUpWorkspace(server.url, '别家店');
    const foreign = await createCustomer(server.url, other.token, { name: '别家客户' });
    const viewer = dataOf(await gql(server.url, `{ me { id } }`, {}, owner.token)).me;
    const ids = [
      tag.id, globalId('Customer', UNKNOWN_UUID), customer.id, foreign.id, 'garbage', globalId('NoSuchType', UNKNOWN_UUID),
      placed.id, customer.id, globalId('Order', uuidOf(customer.id)), viewer.id,
    ];
    const expected = [
      { __typename: 'Tag', id: tag.id, name: '节点标签' }, null, { __typename: 'Customer', id: customer.id, name: '节点客户' }, null, null, null,
      { __typename: 'Order', id: placed.id, orderNo: 'NODE-1' }, { __typename: 'Customer', id: customer.id, name: '节点客户' }, null, { __typename: 'User', id: viewer.id },
    ];
    expect(answer(await gql(server.url, NODES, { ids }, owner.token))).toEqual({ data: { nodes: expected }, errors: undefined });

    // A key that may read customers but not users: the user is null in its place, the rest is answered.
    const key = await createApiKey(server.url, owner.token, ['customers:read']);
    expect(answer(await gql(server.url, NODES, { ids }, key.secret))).toEqual({ data: { nodes: expected.map((n) => (n?.__typename === 'User' ? null : n)) }, errors: undefined });

    // The same read rule as node(id): the key reads its own record without apiKeys:write, not another key's.
    const otherKey = await createApiKey(server.url, owner.token, ['customers:read']);
    const keys = await gql(server.url, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, { ids: [key.id, otherKey.id] }, key.secret);
    expect(keys.data).toEqual({ nodes: [{ id: key.id }, null] });
  });

  it('reads 100 ids of three types in as many SQL statements as 3', async () => {
    const shop = await signUpWorkspace(server.url, '节点店');
    const rows = Array.from({ length: 35 }, (_, i) => order({ customerExternalId: `node${i}`, customerName: `批量${i}`, externalId: `NODE-${i}`, items: [] }));
    expect(dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, shop.token)).ordersImport).toMatchObject({ importedCount: 35, createdCustomers: 35 });
    const customers = dataOf(await gql(server.url, `{ customers(first: 100) { nodes { id } } }`, {}, shop.token)).customers.nodes;
    const orders = dataOf(await gql(server.url, `{ orders(first: 100) { nodes { id } } }`, {}, shop.token)).orders.nodes;
    const tags = await Promise.all(Array.from({ length: 30 }, (_, i) => createTag(server.url, shop.token, { name: `批量标签${i}`, group: 'PREFERENCE' })));
    const few = [customers[0].id, tags[0].id, orders[0].id];
    const many = [...customers, ...tags, ...orders].map((n) => n.id);
    expect(many).toHaveLength(100);
    const small = await gql(server.url, NODES, { ids: few }, shop.token);
    const large = await gql(server.url, NODES, { ids: many }, shop.token);
    expect(dataOf(large).nodes.map((n: any) => n.id)).toEqual(many);
    expect(large.extensions!.sqlStatements).toBe(small.extensions!.sqlStatements);
    // priced per id, like a connection per item: each id costs the node's selection (1 for the object, 0 for scalars)
    expect([small.extensions!.cost.requested, large.extensions!.cost.requested]).toEqual([1 + 3, 1 + 100]);

    const tooMany = await gql(server.url, NODES, { ids: [...many, customers[0].id] }, shop.token);
    expect({ code: errorCode(tooMany), field: tooMany.errors?.[0]?.extensions?.field }).toEqual({ code: 'BAD_USER_INPUT', field: ['ids'] });
  });
});

describe('orders', () => {
  const ORDERS = `query($filter: OrderFilter, $first: Int) { orders(filter: $filter, first: $first) {
    totalCount nodes { orderNo platform externalId status placedAt customer { name } } } }`;
  let shop: SignedUp;
  let buyers: any[];

  beforeAll(async () => {
    shop = await signUpWorkspace(server.url, '订单店');
    buyers = [await createCustomer(server.url, shop.token, { name: '买家甲' }), await createCustomer(server.url, shop.token, { name: '买家乙' })];
    const rows = [
      { customerId: buyers[0].id, platform: 'taobao', externalId: 'TB-1', orderNo: '2025030100001', status: 'COMPLETED', placedAt: '2025-03-01T08:00:00Z' },
      { customerId: buyers[0].id, platform: 'jd', externalId: 'JD-1', orderNo: '2025030200002', status: 'PAID', placedAt: '2025-03-02T08:00:00Z' },
      { customerId: buyers[1].id, platform: 'jd', externalId: 'TB-1', orderNo: '2025030300003', status: 'CANCELED', placedAt: '2025-03-03T08:00:00Z' },
      { customerId: buyers[1].id, platform: 'tmall', externalId: 'TM-1', orderNo: '2025030400004', status: 'COMPLETED', placedAt: '2025-03-04T08:00:00Z' },
    ];
    for (const row of rows) {
      expect(dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ ...row, items: [] }) }, shop.token)).orderUpsert.userErrors).toEqual([]);
    }
    // Another workspace holding the same order number and external id: never found from this one.
    const other = await signUpWorkspace(server.url, '别家订单店');
    const theirs = await createCustomer(server.url, other.token, { name: '别家买家' });
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: theirs.id, platform: 'taobao', externalId: 'TB-1', orderNo: '2025030100001' }) }, other.token));
  });

  const found = async (filter: Record<string, unknown>, token = shop.token) =>
    dataOf(await gql(server.url, ORDERS, { filter }, token)).orders.nodes.map((n: any) => `${n.orderNo} ${n.customer.name}`);

  it('finds an order by its number, external id, platform, customer, state or time placed, with its customer, newest first', async () => {
    expect(await found({ orderNo: '2025030100001' })).toEqual(['2025030100001 买家甲']);
    expect(await found({ orderNo: ' 2025030100001 ' })).toEqual(['2025030100001 买家甲']);
    expect(await found({ externalId: 'TB-1' })).toEqual(['2025030300003 买家乙', '2025030100001 买家甲']);
    expect(await found({ externalId: 'TB-1', platform: 'TaoBao' })).toEqual(['2025030100001 买家甲']);
    expect(await found({ platform: 'jd' })).toEqual(['2025030300003 买家乙', '2025030200002 买家甲']);
    expect(await found({ customerId: buyers[0].id })).toEqual(['2025030200002 买家甲', '2025030100001 买家甲']);
    expect(await found({ status: ['PAID', 'CANCELED'] })).toEqual(['2025030300003 买家乙', '2025030200002 买家甲']);
    expect(await found({ placedAfter: '2025-03-02T08:00:00Z', placedBefore: '2025-03-04T08:00:00Z' })).toEqual(['2025030300003 买家乙', '2025030200002 买家甲']);
    expect(await found({})).toHaveLength(4);
    for (const filter of [{ orderNo: 'nope' }, { customerId: 'garbage' }, { customerId: buyers[0].id.slice(0, -2) }, { externalId: 'TB-1', platform: 'jd', status: ['PAID'] }]) {
      expect(await found(filter)).toEqual([]);
    }
    // order(id) and the order's customer
    const id = dataOf(await gql(server.url, `{ orders(filter: { orderNo: "2025030400004" }) { nodes { id } } }`, {}, shop.token)).orders.nodes[0].id;
    expect(dataOf(await gql(server.url, `query($id: ID!) { order(id: $id) { orderNo platform customer { id name } } }`, { id }, shop.token)).order)
      .toEqual({ orderNo: '2025030400004', platform: 'tmall', customer: { id: buyers[1].id, name: '买家乙' } });
    // another workspace's order is not there
    expect(dataOf(await gql(server.url, `query($id: ID!) { order(id: $id) { orderNo } }`, { id }, owner.token)).order).toBeNull();
    expect(await found({ orderNo: '2025030400004' }, owner.token)).toEqual([]);
  });

  it('needs customers:read, and masks the customer\'s phone without customers:pii', async () => {
    const customer = await createCustomer(server.url, shop.token, { name: '有电话', phone: '13812345678' });
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, orderNo: 'PHONE-1' }) }, shop.token));
    const analyst = await createUserWithRole(server.url, shop.token, 'ANALYST');
    const query = `{ orders(filter: { orderNo: "PHONE-1" }) { nodes { customer { phone } } } }`;
    expect(dataOf(await gql(server.url, query, {}, analyst.token)).orders.nodes).toEqual([{ customer: { phone: '138****5678' } }]);
    expect(dataOf(await gql(server.url, query, {}, shop.token)).orders.nodes).toEqual([{ customer: { phone: '13812345678' } }]);
    const auditKey = await createApiKey(server.url, shop.token, ['audit:read']);
    expect(errorCode(await gql(server.url, query, {}, auditKey.secret))).toBe('FORBIDDEN');
  });

  it('refuses a filter text over its length as BAD_USER_INPUT naming the field', async () => {
    const response = await gql(server.url, ORDERS, { filter: { orderNo: '1'.repeat(65) } }, shop.token);
    expect({ code: errorCode(response), field: response.errors?.[0]?.extensions?.field }).toEqual({ code: 'BAD_USER_INPUT', field: ['filter', 'orderNo'] });
  });

  it('lists 50 orders with their customers, items and customer statistics in as many SQL statements as 5', async () => {
    const bulk = await signUpWorkspace(server.url, '批量订单店');
    const rows = Array.from({ length: 50 }, (_, i) => order({ customerExternalId: `bulk${i % 20}`, customerName: `批量买家${i % 20}`, externalId: `B-${i}` }));
    expect(dataOf(await gql(server.url, `mutation($input: OrdersImportInput!) { ordersImport(input: $input) { importedCount } }`, { input: { orders: rows } }, bulk.token)).ordersImport.importedCount).toBe(50);
    const list = `query($first: Int) { orders(first: $first, filter: { platform: "taobao" }) { totalCount nodes { orderNo totalAmount { amount currency } items { sku quantity }
      customer { name customerNo tags { name } orderStats { orderCount } } } } }`;
    const five = await gql(server.url, list, { first: 5 }, bulk.token);
    const fifty = await gql(server.url, list, { first: 50 }, bulk.token);
    expect(dataOf(fifty).orders.nodes).toHaveLength(50);
    expect(dataOf(fifty).orders.nodes[0]).toMatchObject({ items: [{ sku: 'SKU-1', quantity: 1 }], customer: { orderStats: { orderCount: expect.any(Number) } } });
    expect(fifty.extensions!.sqlStatements).toBe(five.extensions!.sqlStatements);
    expect(fifty.extensions!.sqlStatements).toBeLessThanOrEqual(8);
  });

  it('has an index for each lookup, led by the workspace', async () => {
    const indexes = (await adminQuery(`select indexdef from pg_indexes where tablename in ('customer', 'customer_order')`, server.databaseName)).rows.map((r) => r.indexdef);
    for (const columns of ['workspace_id, order_no', 'workspace_id, external_id', 'workspace_id, platform, external_id', 'workspace_id, placed_at, id', 'customer_id, placed_at']) {
      expect(indexes).toContainEqual(expect.stringContaining(`ON public.customer_order USING btree (${columns})`));
    }
    expect(indexes).toContainEqual(expect.stringContaining('ON public.customer USING btree (workspace_id, name, id)'));
  });
});
