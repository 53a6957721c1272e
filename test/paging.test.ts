import { adminQuery } from './support/database';
import { dataOf, errorCode, gql } from './support/client';
import { createApiKey, createUserWithRole, signUpWorkspace, workspaceDate, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer, createTag, ORDERS_IMPORT, order } from './customers-fixtures';

/*
 * Relay paging on every connection: first/after forwards, last/before backwards, a sort direction, keyset only.
 * Each list is walked page by page in both directions; the pages must join up into the whole list exactly, and
 * every page's pageInfo must say exactly what lies on either side.
 */

let server: TestServer;
let owner: SignedUp;
const uuidOf = (globalId: string) => Buffer.from(globalId, 'base64url').toString().split(':')[1];
const cursor = (value: unknown, id = '00000000-0000-4000-8000-000000000000') => Buffer.from(JSON.stringify([value, id])).toString('base64url');
const ids = (rows: Array<{ id: string }>) => rows.map((r) => r.id);

const PAGE_VARS = '$first: Int, $after: String, $last: Int, $before: String';
const PAGE_ARGS = 'first: $first, after: $after, last: $last, before: $before';
const CONNECTION = 'totalCount edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor }';

interface Page {
  totalCount: number;
  edges: Array<{ cursor: string; node: { id: string } }>;
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

/** A list to walk: a query taking the four paging variables, and where its connection is in the answer. */
interface List {
  query: string;
  variables?: Record<string, unknown>;
  connection: (data: any) => Page;
}

async function page(list: List, paging: Record<string, unknown>): Promise<Page> {
  return list.connection(dataOf(await gql(server.url, list.query, { ...list.variables, ...paging }, owner.token)));
}

/**
 * Walks a list forwards (first/after) and backwards (last/before) in pages of `size`, checking each page's items
 * and pageInfo exactly against `all`; returns the ids read forwards.
 */
async function walk(list: List, size: number, all: string[]): Promise<void> {
  const pageCount = Math.max(1, Math.ceil(all.length / size));
  // Forwards: pages [0, size), [size, 2 size), ...
  let after: string | null = null;
  for (let i = 0; i < pageCount; i++) {
    const got = await page(list, { first: size, after });
    const want = all.slice(i * size, (i + 1) * size);
    expect({ page: i, ids: ids(got.edges.map((e) => e.node)), totalCount: got.totalCount, pageInfo: got.pageInfo }).toEqual({
      page: i,
      ids: want,
      totalCount: all.length,
      pageInfo: {
        hasNextPage: i < pageCount - 1,
        hasPreviousPage: i > 0,
        startCursor: got.edges[0]?.cursor ?? null,
        endCursor: got.edges.at(-1)?.cursor ?? null,
      },
    });
    after = got.pageInfo.endCursor;
  }
  // Backwards from the end: pages (n - size, n], (n - 2 size, n - size], ...
  let before: string | null = null;
  for (let i = 0; i < pageCount; i++) {
    const got = await page(list, { last: size, before });
    const end = all.length - i * size;
    const want = all.slice(Math.max(0, end - size), end);
    expect({ page: -i, ids: ids(got.edges.map((e) => e.node)), totalCount: got.totalCount, pageInfo: got.pageInfo }).toEqual({
      page: -i,
      ids: want,
      totalCount: all.length,
      pageInfo: {
        hasNextPage: i > 0,
        hasPreviousPage: i < pageCount - 1,
        startCursor: got.edges[0]?.cursor ?? null,
        endCursor: got.edges.at(-1)?.cursor ?? null,
      },
    });
    before = got.pageInfo.startCursor;
  }
  // From the middle, both ways: the items just before and just after an item's cursor.
  if (all.length >= 3) {
    const whole = await page(list, { first: 100 });
    const middle = Math.floor(all.length / 2);
    const at = whole.edges[middle].cursor;
    const back = await page(list, { last: 2, before: at });
    expect({ ids: ids(back.edges.map((e) => e.node)), hasPreviousPage: back.pageInfo.hasPreviousPage, hasNextPage: back.pageInfo.hasNextPage })
      .toEqual({ ids: all.slice(Math.max(0, middle - 2), middle), hasPreviousPage: middle > 2, hasNextPage: true });
    const forth = await page(list, { first: 2, after: at });
    expect({ ids: ids(forth.edges.map((e) => e.node)), hasPreviousPage: forth.pageInfo.hasPreviousPage, hasNextPage: forth.pageInfo.hasNextPage })
      .toEqual({ ids: all.slice(middle + 1, middle + 3), hasPreviousPage: true, hasNextPage: middle + 3 < all.length });
  }
}

/** Ids of the caller's workspace's rows in SQL order, as global ids. */
async function expected(type: string, sql: string, params: unknown[] = []): Promise<string[]> {
  const rows = (await adminQuery(sql, server.databaseName, [uuidOf(owner.workspaceId), ...params])).rows;
  return rows.map((r) => Buffer.from(`${type}:${r.id}`).toString('base64url'));
}

const customersList = (sort?: Record<string, unknown>): List => ({
  query: `query(${PAGE_VARS}, $sort: CustomerSort) { customers(${PAGE_ARGS}, sort: $sort) { ${CONNECTION} } }`,
  variables: { sort },
  connection: (data) => data.customers,
});

let buyerWithOrders: string;

beforeAll(async () => {
  server = await startTestServer();
  owner = await signUpWorkspace(server.url);
  // One import creates its buyers at one instant (a tie on createdAt broken by id); 张三 twice ties on name; the
  // 4th and 5th orders of a buyer tie on placedAt.
  const names = ['王五', '张三', '李四', '张三', '赵六', '钱七'];
  const rows = names.flatMap((name, i) => Array.from({ length: 1 + (i % 5) }, (_, k) => order({
    customerExternalId: `pager${i}`, customerName: name, externalId: `P${i}-${k}`, items: [],
    placedAt: `2025-0${1 + Math.min(k, 3)}-0${1 + i}T00:00:00Z`,
  })));
  expect(dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, owner.token)).ordersImport).toMatchObject({ userErrors: [], createdCustomers: 6 });
  const soon = (days: number) => workspaceDate(days).slice(5, 10);
  for (const [i, name] of ['孙八', '周九', '吴十'].entries()) await createCustomer(server.url, owner.token, { name, birthday: `1990-${soon(i % 2)}` });
  buyerWithOrders = (await expected('Customer', `select c.id from customer c where c.workspace_id = $1 and c.name = '赵六'`))[0];
});

afterAll(async () => {
  await server?.stop();
});

describe('customers', () => {
  it.each([
    ['default (CREATED_AT DESC)', undefined, 'created_at desc, id desc', ''],
    ['CREATED_AT ASC', { field: 'CREATED_AT', direction: 'ASC' }, 'created_at asc, id asc', ''],
    ['NAME (ASC by default)', { field: 'NAME' }, 'name asc, id asc', ''],
    ['NAME DESC', { field: 'NAME', direction: 'DESC' }, 'name desc, id desc', ''],
    ['LAST_ORDER_AT DESC', { field: 'LAST_ORDER_AT' }, 'last_order_at desc, id desc', 'and last_order_at is not null'],
    ['LAST_ORDER_AT ASC', { field: 'LAST_ORDER_AT', direction: 'ASC' }, 'last_order_at asc, id asc', 'and last_order_at is not null'],
  ])('walks %s forwards and backwards, pages of 2 and 4', async (_label, sort, orderBy, where) => {
    const all = await expected('Customer', `select id from customer where workspace_id = $1 ${where} order by ${orderBy}`);
    expect(all.length).toBeGreaterThanOrEqual(6);
    for (const size of [2, 4]) await walk(customersList(sort), size, all);
  });

  it('reverses the order exactly with the direction, ties included', async () => {
    for (const field of ['CREATED_AT', 'NAME', 'LAST_ORDER_AT']) {
      const asc = ids((await page(customersList({ field, direction: 'ASC' }), { first: 100 })).edges.map((e) => e.node));
      const desc = ids((await page(customersList({ field, direction: 'DESC' }), { first: 100 })).edges.map((e) => e.node));
      expect(desc).toEqual([...asc].reverse());
    }
  });

  it('pages an empty list with every pageInfo flag false', async () => {
    const empty: List = { ...customersList(), query: customersList().query.replace('sort: $sort', 'sort: $sort, filter: { search: "没有这个人" }') };
    for (const paging of [{ first: 5 }, { last: 5 }]) {
      expect(await page(empty, paging)).toEqual({ totalCount: 0, edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    }
  });

  it('refuses mixed or out-of-range paging arguments as BAD_USER_INPUT', async () => {
    const [a, b] = (await page(customersList(), { first: 2 })).edges.map((e) => e.cursor);
    for (const paging of [
      { first: 2, last: 2 }, { after: a, before: b }, { first: 2, before: b }, { last: 2, after: a },
      { last: 0 }, { last: 101 }, { first: 0 }, { first: 101 },
    ]) {
      const response = await gql(server.url, customersList().query, paging, owner.token);
      expect({ paging, code: errorCode(response) }).toEqual({ paging, code: 'BAD_USER_INPUT' });
    }
  });
});

describe('nested orders of a customer list', () => {
  const nested = (args: string) => `query { customers(first: 50) { nodes { id orders(${args}) { ${CONNECTION} } } } }`;

  it('reads the last page of every customer in one statement, as it reads the first', async () => {
    const first = await gql(server.url, nested('first: 2'), {}, owner.token);
    const last = await gql(server.url, nested('last: 2'), {}, owner.token);
    const ascending = await gql(server.url, nested('last: 2, sort: { direction: ASC }'), {}, owner.token);
    expect(last.extensions!.sqlStatements).toBe(first.extensions!.sqlStatements);
    expect(ascending.extensions!.sqlStatements).toBe(first.extensions!.sqlStatements);
    for (const [response, direction] of [[last, 'desc'], [ascending, 'asc']] as const) {
      for (const customer of dataOf(response).customers.nodes) {
        const all = await expected('Order', `select id from customer_order where workspace_id = $1 and customer_id = $2 order by placed_at ${direction}, id ${direction}`, [uuidOf(customer.id)]);
        const connection = customer.orders as Page;
        expect({ ids: ids(connection.edges.map((e) => e.node)), pageInfo: connection.pageInfo, totalCount: connection.totalCount }).toEqual({
          ids: all.slice(-2),
          totalCount: all.length,
          pageInfo: { hasNextPage: false, hasPreviousPage: all.length > 2, startCursor: connection.edges[0]?.cursor ?? null, endCursor: connection.edges.at(-1)?.cursor ?? null },
        });
      }
    }
  });

  /**
   * Pages of 2 through one customer's orders from `start` (a page of the batched list), each next page through
   * that customer's own `orders(after | before)`; returns every id read, in list order.
   */
  async function continueFrom(customerId: string, sort: Record<string, unknown>, start: Page, backward: boolean): Promise<string[]> {
    const query = `query($id: ID!, ${PAGE_VARS}, $sort: OrderSort) { customer(id: $id) { orders(${PAGE_ARGS}, sort: $sort) { ${CONNECTION} } } }`;
    let read = ids(start.edges.map((e) => e.node));
    let current = start;
    while (backward ? current.pageInfo.hasPreviousPage : current.pageInfo.hasNextPage) {
      const paging = backward ? { last: 2, before: current.pageInfo.startCursor } : { first: 2, after: current.pageInfo.endCursor };
      current = dataOf(await gql(server.url, query, { id: customerId, sort, ...paging }, owner.token)).customer.orders;
      const got = ids(current.edges.map((e) => e.node));
      expect(got.length).toBeGreaterThan(0);
      // The side the walk came from goes on.
      expect(backward ? current.pageInfo.hasNextPage : current.pageInfo.hasPreviousPage).toBe(true);
      read = backward ? [...got, ...read] : [...read, ...got];
    }
    return read;
  }

  it.each(['DESC', 'ASC'])('pages several customers\' orders %s from the batched first and last pages, each cursor continuing both ways', async (direction) => {
    const sort = { field: 'PLACED_AT', direction };
    const both = `query($sort: OrderSort) { customers(first: 50) { nodes { id
      earliest: orders(first: 2, sort: $sort) { ${CONNECTION} } latest: orders(last: 2, sort: $sort) { ${CONNECTION} }
      oldestOne: orders(first: 1, sort: $sort) { nodes { id } } } } }`;
    const onlyLatest = `query($sort: OrderSort) { customers(first: 50) { nodes { id latest: orders(last: 2, sort: $sort) { ${CONNECTION} } } } }`;
    const response = await gql(server.url, both, { sort }, owner.token);
    // Both ends of every customer's list, in two sizes, come from one statement (and one grouped count), as one end does.
    expect(response.extensions!.sqlStatements).toBe((await gql(server.url, onlyLatest, { sort }, owner.token)).extensions!.sqlStatements);
    const customers = dataOf(response).customers.nodes.filter((c: { latest: Page }) => c.latest.totalCount > 0);
    expect(customers.length).toBeGreaterThanOrEqual(5);
    for (const customer of customers) {
      const all = await expected('Order', `select id from customer_order where workspace_id = $1 and customer_id = $2 order by placed_at ${direction}, id ${direction}`, [uuidOf(customer.id)]);
      const { earliest, latest, oldestOne } = customer as { earliest: Page; latest: Page; oldestOne: { nodes: Array<{ id: string }> } };
      expect(ids(oldestOne.nodes)).toEqual(all.slice(0, 1));
      expect({ ids: ids(latest.edges.map((e) => e.node)), totalCount: latest.totalCount, hasNextPage: latest.pageInfo.hasNextPage, hasPreviousPage: latest.pageInfo.hasPreviousPage })
        .toEqual({ ids: all.slice(-2), totalCount: all.length, hasNextPage: false, hasPreviousPage: all.length > 2 });
      expect({ ids: ids(earliest.edges.map((e) => e.node)), totalCount: earliest.totalCount, hasNextPage: earliest.pageInfo.hasNextPage, hasPreviousPage: earliest.pageInfo.hasPreviousPage })
        .toEqual({ ids: all.slice(0, 2), totalCount: all.length, hasNextPage: all.length > 2, hasPreviousPage: false });
      // Backwards from the last page to the start, forwards from the first to the end: the whole list each way.
      expect(await continueFrom(customer.id, sort, latest, true)).toEqual(all);
      expect(await continueFrom(customer.id, sort, earliest, false)).toEqual(all);
      // And the other way from each batched page: forwards after the last page is nothing, backwards before the first too.
      const query = `query($id: ID!, ${PAGE_VARS}, $sort: OrderSort) { customer(id: $id) { orders(${PAGE_ARGS}, sort: $sort) { ${CONNECTION} } } }`;
      const beyondLast = dataOf(await gql(server.url, query, { id: customer.id, sort, first: 2, after: latest.pageInfo.endCursor }, owner.token)).customer.orders;
      expect({ ids: beyondLast.edges, hasPreviousPage: beyondLast.pageInfo.hasPreviousPage }).toEqual({ ids: [], hasPreviousPage: true });
      const beforeFirst = dataOf(await gql(server.url, query, { id: customer.id, sort, last: 2, before: earliest.pageInfo.startCursor }, owner.token)).customer.orders;
      expect({ ids: beforeFirst.edges, hasNextPage: beforeFirst.pageInfo.hasNextPage }).toEqual({ ids: [], hasNextPage: true });
    }
  });

  it.each(['DESC', 'ASC'])('walks one customer\'s orders %s forwards and backwards, a batched page joining the cursor pages', async (direction) => {
    const all = await expected('Order', `select id from customer_order where workspace_id = $1 and customer_id = $2 order by placed_at ${direction}, id ${direction}`, [uuidOf(buyerWithOrders)]);
    expect(all).toHaveLength(5);
    const list: List = {
      query: `query($id: ID!, ${PAGE_VARS}, $sort: OrderSort) { customer(id: $id) { orders(${PAGE_ARGS}, sort: $sort) { ${CONNECTION} } } }`,
      variables: { id: buyerWithOrders, sort: { field: 'PLACED_AT', direction } },
      connection: (data) => data.customer.orders,
    };
    for (const size of [1, 2, 3]) await walk(list, size, all);
  });
});

describe('every other connection', () => {
  beforeAll(async () => {
    for (const name of ['甲', '乙', '丙', '丁', '戊']) await createTag(server.url, owner.token, { name, group: 'PREFERENCE' });
    for (const role of ['AGENT', 'ANALYST']) await createUserWithRole(server.url, owner.token, role);
    for (let i = 0; i < 3; i++) await createApiKey(server.url, owner.token, ['customers:read']);
    const customers = dataOf(await gql(server.url, `{ customers(first: 5) { nodes { id } } }`, {}, owner.token)).customers.nodes;
    // Two follow-ups due on one day: the id breaks the tie.
    for (const [i, c] of customers.entries()) {
      const input = { customerId: c.id, method: 'PHONE', content: `回访${i}`, happenedAt: new Date().toISOString(), nextFollowUpOn: workspaceDate(i % 3) };
      expect(dataOf(await gql(server.url, `mutation($input: FollowUpCreateInput!) { followUpCreate(input: $input) { userErrors { code } } }`, { input }, owner.token)).followUpCreate.userErrors).toEqual([]);
    }
  });

  const lists: Array<[string, string, string, string[]]> = [
    ['orders', 'OrderSort', 'orders', ['PLACED_AT']],
    ['tags', 'TagSort', 'tags', ['NAME', 'CREATED_AT']],
    ['users', 'UserSort', 'users', ['CREATED_AT']],
    ['apiKeys', 'ApiKeySort', 'apiKeys', ['CREATED_AT']],
    ['auditLog', 'AuditEntrySort', 'auditLog', ['CREATED_AT']],
    ['followUpsDue', 'FollowUpDueSort', 'followUpsDue', ['NEXT_FOLLOW_UP_ON']],
    ['upcomingBirthdays', 'UpcomingBirthdaySort', 'upcomingBirthdays', ['MONTH_DAY']],
  ];

  it.each(lists)('%s: walks both directions of every sort forwards and backwards', async (_name, sortType, field, sortFields) => {
    for (const sortField of sortFields) {
      const byDirection: Record<string, string[]> = {};
      for (const direction of ['ASC', 'DESC']) {
        const list: List = {
          query: `query(${PAGE_VARS}, $sort: ${sortType}) { ${field}(${PAGE_ARGS}, sort: $sort) { ${CONNECTION} } }`,
          variables: { sort: { field: sortField, direction } },
          connection: (data) => data[field],
        };
        const all = ids((await page(list, { first: 100 })).edges.map((e) => e.node));
        expect(all.length).toBeGreaterThanOrEqual(2);
        await walk(list, 2, all);
        byDirection[direction] = all;
      }
      expect(byDirection.DESC).toEqual([...byDirection.ASC].reverse());
    }
  });
});

describe('forged cursors', () => {
  // Each is what a client could send by hand; none may reach PostgreSQL (an INTERNAL_SERVER_ERROR), all are the
  // client's mistake.
  const forgedForTimestamps: Array<[string, string]> = [
    ['a non-date', cursor('not a date')],
    ['a number', cursor(1700000000000)],
    ['a NUL', cursor('2025-01-01T00:00:00.000Z\u0000')],
    ['a lone NUL', cursor('\u0000')],
    ['year 0', cursor('0000-01-01T00:00:00.000Z')],
    ['an impossible day', cursor('2025-02-30T00:00:00.000Z')],
    ['a date-only value', cursor('2025-01-01')],
    ['a year past 9999', cursor('+010000-01-01T00:00:00.000Z')],
    ['null', cursor(null)],
    ['an object', cursor({ $gt: '' })],
    ['a name (a cursor of the NAME order)', cursor('张三')],
    ['a bad id', Buffer.from(JSON.stringify(['2025-01-01T00:00:00.000Z', "x' or 1=1"])).toString('base64url')],
    ['a NUL in the id', Buffer.from(JSON.stringify(['2025-01-01T00:00:00.000Z', '\u0000'])).toString('base64url')],
    ['three elements', Buffer.from(JSON.stringify(['2025-01-01T00:00:00.000Z', '00000000-0000-4000-8000-000000000000', 1])).toString('base64url')],
    ['not JSON', Buffer.from('[1,').toString('base64url')],
    ['not base64url', '!!!'],
    ['very long', 'A'.repeat(5000)],
  ];
  const forgedForText: Array<[string, string]> = [
    ['a number', cursor(42)],
    ['a NUL', cursor('张\u0000三')],
    ['a lone surrogate', cursor('\ud800')],
    ['a boolean', cursor(true)],
    ['an array', cursor(['张三'])],
  ];
  const forgedForDates: Array<[string, string]> = [
    ['a non-date', cursor('soon')],
    ['a number', cursor(20250101)],
    ['month 13', cursor('2025-13-01')],
    ['year 0', cursor('0000-01-01')],
    ['a NUL', cursor('2025-01-01\u0000')],
    ['a timestamp', cursor('2025-01-01T00:00:00.000Z')],
  ];

  async function expectRefused(query: string, variables: Record<string, unknown>) {
    for (const argument of ['after', 'before']) {
      const response = await gql(server.url, query, { ...variables, [argument]: variables.cursor }, owner.token);
      expect({ argument, status: response.status, code: errorCode(response), field: response.errors?.[0]?.extensions?.field })
        .toEqual({ argument, status: 200, code: 'BAD_USER_INPUT', field: [argument] });
    }
  }

  it.each(forgedForTimestamps)('refuses a cursor of a timestamp-sorted list holding %s', async (_label, forged) => {
    await expectRefused(`query($after: String, $before: String) { customers(after: $after, before: $before) { totalCount nodes { id } } }`, { cursor: forged });
    // the nested path (a cursor page of one customer's orders) decodes in the same place
    await expectRefused(`query($id: ID!, $after: String, $before: String) { customer(id: $id) { orders(after: $after, before: $before) { nodes { id } } } }`, { cursor: forged, id: buyerWithOrders });
  });

  it.each(forgedForText)('refuses a cursor of a name-sorted list holding %s', async (_label, forged) => {
    await expectRefused(`query($after: String, $before: String) { customers(after: $after, before: $before, sort: { field: NAME }) { nodes { id } } }`, { cursor: forged });
    await expectRefused(`query($after: String, $before: String) { tags(after: $after, before: $before) { nodes { id } } }`, { cursor: forged });
  });

  it.each(forgedForDates)('refuses a cursor of a date-sorted list holding %s', async (_label, forged) => {
    await expectRefused(`query($after: String, $before: String) { followUpsDue(after: $after, before: $before) { nodes { id } } }`, { cursor: forged });
  });

  it('accepts well-formed cursors of every type, even for rows that do not exist', async () => {
    const valid = [
      [`{ customers(after: "${cursor('2025-01-01T00:00:00.000Z')}") { totalCount } }`, 'customers'],
      [`{ customers(sort: { field: NAME }, before: "${cursor('张三')}") { totalCount } }`, 'customers'],
      [`{ followUpsDue(after: "${cursor('2025-01-01')}") { totalCount } }`, 'followUpsDue'],
    ];
    for (const [query, field] of valid) expect(dataOf(await gql(server.url, query, {}, owner.token))[field].totalCount).toBeGreaterThan(0);
  });
});
