import { adminQuery } from './support/database';
import { dataOf, errorCode, gql, subscribe } from './support/client';
import { PASSWORD, signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { order, ORDERS_IMPORT } from './customers-fixtures';

let server: TestServer;
let shop: SignedUp;

beforeAll(async () => {
  server = await startTestServer();
  shop = await signUpWorkspace(server.url, '限额小店');
});
afterAll(async () => {
  await server?.stop();
});

/** `query { ...F0 } fragment F0 on Query { ...F1 ...F1 } … fragment F<levels> on Query { __typename }`: 2^levels spreads. */
function fragmentBomb(levels: number): string {
  const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} }`);
  return `query Bomb { ...F0 } ${fragments.join(' ')} fragment F${levels} on Query { __typename }`;
}

const count = async (table: string) => Number((await adminQuery(`select count(*) from ${table}`, server.databaseName)).rows[0].count);

describe('fragment bomb', () => {
  // 2^24 spreads: a walk that expands every spread (the depth walk before, graphql-query-complexity) takes ~40 s.
  const bomb = fragmentBomb(24);

  it('is refused over HTTP at once, before pricing, while another request is served', async () => {
    expect(bomb.length).toBeLessThan(1500);
    const started = Date.now();
    const [refused, served] = await Promise.all([
      gql(server.url, bomb),
      gql(server.url, `{ me { email } }`, {}, shop.token),
    ]);
    expect(Date.now() - started).toBeLessThan(2000); // generous on a busy machine; it takes milliseconds
    expect(refused.status).toBe(400);
    expect(refused.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_LARGE' });
    expect(refused.errors?.[0].message).toMatch(/selects \d+ fields once its fragments are expanded; the limit is 2000/);
    expect(dataOf(served).me.email).toBe(shop.email);
  });

  it('is refused over WebSocket with the same code', async () => {
    const stream = subscribe(server.wsUrl, bomb, shop.token);
    const answer = await stream.next(5000);
    expect(answer.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_LARGE' });
    expect(answer.errors?.[0].extensions?.http).toBeUndefined();
    await stream.close();
  });

  it('measures a legitimate document that reuses fragments by its expanded size', async () => {
    const query = `query { ...A ...A } fragment A on Query { me { ...U } viewer { user { ...U } } } fragment U on User { id email displayName }`;
    const result = await gql(server.url, query, {}, shop.token);
    expect(dataOf(result).me.email).toBe(shop.email);
    expect(result.extensions?.cost).toMatchObject({ requested: 2 * 3, depth: 3 }); // each spread is priced
  });
});

describe('work per request', () => {
  const login = (n: number) =>
    `mutation { ${Array.from({ length: n }, (_, i) => `l${i}: login(input: { email: "${shop.email}", password: "${PASSWORD}" }) { token }`).join(' ')} }`;
  const signUps = (n: number) =>
    `mutation { ${Array.from({ length: n }, (_, i) => `s${i}: signUp(input: { workspaceName: "w${i}", email: "bomb${i}@shop.example", password: "${PASSWORD}", displayName: "x" }) { token }`).join(' ')} }`;

  it('refuses 1,000 login aliases, 1,000 signUp aliases and 2,000 totalCount aliases before running any', async () => {
    const [workspaces, sessions, failures] = [await count('workspace'), await count('session'), await count('login_failure')];
    const totals = `{ ${Array.from({ length: 2000 }, (_, i) => `c${i}: customers { totalCount }`).join(' ')} }`;
    for (const document of [login(1000), signUps(1000), totals]) {
      const result = await gql(server.url, document);
      expect(result.status).toBe(400);
      expect(errorCode(result)).toBe('BAD_USER_INPUT');
      expect(result.data).toBeUndefined();
      expect(result.extensions?.sqlStatements ?? 0).toBe(0);
    }
    expect([await count('workspace'), await count('session'), await count('login_failure')]).toEqual([workspaces, sessions, failures]);
  });

  it('limits tokens, aliases, directives and root fields, each with its own message', async () => {
    const aliases = await gql(server.url, `{ me { ${Array.from({ length: 31 }, (_, i) => `a${i}: id`).join(' ')} } }`);
    expect(aliases.errors?.[0]).toMatchObject({ message: expect.stringContaining('Aliases limit of 30 exceeded, found 31'), extensions: { code: 'BAD_USER_INPUT' } });
    const directives = await gql(server.url, `{ __typename ${'@include(if: true) '.repeat(51)} }`);
    expect(directives.errors?.[0]).toMatchObject({ message: expect.stringContaining('Directives limit of 50 exceeded, found 51'), extensions: { code: 'BAD_USER_INPUT' } });
    const tokens = await gql(server.url, `{ __typename ${'__typename '.repeat(2000)} }`);
    expect(tokens.errors?.[0]).toMatchObject({ message: expect.stringMatching(/more th.. 2000 tokens/), extensions: { code: 'BAD_USER_INPUT' } });
    const roots = await gql(server.url, `{ ${Array.from({ length: 21 }, (_, i) => `m${i}: me { id }`).join(' ')} }`, {}, shop.token);
    expect(roots.errors?.[0]).toMatchObject({ message: 'The operation has 21 root fields; the limit is 20. Send several requests', extensions: { code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ROOT_FIELDS' } });
    const twenty = await gql(server.url, `{ ${Array.from({ length: 20 }, (_, i) => `m${i}: me { id }`).join(' ')} }`, {}, shop.token);
    expect(dataOf(twenty).m19.id).toBeTruthy();
  });

  it('prices a password hash at 200, so one request hashes at most 10 passwords', async () => {
    const eleven = await gql(server.url, login(11));
    expect(eleven.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY', cost: { requested: 11 * 200 } });
    const ten = await gql(server.url, login(10));
    expect(ten.extensions?.cost.requested).toBe(10 * 200);
    expect(Object.values(dataOf(ten)).every((l: any) => l.token)).toBe(true);
    // other mutations cost 10 plus what they select
    const logout = await gql(server.url, `mutation { logout { userErrors { code } } }`, {}, dataOf(ten).l0.token);
    expect(logout.extensions?.cost.requested).toBe(10 + 1);
  });
});

describe('cost model', () => {
  const workbench = `query Workbench($after: String) {
    customers(first: 50, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      nodes {
        id customerNo name nickname phone email province city lastOrderAt
        tags { id name group }
        orderStats { orderCount totalSpent { amount currency } }
        orders(first: 5) { totalCount nodes { id orderNo platform status totalAmount { amount currency } placedAt items { sku title quantity unitPrice { amount currency } } } }
        followUps(first: 3) { nodes { id method content happenedAt nextFollowUpOn author { displayName } } }
      }
    }
  }`;

  it('admits a workbench list of 50 customers with 5 orders each, their items, tags and 3 follow-ups', async () => {
    const rows = Array.from({ length: 250 }, (_, i) => order({ customerExternalId: `buyer-${Math.floor(i / 5)}`, externalId: `WB-${i}` }));
    expect(dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, shop.token)).ordersImport.userErrors).toEqual([]);
    const result = await gql(server.url, workbench, {}, shop.token);
    const customers = dataOf(result).customers.nodes;
    expect(customers).toHaveLength(50);
    expect(customers.every((c: any) => c.orders.nodes.length === 5 && c.orders.nodes[0].items.length === 1)).toBe(true);
    expect(result.extensions?.cost.requested).toBe(1401); // of MAX_QUERY_COST's default 2000 (README)
  });

  it('still refuses a query that would fan out to a million rows', async () => {
    const abusive = `{ customers(first: 100) { nodes { orders(first: 100) { nodes { customer { followUps(first: 100) { nodes { id } } } } } } } }`;
    const result = await gql(server.url, abusive, {}, shop.token);
    expect(result.errors?.[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'QUERY_TOO_COSTLY' });
    expect(result.errors?.[0].extensions?.cost.requested).toBeGreaterThan(1_000_000);
  });

  it('prices a document sent again with other variables by those values (the price is kept per document and values)', async () => {
    const price = async (query: string, variables: Record<string, unknown> = {}) => {
      const result = await gql(server.url, query, variables, shop.token);
      expect(result.errors).toBeUndefined();
      return result.extensions?.cost.requested as number;
    };
    const paged = `query Paged($first: Int = 10, $orders: Boolean!) {
      customers(first: $first) { nodes { id orders(first: 3) @include(if: $orders) { nodes { id } } } } }`;
    const inlined = (first: number | null, orders: boolean) =>
      `{ customers(first: ${first}) { nodes { id ${orders ? 'orders(first: 3) { nodes { id } }' : ''} } } }`;
    for (const [first, orders] of [[5, false], [50, false], [5, true], [50, true], [5, false]] as const) {
      expect(await price(paged, { first, orders })).toBe(await price(inlined(first, orders)));
    }
    // not sent: the document's default (10); sent as null: the connection's default page
    expect(await price(paged, { orders: true })).toBe(await price(inlined(10, true)));
    expect(await price(paged, { first: null, orders: true })).toBe(await price(inlined(null, true)));
    // a price that a schema `complexity` function computes from an argument (nodes: per id)
    const nodes = `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`;
    const one = await price(nodes, { ids: ['Q3VzdG9tZXI6MQ'] });
    const three = await price(nodes, { ids: ['Q3VzdG9tZXI6MQ', 'Q3VzdG9tZXI6Mg', 'Q3VzdG9tZXI6Mw'] });
    expect(three).toBeGreaterThan(one);
    expect(await price(nodes, { ids: ['Q3VzdG9tZXI6MQ'] })).toBe(one);
    // a variable the price does not read is still refused when bad, by execution once the price is known
    const sorted = `query($sort: CustomerSort) { customers(first: 5, sort: $sort) { nodes { id } } }`;
    await price(sorted, { sort: { field: 'NAME' } });
    const bad = await gql(server.url, sorted, { sort: { field: 'NOPE' } }, shop.token);
    expect(bad.status).toBe(400);
    expect(bad.errors?.[0]).toMatchObject({ message: expect.stringContaining('NOPE'), extensions: { code: 'BAD_USER_INPUT' } });
  });
});
