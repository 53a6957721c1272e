import { adminQuery } from './support/database';
import { dataOf, errorCode, gql } from './support/client';
import { signUpWorkspace, type SignedUp } from './support/fixtures';
import { startTestServer, type TestServer } from './support/server';
import { createCustomer, ORDERS_IMPORT, ORDER_UPSERT, order, search, SEARCH } from './customers-fixtures';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.stop();
});

const count = async (table: string, workspace: SignedUp) =>
  Number((await adminQuery(
    `select count(*) from ${table} where workspace_id = (select workspace_id from "user" where email = $1)`, server.databaseName, [workspace.email],
  )).rows[0].count);

const STATS = `query($id: ID!) { customer(id: $id) { orderStats { orderCount totalSpent { amount currency } averageOrderValue { amount currency } firstPurchaseAt lastPurchaseAt favoriteCategory favoriteBrand }
  orders(first: 10) { totalCount nodes { externalId status totalAmount { amount currency } items { sku quantity unitPrice { amount currency } category brand } } } } }`;

describe('orderUpsert', () => {
  it('creates an order, then updates the same one by platform and external id, replacing its items', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '孙悟空' });
    const first = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, externalId: 'TB-1001', orderNo: 'NO-1001' }) }, owner.token)).orderUpsert;
    expect(first).toMatchObject({ created: true, userErrors: [], order: { orderNo: 'NO-1001', totalAmount: { amount: '199.00', currency: 'CNY' }, customer: { id: customer.id } } });
    const again = dataOf(await gql(server.url, ORDER_UPSERT, {
      input: order({
        customerId: customer.id, externalId: 'TB-1001', platform: 'TaoBao', status: 'DELIVERED', totalAmount: '99.99', deliveredAt: '2025-03-05T10:00:00Z',
        items: [{ sku: 'A', title: '保温杯', category: '家居', brand: '膳魔师', quantity: 3, unitPrice: '33.33' }],
      }),
    }, owner.token)).orderUpsert;
    expect(again).toMatchObject({ created: false, order: { id: first.order.id, status: 'DELIVERED', totalAmount: { amount: '99.99', currency: 'CNY' }, items: [{ sku: 'A', quantity: 3, unitPrice: { amount: '33.33', currency: 'CNY' } }] } });
    expect(await count('customer_order', owner)).toBe(1);
    expect(await count('order_item', owner)).toBe(1);
    const stats = dataOf(await gql(server.url, STATS, { id: customer.id }, owner.token)).customer.orderStats;
    expect(stats).toMatchObject({ orderCount: 1, totalSpent: { amount: '99.99', currency: 'CNY' }, averageOrderValue: { amount: '99.99', currency: 'CNY' }, favoriteCategory: '家居', favoriteBrand: '膳魔师' });
  });

  it('refuses bad orders with clear userErrors and writes nothing', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '猪八戒' });
    const cases: [Record<string, unknown>, string, string?][] = [
      [{ totalAmount: '-1.00', items: [] }, 'totalAmount'],
      [{ totalAmount: 'abc', items: [] }, 'totalAmount'],
      [{ totalAmount: '1.005', items: [] }, 'totalAmount'],
      [{ totalAmount: '150.00' }, 'totalAmount', 'disagrees with the items, which add up to 199.00'],
      [{ items: [{ sku: 'X', title: 'x', quantity: 1, unitPrice: '-199.00' }] }, 'items.0.unitPrice'],
      [{ items: [{ sku: 'X', title: 'x', quantity: 0, unitPrice: '199.00' }] }, 'items.0.quantity'],
      [{ currency: 'XYZ' }, 'currency', 'ISO 4217'],
      [{ deliveredAt: '2025-02-01T00:00:00Z' }, 'deliveredAt', 'before placedAt'],
      [{ paidAt: '2025-02-01T00:00:00Z' }, 'paidAt', 'before placedAt'],
      [{ shippedAt: '2025-03-03T00:00:00Z', deliveredAt: '2025-03-02T00:00:00Z' }, 'deliveredAt', 'before shippedAt'],
      [{ customerId: null }, 'customerId'],
      [{ customerExternalId: 'buyer' }, 'customerId'],
      [{ platform: 'no spaces please' }, 'platform'],
    ];
    for (const [overrides, field, message] of cases) {
      const payload = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, ...overrides }) }, owner.token)).orderUpsert;
      expect(payload.order).toBeNull();
      const error = payload.userErrors.find((e: any) => e.field.join('.') === `input.${field}`);
      expect({ overrides, error }).toEqual({ overrides, error: expect.objectContaining({ code: expect.any(String) }) });
      if (message) expect(error.message).toContain(message);
    }
    // a JSON number is taken as written, never as a float
    const numeric = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, totalAmount: 199, items: [{ sku: 'X', title: 'x', quantity: 2, unitPrice: 99.5 }] }) }, owner.token)).orderUpsert;
    expect(numeric.order.totalAmount).toEqual({ amount: '199.00', currency: 'CNY' });
    expect(await count('customer_order', owner)).toBe(1);
    expect(errorCode(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, status: 'LOST' }) }, owner.token))).toBe('BAD_USER_INPUT');
  });

  it('shows every amount as Money, in the currency of its order', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '周星驰' });
    const none = dataOf(await gql(server.url, STATS, { id: customer.id }, owner.token)).customer.orderStats;
    expect(none).toMatchObject({ orderCount: 0, totalSpent: { amount: '0.00', currency: 'CNY' }, averageOrderValue: null });
    const items = [{ sku: 'HK-1', title: '凤梨酥', quantity: 2, unitPrice: '60.50' }];
    const hk = dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: customer.id, currency: 'hkd', totalAmount: '121.00', items }) }, owner.token)).orderUpsert;
    expect(hk.order).toMatchObject({ totalAmount: { amount: '121.00', currency: 'HKD' }, items: [{ unitPrice: { amount: '60.50', currency: 'HKD' } }] });
    const read = dataOf(await gql(server.url, STATS, { id: customer.id }, owner.token)).customer;
    expect(read.orderStats).toMatchObject({ totalSpent: { amount: '121.00', currency: 'HKD' }, averageOrderValue: { amount: '121.00', currency: 'HKD' } });
    expect(read.orders.nodes[0].items[0].unitPrice).toEqual({ amount: '60.50', currency: 'HKD' });
  });

  it('leaves canceled and refunded orders out of the statistics, and moving an order updates both customers', async () => {
    const owner = await signUpWorkspace(server.url);
    const a = await createCustomer(server.url, owner.token, { name: '沙僧' });
    const b = await createCustomer(server.url, owner.token, { name: '唐僧' });
    const upsert = async (input: Record<string, unknown>) => dataOf(await gql(server.url, ORDER_UPSERT, { input: order(input) }, owner.token)).orderUpsert;
    await upsert({ customerId: a.id, externalId: 'O1', totalAmount: '100.00', items: [], placedAt: '2025-01-01T00:00:00Z' });
    await upsert({ customerId: a.id, externalId: 'O2', totalAmount: '50.01', items: [], placedAt: '2025-02-01T00:00:00Z' });
    await upsert({ customerId: a.id, externalId: 'O3', totalAmount: '999.00', items: [], status: 'REFUNDED', placedAt: '2025-03-01T00:00:00Z' });
    await upsert({ customerId: a.id, externalId: 'O4', totalAmount: '10.00', items: [], currency: 'USD', placedAt: '2024-12-01T00:00:00Z' });
    let stats = dataOf(await gql(server.url, STATS, { id: a.id }, owner.token)).customer.orderStats;
    expect(stats).toMatchObject({
      orderCount: 3, totalSpent: { amount: '150.01', currency: 'CNY' }, averageOrderValue: { amount: '75.01', currency: 'CNY' },
      firstPurchaseAt: '2024-12-01T00:00:00.000Z', lastPurchaseAt: '2025-02-01T00:00:00.000Z',
    });
    await upsert({ customerId: b.id, externalId: 'O2', totalAmount: '50.01', items: [], placedAt: '2025-02-01T00:00:00Z' });
    stats = dataOf(await gql(server.url, STATS, { id: a.id }, owner.token)).customer.orderStats;
    expect(stats).toMatchObject({ orderCount: 2, totalSpent: { amount: '100.00', currency: 'CNY' }, lastPurchaseAt: '2025-01-01T00:00:00.000Z' });
    const byLast = (await gql(server.url, `{ customers(sort: { field: LAST_ORDER_AT }) { nodes { name lastOrderAt } } }`, {}, owner.token)).data.customers.nodes;
    expect(byLast).toEqual([{ name: '唐僧', lastOrderAt: '2025-02-01T00:00:00.000Z' }, { name: '沙僧', lastOrderAt: '2025-01-01T00:00:00.000Z' }]);
  });
});

describe('ordersImport', () => {
  it('commits the valid rows and reports each refused row with its index', async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '白龙马' });
    const rows = [
      order({ customerId: customer.id }),
      order({ customerId: customer.id, totalAmount: 'twelve', items: [] }),
      order({ customerId: customer.id }),
      order({ customerId: customer.id, currency: 'ABC', deliveredAt: '2020-01-01T00:00:00Z' }),
      order({ customerExternalId: 'new-buyer', customerName: '新买家' }),
    ];
    const result = dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, owner.token)).ordersImport;
    expect(result.importedCount).toBe(3);
    expect(result.createdCustomers).toBe(1);
    expect(result.userErrors.map((e: any) => [e.index, e.field.join('.')])).toEqual([
      [1, 'input.orders.1.totalAmount'],
      [3, 'input.orders.3.currency'],
      [3, 'input.orders.3.deliveredAt'],
    ]);
    expect(await count('customer_order', owner)).toBe(3);
    expect((await search(server.url, owner.token, { search: '新买家' })).nodes).toHaveLength(1);
  });

  it('creates each unknown buyer once, and importing the same rows again changes nothing', async () => {
    const owner = await signUpWorkspace(server.url);
    const rows = [
      order({ customerExternalId: 'buyer-a', externalId: 'I1' }),
      order({ customerExternalId: 'buyer-a', externalId: 'I2' }),
      order({ customerExternalId: 'buyer-b', externalId: 'I3', platform: 'jd' }),
      order({ customerExternalId: 'buyer-a', externalId: 'I4', platform: 'jd' }),
    ];
    const first = dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, owner.token)).ordersImport;
    // buyer ids are per platform: taobao buyer-a, jd buyer-b, jd buyer-a
    expect(first).toEqual({ importedCount: 4, createdCustomers: 3, userErrors: [] });
    const again = dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, owner.token)).ordersImport;
    expect(again).toEqual({ importedCount: 4, createdCustomers: 0, userErrors: [] });
    expect([await count('customer_order', owner), await count('customer', owner), await count('order_item', owner)]).toEqual([4, 3, 4]);
    const buyer = (await search(server.url, owner.token, { search: 'buyer-a' })).nodes;
    expect(buyer.map((c: any) => c.name).sort()).toEqual(['buyer-a', 'buyer-a']);
  });

  it('refuses a row repeating an earlier row of the call, and a call of more than 1,000 rows as a whole', async () => {
    const owner = await signUpWorkspace(server.url);
    const twice = dataOf(await gql(server.url, ORDERS_IMPORT, {
      input: { orders: [order({ customerExternalId: 'x', externalId: 'D1' }), order({ customerExternalId: 'x', externalId: 'D1' })] },
    }, owner.token)).ordersImport;
    expect(twice).toMatchObject({ importedCount: 1, userErrors: [{ index: 1, field: ['input', 'orders', '1', 'externalId'], code: 'DUPLICATE' }] });
    const tooMany = dataOf(await gql(server.url, ORDERS_IMPORT, {
      input: { orders: Array.from({ length: 1001 }, (_, i) => order({ customerExternalId: 'x', externalId: `M${i}`, items: [] })) },
    }, owner.token)).ordersImport;
    expect(tooMany).toEqual({ importedCount: 0, createdCustomers: 0, userErrors: [expect.objectContaining({ index: null, field: ['input', 'orders'], code: 'LIMIT_EXCEEDED' })] });
    expect(await count('customer_order', owner)).toBe(1);
  });

  it('creates buyers that keyset pagination lists exactly once each, though one call creates them all at once', async () => {
    const owner = await signUpWorkspace(server.url);
    const rows = Array.from({ length: 30 }, (_, i) => order({ customerExternalId: `page-buyer-${i}`, externalId: `P${i}`, items: [] }));
    expect(dataOf(await gql(server.url, ORDERS_IMPORT, { input: { orders: rows } }, owner.token)).ordersImport.createdCustomers).toBe(30);
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 5; page++) {
      const customers: any = dataOf(await gql(server.url, SEARCH, { first: 10, after }, owner.token)).customers;
      seen.push(...customers.nodes.map((n: any) => n.id));
      if (!customers.pageInfo.hasNextPage) break;
      after = customers.pageInfo.endCursor;
    }
    expect({ seen: seen.length, distinct: new Set(seen).size }).toEqual({ seen: 30, distinct: 30 });
  });

  it("names buyers by external id within the caller's workspace only: another workspace's buyer with that id is neither used nor touched", async () => {
    const [a, b] = [await signUpWorkspace(server.url), await signUpWorkspace(server.url)];
    const buyerOfA = await createCustomer(server.url, a.token, { name: 'A 的买家', externalIds: [{ platform: 'taobao', value: 'shared-nick' }] });
    const imported = dataOf(await gql(server.url, ORDERS_IMPORT, {
      input: { orders: [order({ customerExternalId: 'shared-nick', customerName: 'B 的买家', externalId: 'WS-1' })] },
    }, b.token)).ordersImport;
    expect(imported).toEqual({ importedCount: 1, createdCustomers: 1, userErrors: [] });
    const ORDERS_OF = `query($id: ID!) { customer(id: $id) { name orders(first: 5) { totalCount } } }`;
    expect(dataOf<any>(await gql(server.url, ORDERS_OF, { id: buyerOfA.id }, a.token)).customer).toEqual({ name: 'A 的买家', orders: { totalCount: 0 } });
    const [buyerOfB] = (await search(server.url, b.token, { search: 'shared-nick' })).nodes;
    expect(buyerOfB).toMatchObject({ name: 'B 的买家' });
    expect(dataOf<any>(await gql(server.url, ORDERS_OF, { id: buyerOfB.id }, b.token)).customer.orders.totalCount).toBe(1);
    expect([await count('customer', a), await count('customer_order', a), await count('customer', b), await count('customer_order', b)]).toEqual([1, 0, 1, 1]);
  });

  it('lets concurrent imports naming the same new buyer create that buyer once', async () => {
    const owner = await signUpWorkspace(server.url);
    const call = (n: number) => gql(server.url, ORDERS_IMPORT, {
      input: { orders: Array.from({ length: 20 }, (_, i) => order({ customerExternalId: 'shared-buyer', externalId: `C${n}-${i}`, items: [] })) },
    }, owner.token);
    const results = await Promise.all([call(1), call(2), call(3)]);
    expect(results.map((r) => dataOf(r).ordersImport.importedCount)).toEqual([20, 20, 20]);
    expect(results.map((r) => dataOf(r).ordersImport.createdCustomers).sort()).toEqual([0, 0, 1]);
    expect(await count('customer', owner)).toBe(1);
    expect(await count('customer_order', owner)).toBe(60);
  });
});

describe('payloads after a recomputed last purchase', () => {
  it("customerMerge's payload shows the kept customer's last purchase as the merge left it", async () => {
    const owner = await signUpWorkspace(server.url);
    const keep = await createCustomer(server.url, owner.token, { name: '甲' });
    const dupe = await createCustomer(server.url, owner.token, { name: '乙' });
    dataOf(await gql(server.url, ORDER_UPSERT, { input: order({ customerId: dupe.id, placedAt: '2025-04-01T08:00:00Z' }) }, owner.token));
    const merged = dataOf(await gql(server.url, `mutation($input: CustomerMergeInput!) {
      customerMerge(input: $input) { customer { lastOrderAt orderStats { orderCount } } userErrors { code } } }`,
    { input: { keepId: keep.id, mergeId: dupe.id } }, owner.token)).customerMerge;
    expect(merged).toEqual({ customer: { lastOrderAt: '2025-04-01T08:00:00.000Z', orderStats: { orderCount: 1 } }, userErrors: [] });
  });

  it("orderUpsert's payload shows its customer's new last purchase, though an earlier mutation of the document loaded it", async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '丙' });
    const document = `mutation($a: OrderInput!, $b: OrderInput!) {
      a: orderUpsert(input: $a) { order { customer { lastOrderAt } } }
      b: orderUpsert(input: $b) { order { customer { lastOrderAt } } } }`;
    const result = dataOf<any>(await gql(server.url, document, {
      a: order({ customerId: customer.id, placedAt: '2025-01-01T00:00:00Z' }),
      b: order({ customerId: customer.id, placedAt: '2025-06-01T00:00:00Z' }),
    }, owner.token));
    expect([result.a.order.customer.lastOrderAt, result.b.order.customer.lastOrderAt]).toEqual(['2025-01-01T00:00:00.000Z', '2025-06-01T00:00:00.000Z']);
  });

  it("orderUpsert's payload shows the order as this upsert wrote it, though an earlier mutation of the document returned it", async () => {
    const owner = await signUpWorkspace(server.url);
    const customer = await createCustomer(server.url, owner.token, { name: '丁' });
    const document = `mutation($a: OrderInput!, $b: OrderInput!) {
      a: orderUpsert(input: $a) { order { status } } b: orderUpsert(input: $b) { created order { status } } }`;
    const result = dataOf<any>(await gql(server.url, document, {
      a: order({ customerId: customer.id, externalId: 'SAME', status: 'PAID' }),
      b: order({ customerId: customer.id, externalId: 'SAME', status: 'SHIPPED' }),
    }, owner.token));
    expect([result.a.order.status, result.b]).toEqual(['PAID', { created: false, order: { status: 'SHIPPED' } }]);
  });
});
